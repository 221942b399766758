/**
 * From a session's action journal (kept in the Pulumi stack by the session layer) to ledger
 * events. Only these fields of an entry are read:
 *
 * | field     | read as |
 * |-----------|---------|
 * | `at`      | when it happened (ISO 8601 with a zone) |
 * | `action`  | `launch` / `up` / `create`: machines created; `price`: a new compute price; `terminate` / `delete` / `destroy`: machines gone; anything else: a state change when `to` is a state |
 * | `machine` | the machine it is about; absent = every machine of the session |
 * | `to`      | the state the machine is in after the entry (`pending` ... `interrupted`); `unknown` or absent: no state change |
 * | `result`  | `failed`: the entry changed nothing and is skipped (the contract keeps state consistent on failure) |
 * | `price`   | on `launch`: the captured launch price (else `prices[machine]` is used); on `price`: `computeUsdPerHour` and `source` |
 *
 * A session-wide launch (an `up` without `machine`) launches the machines that are not alive at
 * that moment: re-running `up` on a live session changes no price and no state (a machine that
 * `up` replaces is journaled by name). Entries are read in time order for this (stable).
 *
 * `actor` and `from` are not read. Entries the ledger has no use for (snapshots, budget records,
 * failed actions) are returned in `skipped` with the reason, so nothing is dropped silently.
 */
import { LedgerError, MACHINE_STATES, type LaunchPrice, type LedgerEvent, type MachineState } from "./events.js";

/** One entry of the session's action journal, as far as the ledger and budgets read it. */
export interface JournalEntry {
  /** ISO 8601 time with a zone. */
  at: string;
  /** Who acted: `cli`, `enforce`, `pipeline:...`. */
  actor?: string;
  /** What was done: `launch`, `start`, `stop`, `hibernate`, `terminate`, `price`, `budget`... */
  action: string;
  /** Machine name; absent when the entry is about the whole session. */
  machine?: string;
  /** State before. */
  from?: string;
  /** State after. */
  to?: string;
  /** `done`, `no-op`, `failed`, or a free text. */
  result?: string;
  /** Launch price (on `launch`) or new compute price (on `price`). */
  price?: Partial<LaunchPrice>;
  /** A budget enforcement record (on `budget`, written by `enforcementEntry` in budget.ts). */
  budget?: { usd: number; action: "notify" | "stop" | "hibernate"; accruedMicros?: number; reason?: string };
}

export interface JournalContext {
  /** Every machine of the session, for entries without `machine` (a session-wide up, stop or destroy). */
  machines: readonly string[];
  /** Launch price per machine, for launch entries that carry none (e.g. from `priceAtLaunch`). */
  prices?: Readonly<Record<string, LaunchPrice>>;
}

export interface JournalEvents {
  events: LedgerEvent[];
  /** Entries that produced no event, by position, and why. */
  skipped: { index: number; why: string }[];
}

const LAUNCH = new Set(["launch", "up", "create"]);
const TERMINATE = new Set(["terminate", "delete", "destroy"]);

function isState(s: string | undefined): s is MachineState {
  return s !== undefined && (MACHINE_STATES as readonly string[]).includes(s);
}

function fullPrice(p: Partial<LaunchPrice> | undefined): LaunchPrice | undefined {
  if (!p || typeof p.computeUsdPerHour !== "number" || typeof p.diskUsdPerHour !== "number") return undefined;
  return {
    computeUsdPerHour: p.computeUsdPerHour,
    diskUsdPerHour: p.diskUsdPerHour,
    ...(p.addressUsdPerHour !== undefined ? { addressUsdPerHour: p.addressUsdPerHour } : {}),
    source: p.source ?? "journal",
    spot: p.spot ?? false,
  };
}

/** Ledger events from journal entries (see the module comment for what each field means). */
export function eventsFromJournal(entries: readonly JournalEntry[], ctx: JournalContext): JournalEvents {
  const events: LedgerEvent[] = [];
  const skipped: JournalEvents["skipped"] = [];
  const alive = new Set<string>();
  const ordered = entries.map((e, index) => ({ e, index, t: Date.parse(e.at) }));
  // Unreadable times sort last here; the ledger rejects them with the entry's position.
  ordered.sort((a, b) => (Number.isNaN(a.t) ? 1 : 0) - (Number.isNaN(b.t) ? 1 : 0) || a.t - b.t || a.index - b.index);
  for (const { e, index } of ordered) {
    const targets = e.machine !== undefined ? [e.machine] : ctx.machines;
    const at = e.at;
    if (e.result === "failed") {
      skipped.push({ index, why: "failed: changed nothing" });
      continue;
    }
    if (LAUNCH.has(e.action)) {
      const launching = e.machine !== undefined ? targets : targets.filter((m) => !alive.has(m));
      if (launching.length === 0) skipped.push({ index, why: `${e.action}: every machine is already alive` });
      for (const machine of launching) {
        alive.add(machine);
        const price = fullPrice(e.price) ?? ctx.prices?.[machine];
        if (!price) throw new LedgerError(`journal entry ${index} (${e.action} at ${at}): no launch price for machine '${machine}' in the entry or the context`, index);
        events.push({ type: "launch", machine, at, price, ...(isState(e.to) ? { state: e.to } : {}) });
      }
      continue;
    }
    if (e.action === "price") {
      if (typeof e.price?.computeUsdPerHour !== "number") throw new LedgerError(`journal entry ${index} (price at ${at}): price.computeUsdPerHour is missing`, index);
      for (const machine of targets) events.push({ type: "price", machine, at, computeUsdPerHour: e.price.computeUsdPerHour, ...(e.price.source ? { source: e.price.source } : {}) });
      continue;
    }
    if (TERMINATE.has(e.action) || e.to === "terminated") {
      for (const machine of targets) {
        alive.delete(machine);
        events.push({ type: "terminate", machine, at });
      }
      continue;
    }
    if (!isState(e.to)) {
      skipped.push({ index, why: e.to === undefined ? `${e.action}: no state change` : `${e.action}: state '${e.to}' is not a machine state` });
      continue;
    }
    for (const machine of targets) events.push({ type: "state", machine, at, state: e.to });
  }
  skipped.sort((a, b) => a.index - b.index);
  return { events, skipped };
}
