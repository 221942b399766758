/**
 * A session's cost ledger, from its journal (cost/ledger.ts does the arithmetic): the one source
 * of cost truth for `show`, `sessions`, `cost` and `enforce`. Each machine is charged at the
 * price its `up` captured at launch (journal entry `prices`); a machine launched by a version
 * that did not record prices is charged at today's catalog, and the ledger says so.
 */
import type { ProviderCatalog } from "../plan/catalog.js";
import type { SessionPlan } from "../plan/types.js";
import { LedgerError, type LaunchPrice } from "./events.js";
import { eventsFromJournal, type JournalEntry } from "./journal.js";
import { buildLedger, type Ledger } from "./ledger.js";
import { priceAtLaunch } from "./price.js";
import { billingNote } from "../plan/managed-service.js";

export interface SessionLedger {
  /** Undefined when the journal cannot be billed (see `error`). */
  ledger?: Ledger;
  /** Why there is no ledger: a journal entry the ledger cannot read (a bad time, an event after a termination). */
  error?: string;
  /** What makes the amounts less than exact (prices read from today's catalog, a capped journal). */
  warnings: string[];
  /** The first successful `up`: what the amounts count from. */
  since?: string;
}

const ZERO: LaunchPrice = { computeUsdPerHour: 0, diskUsdPerHour: 0, source: "no launch price recorded", spot: false };

/** Names the journal mentions that the current plan no longer has (machines scaled away). */
function formerMachines(journal: readonly JournalEntry[], current: ReadonlySet<string>): string[] {
  const names = new Set<string>();
  for (const e of journal) for (const n of [...(e.added ?? []), ...(e.dropped ?? []), ...(e.machine ? [e.machine] : [])]) if (!current.has(n)) names.add(n);
  return [...names];
}

/** The ledger of a session at `now`, from its journal, its plan and its cloud's catalog of today (a fallback for launches that recorded no price). */
export function sessionLedger(catalog: ProviderCatalog, plan: SessionPlan, journal: readonly JournalEntry[], now: Date): SessionLedger {
  const names = new Set(plan.machines.map((m) => m.name));
  const fallback: Record<string, LaunchPrice> = Object.fromEntries(plan.machines.map((m) => [m.name, priceAtLaunch(catalog, m)]));
  for (const n of formerMachines(journal, names)) fallback[n] = ZERO;
  const since = journal
    .filter((e) => e.action === "up" && e.result === "ok")
    .map((e) => e.at)
    .sort()[0];
  const base = since ? { since } : {};
  // A managed cluster's bill is the service's: whether a stop ends it is worth saying beside the amounts.
  const bill = billingNote(
    plan.provider,
    plan.machines.filter((m) => m.managedBy === "bigdata" && !m.removed),
  );
  const service = bill ? [bill] : [];
  try {
    const { events, warnings } = eventsFromJournal(journal, { machines: [...names], prices: fallback });
    const fromCatalog = new Set<string>();
    const unpriced = new Set<string>();
    for (const ev of events) {
      if (ev.type !== "launch" || ev.price !== fallback[ev.machine]) continue;
      (ev.price === ZERO ? unpriced : fromCatalog).add(ev.machine);
    }
    if (fromCatalog.size)
      warnings.push(
        `no launch price recorded for ${[...fromCatalog].join(", ")} (launched by an older formations): charged at today's catalog (${catalog.source})`,
      );
    if (unpriced.size) warnings.push(`no launch price recorded for ${[...unpriced].join(", ")}, no longer in the formation: counted as $0`);
    return { ledger: buildLedger(events, now.toISOString()), warnings: [...warnings, ...service], ...base };
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    return { error: `the journal cannot be billed: ${err.message}`, warnings: service, ...base };
  }
}
