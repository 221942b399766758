/**
 * Cost so far, estimated from the journal: each machine accrues its catalog price per hour from
 * the update that created it until an entry stops, hibernates or removes it, and again from an
 * entry that starts it. An estimate (catalog prices, the journal's times), not a bill.
 */
import type { JournalEntry } from "./record.js";

export interface Spend {
  /** Estimated USD spent so far by the session's machines. */
  usd: number;
  /** The first successful update the estimate counts from, if any. */
  since?: string;
}

const DONE = new Set(["ok", "recorded"]);
const HOUR_MS = 3_600_000;

/**
 * `prices`: hourly price per machine while running. Machines an `up` created are listed in its
 * `added` (an entry without it, from an older version, adds every priced machine not seen yet).
 */
export function costSoFar(journal: readonly JournalEntry[], prices: Readonly<Record<string, number>>, now: Date): Spend {
  const state = new Map<string, { running: boolean; since: number }>();
  let usd = 0;
  let since: string | undefined;
  const set = (name: string, running: boolean, t: number) => {
    const cur = state.get(name);
    if (cur?.running) usd += ((prices[name] ?? 0) * Math.max(0, t - cur.since)) / HOUR_MS;
    state.set(name, { running, since: t });
  };
  const entries = journal.filter((e) => DONE.has(e.result) && Number.isFinite(Date.parse(e.at))).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  for (const e of entries) {
    const t = Date.parse(e.at);
    if (e.action === "up") {
      since ??= e.at;
      const added = e.added ?? Object.keys(prices).filter((n) => !state.has(n));
      for (const n of added) if (!state.get(n)?.running) set(n, true, t);
      for (const n of e.dropped ?? []) set(n, false, t);
    } else if (e.action === "destroy") {
      for (const n of state.keys()) set(n, false, t);
    } else if (e.to) {
      const running = e.to === "running";
      for (const n of e.machine ? [e.machine] : [...state.keys()]) set(n, running, t);
    }
  }
  for (const n of state.keys()) if (state.get(n)?.running) set(n, true, now.getTime());
  return { usd: Math.round(usd * 100) / 100, ...(since ? { since } : {}) };
}
