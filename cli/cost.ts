/**
 * `formations cost [<session>] [--json]`: what a session has cost so far and costs now, by
 * machine and by state, from its ledger (launch prices captured by `up` x time in each state of
 * the journal); every session, with totals, when none is named.
 */
import pLimit from "p-limit";
import type { SessionDetails } from "../automation/session/show.js";
import type { Sessions } from "../automation/sessions.js";
import type { ChargedAs, LedgerJson } from "../cost/index.js";
import { EXIT } from "./exit.js";
import type { Output } from "./output.js";
import { table, usdPerHour, withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";
import { usd } from "./show.js";

/** One session's cost, as `cost --json` prints it (USD numbers exact to the micro-dollar). */
export interface SessionCost {
  session: string;
  /** The instant the amounts are computed at (ISO 8601, UTC). */
  now: string;
  kind: string;
  provider: string;
  /** The first successful up: what the amounts count from. */
  since?: string;
  accruedUsd: number;
  burnUsdPerHour: number;
  byState: Record<ChargedAs, number>;
  machines: LedgerJson["machines"];
  /** What makes the amounts less than exact. */
  warnings: string[];
  /** Set when the journal cannot be billed (the amounts are then 0). */
  error?: string;
}

export interface CostTotals {
  now: string;
  accruedUsd: number;
  burnUsdPerHour: number;
  byState: Record<ChargedAs, number>;
  sessions: SessionCost[];
}

const ZERO: Record<ChargedAs, number> = { running: 0, stopped: 0, hibernated: 0 };
/** Sums USD amounts held to the micro-dollar without binary drift. */
const add = (...xs: number[]) => xs.reduce((s, x) => s + Math.round(x * 1e6), 0) / 1e6;

export function sessionCost(d: SessionDetails): SessionCost {
  const l = d.cost.ledger;
  return {
    session: d.session,
    now: l?.now ?? new Date().toISOString(),
    kind: d.kind,
    provider: d.provider,
    ...(d.cost.since ? { since: d.cost.since } : {}),
    accruedUsd: l?.accruedUsd ?? 0,
    burnUsdPerHour: l?.burnUsdPerHour ?? 0,
    byState: l?.byState ?? ZERO,
    machines: l?.machines ?? [],
    warnings: d.cost.warnings ?? [],
    ...(d.cost.error ? { error: d.cost.error } : {}),
  };
}

export function totals(costs: readonly SessionCost[], now: string): CostTotals {
  return {
    now,
    accruedUsd: add(...costs.map((c) => c.accruedUsd)),
    burnUsdPerHour: add(...costs.map((c) => c.burnUsdPerHour)),
    byState: {
      running: add(...costs.map((c) => c.byState.running)),
      stopped: add(...costs.map((c) => c.byState.stopped)),
      hibernated: add(...costs.map((c) => c.byState.hibernated)),
    },
    sessions: [...costs],
  };
}

const states = (b: Record<ChargedAs, number>) => `running ${usd(b.running)}, stopped ${usd(b.stopped)}, hibernated ${usd(b.hibernated)}`;

export function renderSessionCost(c: SessionCost): string {
  const out = [
    `session ${c.session} (${c.kind} on ${c.provider}): about ${usd(c.accruedUsd)} so far${c.since ? ` since ${c.since}` : ""}, ${usdPerHour(c.burnUsdPerHour)} now`,
    `by state: ${states(c.byState)}`,
    ...(c.error ? [`error: ${c.error}`] : []),
    ...c.warnings.map((w) => `note: ${w}`),
  ];
  if (c.machines.length) {
    out.push(
      "",
      table(
        ["MACHINE", "STATE", "RUNNING", "STOPPED", "HIBERNATED", "TOTAL", "NOW"],
        c.machines.map((m) => [
          m.machine + (m.spot ? " (spot)" : ""),
          m.state,
          usd(m.byState.running),
          usd(m.byState.stopped),
          usd(m.byState.hibernated),
          usd(m.accruedUsd),
          usdPerHour(m.burnUsdPerHour),
        ]),
      ),
      "",
      ...[...new Set(c.machines.map((m) => m.source))].map((s) => `prices: ${s}`),
    );
  }
  return out.join("\n");
}

export function renderTotals(t: CostTotals): string {
  const rows = t.sessions.map((c) => [
    c.session,
    c.kind,
    c.provider,
    usd(c.accruedUsd),
    usdPerHour(c.burnUsdPerHour),
    c.since ?? "-",
    c.error ? "journal cannot be billed" : c.warnings.length ? `${c.warnings.length} note(s): formations cost ${c.session}` : "",
  ]);
  return [
    table(["SESSION", "KIND", "PROVIDER", "SO FAR", "NOW", "SINCE", ""], rows),
    "",
    `total: about ${usd(t.accruedUsd)} so far, ${usdPerHour(t.burnUsdPerHour)} now (${states(t.byState)})`,
  ].join("\n");
}

/** The cost of each named session, read with bounded parallelism; a session that cannot be read is reported, not fatal. */
export async function costsOf(
  sessions: Sessions,
  names: readonly string[],
  concurrency = 4,
): Promise<{ costs: SessionCost[]; failed: { session: string; error: string }[] }> {
  const limit = pLimit(concurrency);
  const read = await Promise.all(
    names.map((name) =>
      limit(async () =>
        sessions.show(name).then(
          (d) => ({ ok: sessionCost(d) }),
          (err: unknown) => ({ session: name, error: err instanceof Error ? err.message.split("\n")[0]! : String(err) }),
        ),
      ),
    ),
  );
  return { costs: read.flatMap((r) => ("ok" in r ? [r.ok] : [])), failed: read.flatMap((r) => ("error" in r ? [r] : [])) };
}

export async function costCommand(
  session: string | undefined,
  flags: SessionFlags & { label?: string[] },
  io: Output,
  deps: SessionDeps = {},
): Promise<number> {
  return withSessions(flags, io, deps, async (sessions) => {
    if (session !== undefined) {
      const c = sessionCost(await sessions.show(session));
      io.out(flags.json ? JSON.stringify(c, null, 2) : renderSessionCost(c));
      return EXIT.ok;
    }
    const list = await sessions.list({ labels: flags.label ?? [] });
    const { costs, failed } = await costsOf(
      sessions,
      list.map((s) => s.session),
    );
    for (const f of failed) io.err(`formations: ${f.session}: cost not read: ${f.error}`);
    const t = totals(costs, costs[0]?.now ?? new Date().toISOString());
    if (flags.json) io.out(JSON.stringify(t, null, 2));
    else if (costs.length === 0 && failed.length === 0) io.err("formations: no sessions yet ('formations up <file>' creates one)");
    else io.out(renderTotals(t));
    return failed.length ? EXIT.failed : EXIT.ok;
  });
}
