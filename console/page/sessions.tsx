/**
 * The Sessions view: every session matching the label filter, with its machines by state and
 * its cost so far and burn rate, ticking; Stop All / Terminate All over the filter (the server
 * says exactly what will be acted on, and that is what is confirmed); Delete of one session.
 */
import { useEffect, useState } from "preact/hooks";
import type { SessionRow } from "../views.js";
import { act, get } from "./api.js";
import { ErrorLine } from "./dialogs.js";
import { accrued, perHour, usd, useNow } from "./format.js";
import { matches, parseFilter, update, useStore } from "./store.js";

const STATE_ORDER = ["running", "pending", "interrupted", "hibernated", "stopped", "terminated"] as const;

export function States(props: { states: SessionRow["states"] }) {
  return (
    <span class="states">
      {STATE_ORDER.filter((s) => props.states[s]).map((s) => (
        <span key={s} class={`badge ${s}`}>
          {props.states[s]} {s}
        </span>
      ))}
    </span>
  );
}

export function Labels(props: { labels: Record<string, string> }) {
  return (
    <span class="labels">
      {Object.entries(props.labels).map(([k, v]) => (
        <span key={k} class="label">
          {k}={v}
        </span>
      ))}
    </span>
  );
}

/** Cost so far, ticking with the page's clock from the server's last figure. */
export function Ticking(props: { cost: SessionRow["cost"]; now: number }) {
  return <span class="money">{usd(accrued(props.cost.soFarUsd, props.cost.hourlyUsd, props.cost.at, props.now))}</span>;
}

export function SessionsView(props: { initialFilter: string[] }) {
  const [filterText, setFilterText] = useState(props.initialFilter.join(", "));
  const [filter, setFilter] = useState<string[]>(props.initialFilter);
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  const [unreadable, setUnreadable] = useState<{ session: string; error: string }[]>([]);
  const rows = useStore((s) => [...s.rows.values()].filter((r) => matches(r.labels, filter)).sort((a, b) => a.session.localeCompare(b.session)));
  const now = useNow();

  const load = async (f: string[]) => {
    setLoading(true);
    setError(undefined);
    try {
      const q = f.map((l) => `label=${encodeURIComponent(l)}`).join("&");
      const r = await get<{ rows: SessionRow[]; unreadable: { session: string; error: string }[] }>(`/api/sessions${q ? `?${q}` : ""}`);
      update((s) => {
        const all = new Map([...s.rows].filter(([, row]) => !matches(row.labels, f)));
        for (const row of r.rows) all.set(row.session, row);
        return { rows: all };
      });
      setUnreadable(r.unreadable);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void load(filter), [filter]);

  const batch = (action: "stop" | "terminate") => act("/api/batch", { action, labels: filter }).catch((err: Error) => setError(err.message));
  const destroy = (session: string) => act(`/api/sessions/${session}/destroy`, {}).catch((err: Error) => setError(err.message));
  const totalRate = rows.reduce((s, r) => s + r.cost.hourlyUsd, 0);
  const totalSoFar = rows.reduce((s, r) => s + accrued(r.cost.soFarUsd, r.cost.hourlyUsd, r.cost.at, now), 0);

  return (
    <section aria-labelledby="sessions-title">
      <div class="toolbar">
        <h1 id="sessions-title">Sessions</h1>
        <form
          class="filter"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter(parseFilter(filterText));
          }}
        >
          <label>
            Filter by label{" "}
            <input
              name="filter"
              placeholder="team=bio, course=gen101"
              value={filterText}
              onInput={(e) => setFilterText((e.target as HTMLInputElement).value)}
            />
          </label>
          <button type="submit">Apply</button>
        </form>
        <button type="button" onClick={() => void load(filter)} disabled={loading}>
          {loading ? "Reading…" : "Refresh"}
        </button>
        <button type="button" class="danger" onClick={() => void batch("stop")}>
          Stop All
        </button>
        <button type="button" class="danger" onClick={() => void batch("terminate")}>
          Terminate All
        </button>
      </div>
      <ErrorLine error={error} />
      {unreadable.map((u) => (
        <p key={u.session} class="warning">
          {u.session}: not read ({u.error})
        </p>
      ))}
      <table class="grid sessions">
        <thead>
          <tr>
            <th>Session</th>
            <th>Kind</th>
            <th>Provider</th>
            <th>Labels</th>
            <th>Machines</th>
            <th class="num">Cost so far</th>
            <th class="num">Burn rate</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.session} data-session={r.session}>
              <td>
                <a href={`#/sessions/${r.session}`}>{r.session}</a>
              </td>
              <td>{r.kind}</td>
              <td>{r.provider}</td>
              <td>
                <Labels labels={r.labels} />
              </td>
              <td>
                <States states={r.states} />
              </td>
              <td class="num">
                <Ticking cost={r.cost} now={now} />
              </td>
              <td class="num rate">{perHour(r.cost.hourlyUsd)}</td>
              <td>
                <button type="button" class="small danger" onClick={() => void destroy(r.session)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td colSpan={5}>
              {rows.length ? `${rows.length} session(s)` : loading ? "Reading the sessions…" : "No session matches. Launch one from Formations."}
            </td>
            <td class="num">{usd(totalSoFar)}</td>
            <td class="num">{perHour(totalRate)}</td>
            <td />
          </tr>
        </tfoot>
      </table>
    </section>
  );
}
