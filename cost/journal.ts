/**
 * From a session's action journal (automation/session/session-record.ts, kept in the stack) to ledger
 * events. Only these fields of an entry are read:
 *
 * | field     | read as |
 * |-----------|---------|
 * | `at`      | when it happened (ISO 8601 with a zone) |
 * | `action`  | `up` / `launch` / `create`: machines created; `price`: a new compute price; `terminate` / `delete` / `destroy`: machines gone; anything else (start, stop, hibernate, set-desired, drift...): a state change when `to` is a state |
 * | `machine` | the machine it is about; absent = every machine alive at that moment |
 * | `to`      | the machine's state after the entry (`pending` ... `interrupted`; `terminated` = gone); `unknown` or absent: no change |
 * | `result`  | `failed` or `cancelled`: the entry changed nothing and is skipped; anything else (ok, recorded, done, no-op) counts |
 * | `added`   | on `up`: the machines it created; absent (older entries): every machine of the session not alive yet |
 * | `dropped` | on `up`: the machines it deleted |
 * | `prices`  | on `up`: launch prices captured from the catalog at that moment, one group per distinct price (`{machines: [...], computeUsdPerHour, diskUsdPerHour, source, spot, ...}`: a 1000-node cluster is two groups, not 1000 copies); every machine listed is charged at that price from this entry on: launched if it is not alive (a new machine, or the session's own resources `(session)`), re-priced in the state it is in if it is (reshaped in place: a new instance type or disk) |
 * | `price`   | on a launch: the captured launch price (else the entry's `prices` group of the machine, else the context's); on `price`: `computeUsdPerHour` and `source` |
 *
 * `actor`, `from` and `detail` are not read. Entries are read in time order (stable). Entries
 * that give no event are returned in `skipped` with the reason, so nothing is dropped silently.
 *
 * A journal is capped (the session layer drops its oldest entries): a machine whose launch is no
 * longer in it is counted from its first remaining entry, at its launch price, with a warning
 * saying from when; the ledger then undercounts, and says so.
 */
import { LedgerError, MACHINE_STATES, type LaunchPrice, type LedgerEvent, type MachineState } from "./events.js";

/**
 * One line of a session's action journal, defined once for the layer that writes it (the
 * session record, automation/session/session-record.ts) and the ones that read it (the ledger,
 * budgets, enforce). The session layer writes every entry with `actor` and `result`; entries
 * read back from a stack are checked for `at` and `action` only, so readers take nothing else
 * for granted.
 */
export interface JournalEntry {
  /** ISO 8601 time with a zone: when the operation ended. */
  at: string;
  /** Who acted: user@host, `enforce`, a CI identity (automation/session/actor.ts). */
  actor?: string;
  /** What was done: `up`, `start`, `stop`, `hibernate`, `destroy`, `drift`, `price`, `budget`, `snapshot`... */
  action: string;
  /** Machine name; absent when the entry is about the whole session. */
  machine?: string;
  /** State before. */
  from?: string;
  /** State after. */
  to?: string;
  /** `ok`, `failed`, `cancelled`, `recorded` (drift), or an action outcome (`done`, `no-op`). */
  result?: string;
  /** One line of explanation (the failure's summary, a drift's observed state). */
  detail?: string;
  /** Machines an `up` created. */
  added?: string[];
  /** Machines an `up` or `destroy` deleted. */
  dropped?: string[];
  /** Launch price (on a launch) or new compute price (on `price`). */
  price?: Partial<LaunchPrice>;
  /**
   * On `up`: the launch prices of the machines it created or reshaped, captured from the catalog
   * at launch with their source, grouped (see the module comment), so a later catalog never
   * re-prices the past.
   */
  prices?: readonly LaunchPriceGroup[];
  /** A budget enforcement record (on `budget`, written by `enforcementEntry` in budget.ts): the same breach is acted on once. */
  budget?: { usd: number; action: "notify" | "stop" | "hibernate"; accruedMicros?: number; reason?: string };
}

/** Machines launched at one price (extra fields, such as the shape the price was captured for, ride along). */
export interface LaunchPriceGroup extends Partial<LaunchPrice> {
  machines: readonly string[];
}

/** The price group of a machine in an entry, if any. */
export function groupOf(prices: readonly LaunchPriceGroup[] | undefined, machine: string): LaunchPriceGroup | undefined {
  return Array.isArray(prices) ? prices.find((g) => Array.isArray(g?.machines) && g.machines.includes(machine)) : undefined;
}

export interface JournalContext {
  /** Every machine of the session, for an `up` without `added`. */
  machines: readonly string[];
  /** Launch price per machine, for launch entries that carry none (e.g. from `priceAtLaunch`). */
  prices?: Readonly<Record<string, LaunchPrice>>;
}

export interface JournalEvents {
  events: LedgerEvent[];
  /** Entries, or machines of an entry, that produced no event, by position, and why. */
  skipped: { index: number; why: string }[];
  /** What makes the ledger less than complete (a journal that starts after a launch). */
  warnings: string[];
}

const LAUNCH = new Set(["launch", "up", "create"]);
const TERMINATE = new Set(["terminate", "delete", "destroy"]);
const CHANGED_NOTHING = new Set(["failed", "cancelled"]);

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
  const out: JournalEvents = { events: [], skipped: [], warnings: [] };
  /** Machines alive now; `seen` also keeps the terminated ones (a later entry is then not a lost launch). */
  const alive = new Set<string>();
  const seen = new Set<string>();
  /** The state each alive machine is in, so a reshaped machine keeps it at its new price. */
  const stateOf = new Map<string, MachineState>();
  const ordered = entries.map((e, index) => ({ e, index, t: Date.parse(e.at) }));
  // Unreadable times sort last here; the ledger rejects them with their text.
  ordered.sort((a, b) => (Number.isNaN(a.t) ? 1 : 0) - (Number.isNaN(b.t) ? 1 : 0) || a.t - b.t || a.index - b.index);

  const launch = (machine: string, e: JournalEntry, index: number, state?: MachineState) => {
    const price = fullPrice(groupOf(e.prices, machine)) ?? fullPrice(e.price) ?? ctx.prices?.[machine];
    if (!price)
      throw new LedgerError(`journal entry ${index} (${e.action} at ${e.at}): no launch price for machine '${machine}' in the entry or the context`, index);
    alive.add(machine);
    seen.add(machine);
    stateOf.set(machine, state ?? "pending");
    out.events.push({ type: "launch", machine, at: e.at, price, ...(state ? { state } : {}) });
  };
  /** The machines an entry acts on that can take an event; the others are skipped with the reason. */
  const living = (e: JournalEntry, index: number): string[] => {
    if (e.machine === undefined) {
      if (alive.size === 0) out.skipped.push({ index, why: `${e.action}: no machine is alive` });
      return [...alive];
    }
    if (alive.has(e.machine)) return [e.machine];
    if (!seen.has(e.machine) && isState(e.to) && e.to !== "terminated" && ctx.prices?.[e.machine]) {
      // Its launch is older than the journal: count it from here, and say so.
      out.warnings.push(`the journal has no launch of '${e.machine}': its cost is counted from ${e.at} only`);
      launch(e.machine, { ...e, price: undefined }, index, e.to);
      return [];
    }
    out.skipped.push({ index, why: `${e.action}: machine '${e.machine}' is not alive` });
    return [];
  };

  for (const { e, index } of ordered) {
    if (e.result !== undefined && CHANGED_NOTHING.has(e.result)) {
      out.skipped.push({ index, why: `${e.result}: changed nothing` });
    } else if (LAUNCH.has(e.action)) {
      const base = e.machine !== undefined ? [e.machine] : (e.added ?? ctx.machines.filter((m) => !alive.has(m)));
      const priced = e.machine !== undefined || !Array.isArray(e.prices) ? [] : e.prices.flatMap((g) => (Array.isArray(g?.machines) ? g.machines : []));
      const launching = [...base, ...priced.filter((m) => !alive.has(m) && !base.includes(m))];
      // Reshaped in place: alive, priced by this entry, not created by it; it keeps its state.
      const reshaped = priced.filter((m) => alive.has(m) && !launching.includes(m));
      // A finished `up` left the machines it created up: say running, not pending (billed the same).
      const launchedAs = isState(e.to) ? e.to : e.action === "up" && e.result === "ok" ? "running" : undefined;
      for (const machine of launching) launch(machine, e, index, launchedAs);
      for (const machine of reshaped) launch(machine, e, index, stateOf.get(machine));
      for (const machine of e.dropped ?? []) {
        stateOf.delete(machine);
        if (alive.delete(machine)) out.events.push({ type: "terminate", machine, at: e.at });
      }
      if (launching.length + reshaped.length === 0 && (e.dropped ?? []).length === 0)
        out.skipped.push({ index, why: `${e.action}: no machine created or deleted` });
    } else if (e.action === "price") {
      if (typeof e.price?.computeUsdPerHour !== "number")
        throw new LedgerError(`journal entry ${index} (price at ${e.at}): price.computeUsdPerHour is missing`, index);
      for (const machine of living(e, index))
        out.events.push({
          type: "price",
          machine,
          at: e.at,
          computeUsdPerHour: e.price.computeUsdPerHour,
          ...(e.price.source ? { source: e.price.source } : {}),
        });
    } else if (TERMINATE.has(e.action) || e.to === "terminated") {
      for (const machine of living(e, index)) {
        alive.delete(machine);
        stateOf.delete(machine);
        out.events.push({ type: "terminate", machine, at: e.at });
      }
    } else if (!isState(e.to)) {
      out.skipped.push({ index, why: e.to === undefined ? `${e.action}: no state change` : `${e.action}: state '${e.to}' is not a machine state` });
    } else {
      const to = e.to;
      for (const machine of living(e, index)) {
        stateOf.set(machine, to);
        out.events.push({ type: "state", machine, at: e.at, state: to });
      }
    }
  }
  out.skipped.sort((a, b) => a.index - b.index);
  return out;
}
