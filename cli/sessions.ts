/**
 * `formations sessions [--label k=v]... [--no-cost] [--json]`: every session, filtered by labels
 * (all must match), with what it costs per hour now and has cost so far (its ledger: one read of
 * its state per session; `--no-cost` lists from the stack tags alone, faster on a remote backend,
 * with the plan's hourly estimate instead).
 */
import { costsOf } from "./cost.js";
import { EXIT } from "./exit.js";
import type { Output } from "./output.js";
import { usd } from "./show.js";
import { table, usdPerHour, withSelectedSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

export async function sessionsCommand(flags: SessionFlags & { label?: string[]; cost?: boolean }, io: Output, deps: SessionDeps = {}): Promise<number> {
  return withSelectedSessions(flags, io, deps, async (sessions, listed) => {
    const withCost = flags.cost !== false;
    const ledgers = new Map<string, { accruedUsd: number; burnUsdPerHour: number }>();
    if (withCost) {
      const { costs, failed } = await costsOf(
        sessions,
        listed.map((s) => s.session),
      );
      for (const c of costs) ledgers.set(c.session, { accruedUsd: c.accruedUsd, burnUsdPerHour: c.burnUsdPerHour });
      for (const f of failed) io.err(`formations: ${f.session}: cost not read: ${f.error}`);
    }
    const list = listed.map((s) => ({ ...s, ...ledgers.get(s.session) }));
    if (flags.json) {
      io.out(JSON.stringify(list, null, 2));
      return EXIT.ok;
    }
    if (list.length === 0) {
      io.err(flags.label?.length ? "formations: no session matches those labels" : "formations: no sessions yet ('formations up <file>' creates one)");
      return EXIT.ok;
    }
    const rows = list.map((s) => [
      s.session,
      s.kind ?? "?",
      s.provider ?? "?",
      s.machines === undefined ? "?" : String(s.machines),
      // Now: the ledger's burn rate; without it, the plan's estimate with every machine running.
      usdPerHour(s.burnUsdPerHour ?? s.hourlyUsd),
      ...(withCost ? [s.accruedUsd === undefined ? "?" : usd(s.accruedUsd)] : []),
      s.updateInProgress ? "updating" : (s.lastUpdate ?? "-"),
      Object.entries(s.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
    ]);
    io.out(table(["SESSION", "KIND", "PROVIDER", "MACHINES", "COST", ...(withCost ? ["SO FAR"] : []), "LAST UPDATE", "LABELS"], rows));
    return EXIT.ok;
  });
}
