/** `formations sessions [--label k=v]... [--json]`: every session, filtered by labels (all must match). */
import { parseSelector } from "../automation/naming.js";
import { EXIT } from "./exit.js";
import type { Output } from "./output.js";
import { reportError, table, usdPerHour, withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

export async function sessionsCommand(flags: SessionFlags & { label?: string[] }, io: Output, deps: SessionDeps = {}): Promise<number> {
  // A malformed selector is a usage error before any backend is touched.
  let selector: Record<string, string>;
  try {
    selector = parseSelector(flags.label ?? []);
  } catch (err) {
    return reportError(err, io);
  }
  return withSessions(flags, io, deps, async (sessions) => {
    const list = await sessions.list({ labels: selector });
    if (flags.json) {
      io.out(JSON.stringify(list, null, 2));
      return EXIT.ok;
    }
    if (list.length === 0) {
      io.err(Object.keys(selector).length ? "formations: no session matches those labels" : "formations: no sessions yet ('formations up <file>' creates one)");
      return EXIT.ok;
    }
    const rows = list.map((s) => [
      s.session,
      s.kind ?? "?",
      s.provider ?? "?",
      s.machines === undefined ? "?" : String(s.machines),
      usdPerHour(s.hourlyUsd),
      s.updateInProgress ? "updating" : (s.lastUpdate ?? "-"),
      Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(","),
    ]);
    io.out(table(["SESSION", "KIND", "PROVIDER", "MACHINES", "COST", "LAST UPDATE", "LABELS"], rows));
    return EXIT.ok;
  });
}
