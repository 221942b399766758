/**
 * The cost ledger of a session: what its machines have cost so far and cost now, from the
 * machines' launch prices and the states they were in (pure; see money.ts for the arithmetic).
 *
 * Charging, per state interval of a machine:
 * - `pending` and `running`: compute + disk (+ address); pending is billed as running because the
 *   clouds bill from the launch request, not from the end of boot;
 * - `stopped` and `hibernated`: disk (+ address) only;
 * - `interrupted` (spot capacity reclaimed) and `terminated`: nothing from that instant on. An
 *   interrupted machine is charged again from its next state (e.g. `stopped` when the cloud keeps
 *   its disk), so the refresh that follows an interruption decides what it costs;
 * - a `price` event changes the compute rate from its instant on, whatever the state.
 *
 * Order: events are SORTED by time (stable: events at the same instant keep their input order),
 * not rejected, because the journal is appended by several actors (the CLI, `enforce`, a
 * pipeline) whose entries can land out of order; what is billed is the moment, not the position.
 * An event stamped after `now` (another host's clock ahead of ours) is taken as happening at
 * `now`: it sets the current state and rate but adds no time. What IS rejected (LedgerError):
 * a bad time or price, an event for a machine before its launch, and a state or price change
 * after its termination (a new `launch` of the same name starts a new life; repeated
 * terminations are ignored, as acting twice is safe).
 */
import { LedgerError, timeOf, type LaunchPrice, type LedgerEvent, type MachineState } from "./events.js";
import { charge, microsOf, microsPerHour, picoPerHour } from "./money.js";

/** The states that cost something, as the ledger reports them (pending is billed as running). */
export type ChargedAs = "running" | "stopped" | "hibernated";

/** One stretch of time a machine spent in one state at one rate. */
export interface LedgerInterval {
  /** Start, ISO 8601 (UTC). */
  from: string;
  /** End, ISO 8601 (UTC), exclusive. */
  to: string;
  state: MachineState;
  /** Micro-dollars per hour charged during the interval (rounded; the amount uses the exact rate). */
  ratePerHourMicros: number;
  /** Micro-dollars charged for the interval, rounded half up from its exact amount. */
  micros: number;
}

export interface MachineLedger {
  machine: string;
  /** State at `now`; `terminated` once gone. */
  state: MachineState;
  /** Source of the price in force at `now` (or at termination). */
  source: string;
  spot: boolean;
  /** Micro-dollars accrued over every life of the machine. */
  accruedMicros: number;
  /** Micro-dollars accrued per charged state (pending is under running). */
  byState: Record<ChargedAs, number>;
  /** Micro-dollars per hour it costs at `now`. */
  burnPerHourMicros: number;
  /** Every interval of time, in order; zero-length ones are left out. */
  intervals: LedgerInterval[];
}

export interface Ledger {
  /** The instant the ledger is computed at, ISO 8601 (UTC). */
  now: string;
  /** Micro-dollars accrued by the session, rounded once from the exact total. */
  totalMicros: number;
  /** Micro-dollars per hour the session costs at `now`. */
  burnPerHourMicros: number;
  byState: Record<ChargedAs, number>;
  /** One entry per machine that was ever launched, by name in natural order (compute-2 before compute-10). */
  machines: MachineLedger[];
}

interface Life {
  compute: bigint;
  disk: bigint;
  address: bigint;
  state: MachineState;
  since: number;
}

interface Account {
  machine: string;
  life?: Life;
  terminated: boolean;
  source: string;
  spot: boolean;
  byState: Record<ChargedAs, bigint>;
  intervals: { from: number; to: number; state: MachineState; rate: bigint; exact: bigint }[];
}

function chargedAs(state: MachineState): ChargedAs | undefined {
  if (state === "pending" || state === "running") return "running";
  if (state === "stopped" || state === "hibernated") return state;
  return undefined;
}

function rateOf(life: Life): bigint {
  switch (chargedAs(life.state)) {
    case "running":
      return life.compute + life.disk + life.address;
    case "stopped":
    case "hibernated":
      return life.disk + life.address;
    case undefined:
      return 0n;
  }
}

/** Charges the open interval of a machine up to `t` and starts a new one there. */
function close(acc: Account, t: number): void {
  const life = acc.life;
  if (!life || acc.terminated || t <= life.since) return;
  const rate = rateOf(life);
  const exact = charge(rate, t - life.since);
  const as = chargedAs(life.state);
  if (as) acc.byState[as] += exact;
  acc.intervals.push({ from: life.since, to: t, state: life.state, rate, exact });
  life.since = t;
}

/** A price as an exact rate; a bad one is a LedgerError naming the event. */
function rate(usdPerHour: number, what: string, index: number): bigint {
  try {
    return picoPerHour(usdPerHour, what);
  } catch (e) {
    throw new LedgerError((e as Error).message, index);
  }
}

function lifeOf(price: LaunchPrice, state: MachineState, t: number, where: string, index: number): Life {
  return {
    compute: rate(price.computeUsdPerHour, `${where}: computeUsdPerHour`, index),
    disk: rate(price.diskUsdPerHour, `${where}: diskUsdPerHour`, index),
    address: rate(price.addressUsdPerHour ?? 0, `${where}: addressUsdPerHour`, index),
    state,
    since: t,
  };
}

const zero = (): Record<ChargedAs, bigint> => ({ running: 0n, stopped: 0n, hibernated: 0n });
const iso = (ms: number) => new Date(ms).toISOString();

function apply(accounts: Map<string, Account>, ev: LedgerEvent, t: number, index: number): void {
  const where = `event ${index} (${ev.type} ${ev.machine} at ${ev.at})`;
  let acc = accounts.get(ev.machine);
  if (ev.type === "launch") {
    if (acc) close(acc, t);
    const life = lifeOf(ev.price, ev.state ?? "pending", t, where, index);
    acc ??= { machine: ev.machine, terminated: false, source: "", spot: false, byState: zero(), intervals: [] };
    // A launch of a live machine replaces it (Pulumi replaces a machine whose type changed).
    Object.assign(acc, { life, terminated: life.state === "terminated", source: ev.price.source, spot: ev.price.spot });
    accounts.set(ev.machine, acc);
    return;
  }
  if (!acc?.life) throw new LedgerError(`${where}: machine '${ev.machine}' has no launch before this event`, index);
  if (acc.terminated) {
    if (ev.type === "terminate" || (ev.type === "state" && ev.state === "terminated")) return;
    throw new LedgerError(`${where}: machine '${ev.machine}' was terminated before this event; launch it again first`, index);
  }
  close(acc, t);
  if (ev.type === "price") {
    acc.life.compute = rate(ev.computeUsdPerHour, `${where}: computeUsdPerHour`, index);
    if (ev.source) acc.source = ev.source;
  } else if (ev.type === "terminate" || ev.state === "terminated") {
    acc.life.state = "terminated";
    acc.terminated = true;
  } else {
    acc.life.state = ev.state;
  }
}

function checkEvent(ev: LedgerEvent, index: number): void {
  if (!ev || typeof ev !== "object" || !["launch", "state", "price", "terminate"].includes((ev as { type: string }).type)) {
    throw new LedgerError(`event ${index}: type must be launch, state, price or terminate`, index);
  }
  if (typeof ev.machine !== "string" || ev.machine === "") throw new LedgerError(`event ${index}: a machine name is required`, index);
}

/**
 * The ledger of one session at `now` (ISO 8601 with a zone) from its events, in any order.
 * Throws LedgerError on input it cannot bill (see the module comment).
 */
export function buildLedger(events: readonly LedgerEvent[], now: string): Ledger {
  const end = timeOf(now, "now");
  const timed = events.map((ev, index) => {
    checkEvent(ev, index);
    return { ev, index, t: Math.min(timeOf(ev.at, `event ${index}`, index), end) };
  });
  timed.sort((a, b) => a.t - b.t || a.index - b.index);
  const accounts = new Map<string, Account>();
  for (const { ev, index, t } of timed) apply(accounts, ev, t, index);

  const machines: MachineLedger[] = [];
  const total = zero();
  let burn = 0n;
  for (const acc of accounts.values()) {
    close(acc, end);
    const life = acc.life!;
    const rate = acc.terminated ? 0n : rateOf(life);
    burn += rate;
    for (const k of Object.keys(total) as ChargedAs[]) total[k] += acc.byState[k];
    machines.push({
      machine: acc.machine,
      state: life.state,
      source: acc.source,
      spot: acc.spot,
      accruedMicros: microsOf(acc.byState.running + acc.byState.stopped + acc.byState.hibernated),
      byState: { running: microsOf(acc.byState.running), stopped: microsOf(acc.byState.stopped), hibernated: microsOf(acc.byState.hibernated) },
      burnPerHourMicros: microsPerHour(rate),
      intervals: acc.intervals.map((i) => ({
        from: iso(i.from),
        to: iso(i.to),
        state: i.state,
        ratePerHourMicros: microsPerHour(i.rate),
        micros: microsOf(i.exact),
      })),
    });
  }
  machines.sort((a, b) => a.machine.localeCompare(b.machine, "en", { numeric: true }));
  return {
    now: iso(end),
    totalMicros: microsOf(total.running + total.stopped + total.hibernated),
    burnPerHourMicros: microsPerHour(burn),
    byState: { running: microsOf(total.running), stopped: microsOf(total.stopped), hibernated: microsOf(total.hibernated) },
    machines,
  };
}
