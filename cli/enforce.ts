/**
 * `formations enforce [--label k=v]... [--dry-run] [--json]`, for cron or a pipeline: checks every
 * session's budget and idle rules, acts through the session actions, journals what it did and
 * why, and prints it. Exit 3 when an action failed or a session could not be checked.
 */
import { enforce, type EnforceReport, type Enforcement } from "../automation/policy/enforce.js";
import type { VerdictSource } from "../automation/policy/verdicts.js";
import { parseSelector } from "../automation/session/naming.js";
import { EXIT } from "./exit.js";
import type { Output } from "./output.js";
import { reportError, withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

export interface EnforceFlags extends SessionFlags {
  label?: string[];
  dryRun?: boolean;
}

export interface EnforceDeps extends SessionDeps {
  /** Where idle verdicts come from (tests); default: the Docker engine for docker sessions. */
  verdicts?: VerdictSource;
  /** The clock (tests); default now. */
  now?: () => Date;
}

function results(a: Enforcement): string {
  if (!a.results.length) return a.error ? `: ${a.error}` : "";
  const each = a.results.map(
    (r) =>
      `${a.machine ? "" : `${r.machine} `}${r.outcome === "failed" ? `failed: ${r.error ?? "?"}` : `${r.from} -> ${r.to}`}${r.fallback ? ` (${r.fallback})` : ""}`,
  );
  return ` (${each.join(", ")})${a.error ? `: ${a.error}` : ""}`;
}

function actionLine(a: Enforcement): string {
  const who = a.machine ? `${a.session}/${a.machine}` : a.session;
  const what = a.outcome === "dry-run" ? `would ${a.action}` : a.outcome === "notified" ? "notify" : `${a.action} ${a.outcome}`;
  return `${who}: ${a.rule}: ${what}${results(a)}; why: ${a.reason}`;
}

export function renderEnforce(r: EnforceReport): string[] {
  const out: string[] = [];
  for (const c of r.sessions) {
    if (c.error) {
      out.push(`${c.session}: not checked: ${c.error}`);
      continue;
    }
    out.push(`${c.session}: budget: ${c.budget ? c.budget.reason : "none"}`);
    const kept = new Map<string, string[]>();
    for (const i of c.idle) if (!i.stop) kept.set(i.reason, [...(kept.get(i.reason) ?? []), i.machine]);
    for (const [why, names] of kept) out.push(`${c.session}: auto-stop: kept ${names.join(", ")}: ${why}`);
  }
  out.push(...r.actions.map(actionLine));
  const failed = r.actions.filter((a) => a.outcome === "failed").length;
  out.push(
    `enforce${r.dryRun ? " (dry run: nothing done)" : ""}: ${r.sessions.length} session(s) checked at ${r.at}, ${r.actions.length} action(s)${failed ? `, ${failed} failed` : ""}`,
  );
  return out;
}

export async function enforceCommand(flags: EnforceFlags, io: Output, deps: EnforceDeps = {}): Promise<number> {
  try {
    parseSelector(flags.label ?? []);
  } catch (err) {
    return reportError(err, io);
  }
  // Progress (the actions' events) goes to stderr; stdout is the report's alone.
  return withSessions({ ...flags, json: false }, io, deps, async (sessions) => {
    const report = await enforce(sessions, {
      labels: flags.label ?? [],
      dryRun: flags.dryRun ?? false,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.verdicts ? { verdicts: deps.verdicts } : {}),
    });
    if (flags.json) io.out(JSON.stringify(report, null, 2));
    else for (const line of renderEnforce(report)) io.out(line);
    return report.failed > 0 ? EXIT.failed : EXIT.ok;
  });
}
