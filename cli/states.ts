/**
 * Normalised machine states in `show` and `sessions`:
 *
 * - `formations show <session> --live`: the usual details, with each machine's STATE as its
 *   provider reports it now (`interrupted` for reclaimed spot capacity), recorded states kept in
 *   `--json` as `recordedState`;
 * - `formations sessions --states [--live] [--label k=v]...`: per session, its machines counted
 *   by state (`2 running, 1 stopped`), with each machine's state in `--json`.
 */
import type { SessionStates } from "../automation/actions/states.js";
import { countsText } from "../automation/actions/states.js";
import type { SessionDetails } from "../automation/session/show.js";
import { withVerdicts } from "../automation/policy/verdicts.js";
import { EXIT } from "./exit.js";
import type { Output } from "./output.js";
import { renderDetails, type ShowDeps } from "./show.js";
import { table, withSelectedSessions, withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

/** The details with live states; the recorded one kept beside each. */
export function withLiveStates(d: SessionDetails, live: SessionStates): SessionDetails {
  const byName = new Map(live.machines.map((m) => [m.name, m]));
  return {
    ...d,
    machines: d.machines.map((m) => {
      const row = byName.get(m.name);
      // `unknown` (the read failed) is not a state: keep the recorded one and say why beside it.
      if (!row?.observed || row.observed === "unknown") return row?.error ? { ...m, stateError: row.error } : m;
      return { ...m, state: row.observed, recordedState: m.state };
    }),
  };
}

export async function showLiveCommand(session: string, flags: SessionFlags & { idle?: boolean }, io: Output, deps: ShowDeps = {}): Promise<number> {
  return withSessions(flags, io, deps, async (sessions) => {
    const [details, live] = await Promise.all([sessions.show(session), sessions.states(session, { live: true })]);
    if (live.error) io.err(`formations: ${session}: live states not read: ${live.error}`);
    for (const m of live.machines) if (m.error) io.err(`formations: ${session}/${m.name}: state not read: ${m.error}`);
    // --idle reads the clouds' verdicts here too (it was silently ignored with --live).
    const d = await withVerdicts(withLiveStates(details, live), deps.verdicts ? { source: deps.verdicts } : { clouds: flags.idle ?? false });
    io.out(flags.json ? JSON.stringify(d, null, 2) : renderDetails(d));
    return EXIT.ok;
  });
}

export async function sessionsStatesCommand(flags: SessionFlags & { label?: string[]; live?: boolean }, io: Output, deps: SessionDeps = {}): Promise<number> {
  return withSelectedSessions(flags, io, deps, async (sessions, listed) => {
    const read = await Promise.all(
      listed.map(async (s) => {
        try {
          return await sessions.states(s.session, { live: Boolean(flags.live) });
        } catch (err) {
          return { session: s.session, error: err instanceof Error ? err.message.split("\n")[0]! : String(err) };
        }
      }),
    );
    if (flags.json) {
      io.out(JSON.stringify(read, null, 2));
      return EXIT.ok;
    }
    if (read.length === 0) {
      io.err("formations: no session matches");
      return EXIT.ok;
    }
    const rows = read.map((r) =>
      "machines" in r ? [r.session, r.provider, String(r.machines.length), countsText(r.counts), r.source] : [r.session, "?", "?", `not read: ${r.error}`, "-"],
    );
    io.out(table(["SESSION", "PROVIDER", "MACHINES", "STATES", "SOURCE"], rows));
    return EXIT.ok;
  });
}
