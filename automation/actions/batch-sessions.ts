/**
 * `stop-all` / `terminate-all`: one action over every machine of the sessions matching a label
 * selector (or of one session), all sessions at once under one parallelism bound shared by their
 * provider calls, each session in its own tier order and under its own lock, and exactly one
 * result per machine (done, no-op, failed with why) whatever happens to the others. A machine
 * that cannot be stopped (one-time spot) is imaged and terminated by its driver, never left
 * running; its result says so.
 */
import pLimit from "p-limit";
import { StackNotFoundError } from "../session/errors.js";
import { UserError } from "../../user-error.js";
import { checkSessionName, matchesSelector, parseSelector } from "../session/naming.js";
import { BATCH_DEFAULTS } from "./batch.js";
import type { ActionCallOptions, ActionReport, Lifecycle } from "./session-actions.js";
import type { SessionActionResult } from "./paths.js";

export type BatchActionName = "stop" | "terminate";

export interface BatchCallOptions extends Omit<ActionCallOptions, "machine" | "wait" | "limit" | "onTier"> {
  /** Sessions whose labels match all of these (`{ team: "bio" }` or `["team=bio"]`); none: every session. */
  labels?: Readonly<Record<string, string>> | readonly string[];
  /** Only this session (all its machines). */
  session?: string;
  /** Asked with the sessions about to be acted on; false cancels with nothing done. */
  confirm?: (plan: { action: BatchActionName; sessions: string[] }) => boolean | Promise<boolean>;
}

export interface BatchReport {
  action: BatchActionName;
  /** The sessions selected. */
  sessions: string[];
  /** `declined` when `confirm` said no (nothing was done). */
  result: "ok" | "declined";
  /** One per machine; a session that could not be read at all gives one result with machine `*`. */
  results: SessionActionResult[];
  /** Per session: the refresh after acting, and notes. */
  reports: ActionReport[];
  summary: { done: number; "no-op": number; failed: number };
}

/** The sessions a batch acts on. `--session` names one that must exist (exit 1 otherwise). */
async function selectSessions(life: Lifecycle, opts: BatchCallOptions): Promise<string[]> {
  const selector = Array.isArray(opts.labels) ? parseSelector(opts.labels as readonly string[]) : ((opts.labels ?? {}) as Record<string, string>);
  if (opts.session !== undefined) checkSessionName(opts.session);
  const listed = await life.list({});
  if (opts.session !== undefined && !listed.some((s) => s.session === opts.session)) throw new StackNotFoundError(opts.session);
  return listed.filter((s) => (opts.session === undefined || s.session === opts.session) && matchesSelector(s.labels, selector)).map((s) => s.session);
}

export async function runSessionsBatch(life: Lifecycle, action: BatchActionName, opts: BatchCallOptions = {}): Promise<BatchReport> {
  const sessions = await selectSessions(life, opts);
  const empty = { action, sessions, results: [], reports: [], summary: { done: 0, "no-op": 0, failed: 0 } };
  if (opts.confirm && sessions.length && !(await opts.confirm({ action, sessions }))) return { ...empty, result: "declined" };
  const { labels: _l, session: _s, confirm: _c, ...call } = opts;
  // One bound for every provider call of the batch, whichever session it belongs to.
  const limit = pLimit(opts.concurrency ?? BATCH_DEFAULTS.concurrency);
  const settled = await Promise.all(
    sessions.map(async (session): Promise<ActionReport> => {
      try {
        return await life.act(action, session, { ...call, limit, wait: true });
      } catch (err) {
        // The session could not be acted on at all (busy elsewhere, unreadable, engine down): one result says why.
        const error = err instanceof Error ? err.message.split("\n")[0]! : String(err);
        const r: SessionActionResult = { session, machine: "*", action, outcome: "failed", from: "unknown", to: "unknown", error, path: "driver" };
        opts.onResult?.(r);
        return { session, action, results: [r], refresh: "skipped", notes: err instanceof UserError ? [] : ["unexpected error: see the message"] };
      }
    }),
  );
  const results = settled.flatMap((r) => r.results);
  const count = (o: SessionActionResult["outcome"]) => results.filter((r) => r.outcome === o).length;
  return { ...empty, result: "ok", results, reports: settled, summary: { done: count("done"), "no-op": count("no-op"), failed: count("failed") } };
}
