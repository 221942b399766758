/**
 * `formations enforce` as a library call (for cron or a pipeline): every session's budget
 * (`lifecycle.budget`, cost/budget.ts) and idle rule (`lifecycle.autoStop` with the idle agent's
 * last verdicts, cost/idle.ts), decided from the session's own ledger and journal, acted on
 * through the session actions (`Sessions.stop` / `hibernate`: clusters in tier order, the
 * provider's path; on Azure `stop` deallocates, which a guest shutdown never does), and journaled
 * with the reason. A budget breach is acted on once (its `budget` entry); a failed action is
 * journaled as failed, so the next run tries again.
 */
import pLimit from "p-limit";
import {
  decideBudget,
  decideIdle,
  enforcementEntry,
  usdToMicros,
  type BudgetDecision,
  type IdleDecision,
  type IdleInput,
  type IdleVerdict,
} from "../../cost/index.js";
import type { ActionReport } from "../actions/session-actions.js";
import type { JournalEntry } from "../session/session-record.js";
import type { Sessions } from "../sessions.js";
import type { SessionDetails } from "../session/show.js";
import { withVerdicts, type VerdictSource } from "./verdicts.js";

export interface EnforceOptions {
  /** Only sessions with all these labels (`k=v`). */
  labels?: readonly string[];
  /** Decide and report; act on nothing, journal nothing. */
  dryRun?: boolean;
  /** The clock (default: now); give `Sessions` the same one. */
  now?: () => Date;
  /** Where idle verdicts come from (default: the Docker engine for docker sessions; see policy/verdicts.ts). */
  verdicts?: VerdictSource;
  /** Sessions checked at once (default 4). */
  concurrency?: number;
  /** A `busy`/`idle` verdict older than this is not trusted (default 10 minutes). */
  maxVerdictAgeMinutes?: number;
}

/** One machine's result of an enforcement action. */
export interface MachineOutcome {
  machine: string;
  outcome: "done" | "no-op" | "failed";
  from: string;
  to: string;
  error?: string;
  fallback?: string;
}

/** Something enforce did (or, with dryRun, would do). */
export interface Enforcement {
  session: string;
  rule: "budget" | "idle";
  /** The machine (idle rule); absent: the whole session (budget). */
  machine?: string;
  action: "notify" | "stop" | "hibernate";
  /** Why, in one line. */
  reason: string;
  /** notified: a notify budget, reported and journaled; dry-run: nothing done. */
  outcome: "done" | "no-op" | "failed" | "notified" | "dry-run";
  results: MachineOutcome[];
  error?: string;
}

export interface SessionCheck {
  session: string;
  /** Absent when the session has no budget. */
  budget?: { decision: BudgetDecision["decision"]; breached: boolean; reason: string };
  /** One per machine of a session with auto-stop; empty without it. */
  idle: IdleDecision[];
  /** Why the session could not be checked. */
  error?: string;
}

export interface EnforceReport {
  at: string;
  dryRun: boolean;
  sessions: SessionCheck[];
  actions: Enforcement[];
  /** Actions that failed plus sessions that could not be checked: exit 3 when not 0. */
  failed: number;
}

const CHANGED_NOTHING = new Set<string | undefined>(["failed", "cancelled"]);

/** When the machine was last started: the newest entry that left it (or every machine) running, or an up that created it. */
export function lastStart(journal: readonly JournalEntry[], machine: string): string | undefined {
  let last: string | undefined;
  for (const e of journal) {
    if (CHANGED_NOTHING.has(e.result)) continue;
    const about = e.machine === undefined || e.machine === machine;
    const started = (about && e.to === "running") || (e.action === "up" && (e.added ?? []).includes(machine));
    if (started && (last === undefined || Date.parse(e.at) > Date.parse(last))) last = e.at;
  }
  return last;
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n")[0]!;

/** Runs a session action; never throws: a failure is an outcome. */
async function act(
  sessions: Sessions,
  session: string,
  action: "stop" | "hibernate",
  machine?: string,
): Promise<Pick<Enforcement, "outcome" | "results" | "error">> {
  let report: ActionReport;
  try {
    report = await sessions[action](session, machine ? { machine } : {});
  } catch (err) {
    return { outcome: "failed", results: [], error: firstLine(err) };
  }
  const results = report.results.map((r): MachineOutcome => ({
    machine: r.machine,
    outcome: r.outcome,
    from: r.from,
    to: r.to,
    ...(r.error ? { error: r.error } : {}),
    ...(r.fallback ? { fallback: r.fallback } : {}),
  }));
  if (results.some((r) => r.outcome === "failed")) return { outcome: "failed", results };
  if (report.refresh === "failed")
    return { outcome: "failed", results, error: `acted, but the refresh after it failed: ${report.refreshError ?? "see formations refresh"}` };
  return { outcome: results.every((r) => r.outcome === "no-op") ? "no-op" : "done", results };
}

function idleInputs(d: SessionDetails, journal: readonly JournalEntry[]): IdleInput[] {
  const idleMinutes = d.lifecycle.autoStop?.idleMinutes;
  return d.machines.map((m) => {
    const start = lastStart(journal, m.name);
    return {
      session: d.session,
      machine: m.name,
      state: m.state,
      ...(idleMinutes !== undefined ? { idleMinutes } : {}),
      ...(m.idle?.verdict ? { verdict: m.idle.verdict } : {}),
      ...(m.idle?.changesOnly ? { changesOnly: true } : {}),
      ...(start ? { lastStartAt: start } : {}),
    };
  });
}

async function enforceSession(sessions: Sessions, session: string, opts: EnforceOptions, at: string, actions: Enforcement[]): Promise<SessionCheck> {
  const shown = await sessions.show(session);
  // Nothing to enforce: skip reading the journal (a state read per session on a remote backend).
  if (!shown.lifecycle.budget && !shown.lifecycle.autoStop) return { session, idle: [] };
  // Cloud consoles too: the idle rule has nothing to go on without the verdicts.
  // Docker: the agent runs from outside, once per enforce run, before its verdict is read.
  const d = shown.lifecycle.autoStop ? await withVerdicts(shown, opts.verdicts ? { source: opts.verdicts } : { clouds: true, watch: true }) : shown;
  const journal = await sessions.journal(session);
  const check: SessionCheck = { session, idle: [] };

  let stoppedAll = false;
  if (d.lifecycle.budget) {
    const b = decideBudget({ session, ledger: { totalMicros: usdToMicros(d.cost.soFarUsd) }, budget: d.lifecycle.budget, journal });
    check.budget = { decision: b.decision, breached: b.breached, reason: b.reason };
    if (b.decision !== "ok") {
      const base = { session, rule: "budget" as const, action: b.decision, reason: b.reason };
      if (opts.dryRun) actions.push({ ...base, outcome: "dry-run", results: [] });
      else {
        const done = b.decision === "notify" ? { outcome: "notified" as const, results: [] } : await act(sessions, session, b.decision);
        actions.push({ ...base, ...done });
        stoppedAll = b.decision !== "notify" && done.outcome !== "failed";
        const e = enforcementEntry(b, at, done.outcome === "failed" ? "failed" : "ok", "enforce");
        await sessions.appendJournal(session, {
          action: e.action,
          result: e.result,
          ...(e.detail ? { detail: e.detail } : {}),
          ...(e.budget ? { budget: e.budget } : {}),
        });
      }
    }
  }

  if (d.lifecycle.autoStop) {
    check.idle = decideIdle(idleInputs(d, journal), at, opts.maxVerdictAgeMinutes !== undefined ? { maxVerdictAgeMinutes: opts.maxVerdictAgeMinutes } : {});
    // A budget stop of the whole session this run already stopped them.
    for (const i of stoppedAll ? [] : check.idle.filter((x) => x.stop)) {
      const base = { session, rule: "idle" as const, machine: i.machine, action: "stop" as const, reason: i.reason };
      if (opts.dryRun) {
        actions.push({ ...base, outcome: "dry-run", results: [] });
        continue;
      }
      const done = await act(sessions, session, "stop", i.machine);
      actions.push({ ...base, ...done });
      await sessions.appendJournal(session, idleEntry(i, done, d.machines.find((m) => m.name === i.machine)?.idle?.verdict));
    }
  }
  return check;
}

/**
 * Why enforce stopped a machine. When the provider found it already stopped (the agent's own
 * shutdown), the entry also records it stopped as of the agent's verdict, so the ledger stops
 * charging compute from then, not from this run.
 */
function idleEntry(
  i: IdleDecision,
  done: Pick<Enforcement, "outcome" | "results" | "error">,
  verdict: IdleVerdict | undefined,
): Omit<JournalEntry, "at" | "actor"> & Partial<JournalEntry> {
  const r = done.results.find((x) => x.machine === i.machine);
  const stoppedByAgent = verdict?.verdict === "stopping" && r?.outcome === "no-op" && r.from === "stopped";
  return {
    action: "idle-stop",
    machine: i.machine,
    result: done.outcome === "failed" ? "failed" : "ok",
    detail: `${done.error ? `${done.error}; ` : ""}${i.reason}`,
    ...(stoppedByAgent ? { at: verdict.at, to: "stopped" } : {}),
  };
}

/** Checks every session (matching `labels`) and acts on what its rules say. */
export async function enforce(sessions: Sessions, opts: EnforceOptions = {}): Promise<EnforceReport> {
  const at = (opts.now ?? (() => new Date()))().toISOString();
  const list = await sessions.list({ labels: opts.labels ?? [] });
  const limit = pLimit(opts.concurrency ?? 4);
  const actions: Enforcement[] = [];
  const checks = await Promise.all(
    list.map((s) =>
      limit(async (): Promise<SessionCheck> => {
        const mine: Enforcement[] = [];
        try {
          return await enforceSession(sessions, s.session, opts, at, mine);
        } catch (err) {
          return { session: s.session, idle: [], error: firstLine(err) };
        } finally {
          actions.push(...mine);
        }
      }),
    ),
  );
  // Sessions in name order, their actions in the order they were taken.
  const order = new Map(list.map((s, i) => [s.session, i]));
  actions.sort((a, b) => order.get(a.session)! - order.get(b.session)!);
  return {
    at,
    dryRun: opts.dryRun ?? false,
    sessions: checks,
    actions,
    failed: actions.filter((a) => a.outcome === "failed").length + checks.filter((c) => c.error).length,
  };
}
