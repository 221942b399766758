/**
 * Budgets: what `formations enforce` does about each session's spending (pure; the caller acts
 * through the batch engine and journals what it did with `enforcementEntry`).
 *
 * A session's budget is breached when its accrued cost reaches `usd` (exactly, in micro-dollars).
 * A breach is acted on ONCE: the same breach is the same budget amount with the same action, so
 * after a successful `stop` at $50.00 a user who starts the machines again is not stopped again
 * every minute; raising the budget (a new amount) or changing the action (notify → stop) makes a
 * new breach that is acted on when reached. An enforcement whose entry says `failed` does not
 * count, so a failed stop is retried on the next run.
 *
 * The idle rule lives in idle.ts and is re-exported here: `enforce` evaluates both.
 */
import type { JournalEntry } from "./journal.js";
import type { Ledger } from "./ledger.js";
import { formatUsd, usdToMicros } from "./money.js";

export type BudgetAction = "notify" | "stop" | "hibernate";

/** `lifecycle.budget` of a formation. */
export interface BudgetPolicy {
  /** Budget in USD for the life of the session. */
  usd: number;
  /** What to do when it is reached; default `notify` (as in the schema). */
  action?: BudgetAction;
}

/** A budget action already taken, as read from the journal. */
export interface Enforcement {
  at: string;
  usd: number;
  action: BudgetAction;
}

export interface SessionBudget {
  session: string;
  /** The session's ledger (only its total is read). */
  ledger: Pick<Ledger, "totalMicros">;
  /** The session's `lifecycle.budget`; absent = no budget. */
  budget?: BudgetPolicy;
  /** The session's journal, for the last enforcement. */
  journal?: readonly JournalEntry[];
}

export interface BudgetDecision {
  session: string;
  /** What to do now: `ok` = nothing (within budget, no budget, or this breach was already acted on). */
  decision: "ok" | BudgetAction;
  /** One line for the log: `budget $50.00 reached: accrued $51.20`. */
  reason: string;
  /** The accrued cost is at or over the budget. */
  breached: boolean;
  accruedMicros: number;
  /** The budget in micro-dollars, when there is one. */
  budgetMicros?: number;
  /** The enforcement already taken for this breach, when that is why the decision is `ok`. */
  alreadyActed?: Enforcement;
}

/** The last successful budget enforcement in a journal (by time; entries with action `budget`). */
export function lastEnforcement(journal: readonly JournalEntry[]): Enforcement | undefined {
  let last: Enforcement | undefined;
  let lastT = -Infinity;
  for (const e of journal) {
    if (e.action !== "budget" || e.result === "failed" || !e.budget) continue;
    const t = Date.parse(e.at);
    if (Number.isNaN(t) || t < lastT) continue;
    lastT = t;
    last = { at: e.at, usd: e.budget.usd, action: e.budget.action };
  }
  return last;
}

/** The decision for one session (see the module comment for "the same breach"). */
export function decideBudget(s: SessionBudget): BudgetDecision {
  const accruedMicros = s.ledger.totalMicros;
  const accrued = formatUsd(accruedMicros);
  if (!s.budget) return { session: s.session, decision: "ok", reason: `no budget: accrued ${accrued}`, breached: false, accruedMicros };
  const action = s.budget.action ?? "notify";
  const budgetMicros = usdToMicros(s.budget.usd);
  const budget = formatUsd(budgetMicros);
  const base = { session: s.session, accruedMicros, budgetMicros };
  if (accruedMicros < budgetMicros) return { ...base, decision: "ok", reason: `within budget ${budget}: accrued ${accrued}`, breached: false };
  const reason = `budget ${budget} reached: accrued ${accrued}`;
  const last = lastEnforcement(s.journal ?? []);
  if (last && usdToMicros(last.usd) === budgetMicros && last.action === action) {
    return { ...base, decision: "ok", reason: `${reason}; ${action} already taken at ${last.at}`, breached: true, alreadyActed: last };
  }
  return { ...base, decision: action, reason, breached: true };
}

/** One decision per session, in input order. */
export function decideBudgets(sessions: readonly SessionBudget[]): BudgetDecision[] {
  return sessions.map(decideBudget);
}

/**
 * The journal entry recording that a budget decision was acted on (append it after acting;
 * `result: "failed"` when the action failed, so that the next run tries again). It fits the
 * session layer's journal entry; the structured `budget` field rides along (the record keeps
 * unknown fields) and `detail` says the same for people.
 */
export function enforcementEntry(d: BudgetDecision, at: string, outcome: "ok" | "failed", actor = "enforce"): JournalEntry & { actor: string; result: string } {
  if (d.decision === "ok" || d.budgetMicros === undefined) throw new Error(`session ${d.session}: nothing to record, the decision is ok`);
  return {
    at,
    actor,
    action: "budget",
    result: outcome,
    detail: `${d.decision}: ${d.reason}`,
    budget: { usd: d.budgetMicros / 1e6, action: d.decision, accruedMicros: d.accruedMicros, reason: d.reason },
  };
}

export * from "./idle.js";
