/**
 * What the action verbs print: one line per result on stderr as results land (progress), a table
 * on stdout at the end, or with --json one JSON document on stdout (progress stays on stderr, so
 * `formations stop lab --json | jq` always reads valid JSON).
 */
import type { BatchReport } from "../automation/actions/batch-sessions.js";
import type { SessionActionResult } from "../automation/actions/paths.js";
import type { ActionReport } from "../automation/actions/session-actions.js";
import type { Sessions, SessionsOptions } from "../automation/sessions.js";
import type { Output } from "./output.js";
import { checkSessionName } from "../automation/session/naming.js";
import { reportError, table, withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

/** `lab/machine-1: stop done (running -> stopped)`, with the reason or fallback. */
export function resultLine(r: SessionActionResult): string {
  const states = r.outcome === "failed" ? "" : ` (${r.from} -> ${r.to})`;
  const note = r.error ?? r.fallback;
  return `${r.session}/${r.machine}: ${r.action} ${r.outcome}${states}${note ? `: ${note}` : ""}`;
}

/** The results as a table; `withSession` adds the session column (batches). */
export function resultsTable(results: readonly SessionActionResult[], withSession: boolean): string {
  const rows = results.map((r) => [...(withSession ? [r.session] : []), r.machine, r.outcome, r.from, r.to, r.error ?? r.fallback ?? ""]);
  return table([...(withSession ? ["SESSION"] : []), "MACHINE", "RESULT", "FROM", "TO", "NOTE"], rows);
}

/** `3 done, 1 no-op, 1 failed`. */
export function summaryText(results: readonly { outcome: string }[]): string {
  const n = (o: string) => results.filter((r) => r.outcome === o).length;
  return [`${n("done")} done`, `${n("no-op")} no-op`, `${n("failed")} failed`].join(", ");
}

/** The report's JSON document (formation-spec.md: extra fields may be added, none renamed). */
export function reportJson(r: ActionReport): Record<string, unknown> {
  return {
    session: r.session,
    action: r.action,
    results: r.results,
    refresh: r.refresh,
    ...(r.refreshError ? { refreshError: r.refreshError } : {}),
    notes: r.notes,
  };
}

export function batchJson(b: BatchReport): Record<string, unknown> {
  return {
    action: b.action,
    result: b.result,
    sessions: b.reports.map((r) => ({ session: r.session, refresh: r.refresh, ...(r.refreshError ? { refreshError: r.refreshError } : {}), notes: r.notes })),
    results: b.results,
    summary: b.summary,
  };
}

/** Prints a session action's outcome: table and notes, or the JSON document. */
export function printReport(r: ActionReport, json: boolean, io: Output): void {
  if (json) {
    io.out(JSON.stringify(reportJson(r), null, 2));
    return;
  }
  if (r.results.length) io.out(resultsTable(r.results, false));
  io.out(`session ${r.session}: ${r.action} ${summaryText(r.results)}${r.refresh === "ok" ? "; state refreshed" : ""}`);
  for (const n of r.notes) io.err(`formations: note: ${n}`);
  if (r.refreshError) io.err(`formations: refresh failed: ${r.refreshError}`);
}

/**
 * Flags for withSessions: progress never goes to stdout (it is reserved for the result), and the
 * Sessions runs `concurrency` sessions' actions at once (batches).
 */
export function actionRuntime(flags: SessionFlags, deps: SessionDeps, concurrency?: number): { flags: SessionFlags; deps: SessionDeps } {
  const make = async (o: SessionsOptions): Promise<Sessions> => {
    const opts = concurrency ? { ...o, concurrency } : o;
    return deps.makeSessions ? deps.makeSessions(opts) : new (await import("../automation/sessions.js")).Sessions(opts);
  };
  return { flags: { ...flags, json: false }, deps: { ...deps, makeSessions: make } };
}

/** Checks the session's name (exit 1 for a bad one), then runs `body` on a Sessions set up for an action. */
export async function withActionSession(
  session: string,
  flags: SessionFlags,
  io: Output,
  deps: SessionDeps,
  body: (s: Sessions) => Promise<number>,
): Promise<number> {
  try {
    checkSessionName(session);
  } catch (err) {
    return reportError(err, io);
  }
  const rt = actionRuntime(flags, deps);
  return withSessions(rt.flags, io, rt.deps, body);
}
