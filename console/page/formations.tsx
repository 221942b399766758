/**
 * The Formations view: the folder's formation files; one file's validation errors (line, column,
 * hint) or its plan (resource tree and hourly cost); its launch, confirmed with what it creates
 * and costs, then followed live through the engine's events until its machines run.
 */
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { SessionEvent } from "../../automation/session/events.js";
import type { PlanView } from "../context.js";
import { act, get } from "./api.js";
import { ErrorLine } from "./dialogs.js";
import { perHour } from "./format.js";
import { States } from "./sessions.js";
import { useStore } from "./store.js";

interface FileRow {
  file: string;
  valid: boolean;
  name?: string;
  kind?: string;
  provider?: string;
  errors?: number;
}

interface Check {
  valid: boolean;
  name?: string;
  kind?: string;
  provider?: string;
  errors?: { line: number; col: number; pointer: string; message: string; hint?: string }[];
  plan?: PlanView;
  planError?: string;
}

function Tree(props: { plan: PlanView }) {
  const children = new Map<string | null, PlanView["resources"]>();
  for (const r of props.plan.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const walk = (parent: string | null, depth: number): JSX.Element[] =>
    (children.get(parent) ?? []).flatMap((r) => [
      <li key={`${r.type}-${r.name}`} style={{ paddingLeft: `${depth * 1.2}em` }}>
        <code>{r.type}</code> {r.name}
      </li>,
      ...walk(r.name, depth + 1),
    ]);
  return <ul class="tree">{walk(null, 0)}</ul>;
}

/** One engine event as a line of the launch's progress. */
function eventLine(e: SessionEvent): string {
  switch (e.type) {
    case "resource-start":
      return `… ${e.op} ${e.name}`;
    case "resource-done":
      return `✓ ${e.op} ${e.name}`;
    case "resource-failed":
      return `✗ ${e.op} ${e.name}`;
    case "diagnostic":
      return `${e.severity}: ${e.message}`;
    case "operation-start":
      return `${e.action} started by ${e.actor}`;
    case "operation-end":
      return `${e.action} ${e.result}${e.error ? `: ${e.error}` : ""}`;
    case "summary":
      return `changes: ${Object.entries(e.changes)
        .map(([k, n]) => `${n} ${k}`)
        .join(", ")}`;
    case "drift":
      return `${e.machine} found ${e.observed} (was ${e.from})`;
    default:
      return e.type;
  }
}

function Progress(props: { session: string }) {
  const events = useStore((s) => s.events.get(props.session) ?? []);
  const row = useStore((s) => s.rows.get(props.session));
  const task = useStore((s) => s.tasks.find((t) => t.session === props.session && t.title.startsWith("launch")));
  const lines = events.filter((e) => e.type !== "journal").slice(-40);
  return (
    <div class="progress" aria-live="polite">
      <h3>
        Launching {props.session}: {task?.state ?? "starting"}
      </h3>
      {row && (
        <p>
          Machines: <States states={row.states} /> · <a href={`#/sessions/${props.session}`}>open the session</a>
        </p>
      )}
      <ErrorLine error={task?.error} />
      <ol class="events">
        {lines.map((e, i) => (
          <li key={i} class={e.type}>
            {eventLine(e)}
          </li>
        ))}
      </ol>
    </div>
  );
}

export function FormationsView(props: { file?: string }) {
  const [files, setFiles] = useState<FileRow[]>([]);
  const [dir, setDir] = useState("");
  const [chosen, setChosen] = useState<string | undefined>(props.file);
  const [check, setCheck] = useState<Check>();
  const [checking, setChecking] = useState(false);
  const [session, setSession] = useState("");
  const [launched, setLaunched] = useState<string>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    get<{ dir: string; files: FileRow[] }>("/api/formations").then(
      (r) => {
        setFiles(r.files);
        setDir(r.dir);
      },
      (err: Error) => setError(err.message),
    );
  }, []);
  useEffect(() => setChosen(props.file), [props.file]);
  useEffect(() => {
    if (!chosen) return;
    setCheck(undefined);
    setChecking(true);
    setError(undefined);
    get<Check>(`/api/formations/check?file=${encodeURIComponent(chosen)}`)
      .then(
        (c) => {
          setCheck(c);
          setSession(c.name ?? "");
        },
        (err: Error) => setError(err.message),
      )
      .finally(() => setChecking(false));
  }, [chosen]);

  const launch = async () => {
    setError(undefined);
    try {
      const t = await act("/api/formations/launch", { file: chosen, session });
      if (t) setLaunched(session);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="formations-title" class="formations">
      <h1 id="formations-title">Formations</h1>
      <p class="sub">Formation files in {dir}</p>
      <div class="split">
        <ul class="files">
          {files.map((f) => (
            <li key={f.file}>
              <button type="button" class={`link ${f.file === chosen ? "chosen" : ""}`} data-file={f.file} onClick={() => setChosen(f.file)}>
                {f.file}
              </button>{" "}
              {f.valid ? <span class="badge running">{f.kind}</span> : <span class="badge terminated">{f.errors} error(s)</span>}
            </li>
          ))}
          {!files.length && <li>No *.yaml file in this folder.</li>}
        </ul>
        <div class="detail">
          <ErrorLine error={error} />
          {checking && <p>Checking {chosen} (validation, then the plan)…</p>}
          {check && !check.valid && (
            <table class="grid errors" aria-label="Validation errors">
              <thead>
                <tr>
                  <th>Line</th>
                  <th>Column</th>
                  <th>Error</th>
                  <th>Hint</th>
                </tr>
              </thead>
              <tbody>
                {check.errors!.map((e, i) => (
                  <tr key={i}>
                    <td class="num">{e.line}</td>
                    <td class="num">{e.col}</td>
                    <td>
                      {e.message} <span class="sub">(at {e.pointer || "/"})</span>
                    </td>
                    <td>{e.hint ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {check?.valid && (
            <div class="plan">
              <h2>
                {check.name}: {check.kind} on {check.provider}
              </h2>
              <ErrorLine error={check.planError} />
              {check.plan && (
                <>
                  <p class="cost">
                    About <strong class="plan-cost">{perHour(check.plan.cost.hourlyUsd)}</strong> while running ({check.plan.cost.source})
                  </p>
                  <table class="grid cost-lines">
                    <tbody>
                      {check.plan.cost.lines.map((l) => (
                        <tr key={l.item}>
                          <td>{l.item}</td>
                          <td class="num">×{l.count}</td>
                          <td class="num">{perHour(l.hourlyUsd)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  <Tree plan={check.plan} />
                  {check.plan.notes.map((n) => (
                    <p key={n} class="note">
                      {n}
                    </p>
                  ))}
                </>
              )}
              <form
                class="launch"
                onSubmit={(e) => {
                  e.preventDefault();
                  void launch();
                }}
              >
                <label>
                  Session name <input name="session" value={session} onInput={(e) => setSession((e.target as HTMLInputElement).value)} />
                </label>
                <button type="submit" class="primary">
                  Launch
                </button>
              </form>
            </div>
          )}
          {launched && <Progress session={launched} />}
        </div>
      </div>
    </section>
  );
}
