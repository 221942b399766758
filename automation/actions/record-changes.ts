/**
 * What actions write into the session record, inside the operation that holds the session:
 * desired states (so a later `up` keeps what an action did), snapshots, and one journal entry
 * per machine acted on (action, machine, from, to, result, who, when).
 */
import type { PowerState } from "../../plan/types.js";
import type { OpEnv } from "../session/engine-operations.js";
import { noRecord, readStoredSession, type StoredSession } from "../session/stored-session.js";
import { withJournal, type JournalEntry, type SessionRecord, type SnapshotEntry } from "../session/session-record.js";
import { readSession, writeRecord } from "../session/record-store.js";
import { TARGET_STATE, type ActionResult } from "./types.js";

/** A journal entry before its time and author are stamped. */
export type EntryDraft = Omit<JournalEntry, "at" | "actor">;

/** The session's record, plain outputs and plan, read fresh (another operation may have changed them). */
export async function readRecord(env: OpEnv, session: string): Promise<StoredSession> {
  return readStoredSession(await env.engine.selectStack(session), session);
}

/**
 * Reads the record, applies `change`, appends `entries` (stamped now, by the operation's actor),
 * writes it back to the stack and reports each entry as a `journal` event.
 */
export async function commit(
  env: OpEnv,
  session: string,
  change: (r: SessionRecord) => SessionRecord,
  entries: readonly EntryDraft[] = [],
): Promise<SessionRecord> {
  const stack = await env.engine.selectStack(session);
  // Read together, the record and the state the write merges into are one export (the engine joins them).
  const [{ record }, deployment] = await Promise.all([readSession(stack), stack.exportState()]);
  if (!record) throw noRecord(session);
  const at = env.now().toISOString();
  const full: JournalEntry[] = entries.map((e) => ({ at, actor: env.actor, ...e }));
  const next = withJournal(change(record), ...full);
  await writeRecord(stack, next, deployment, { exclusive: env.exclusive });
  for (const entry of full) env.emit({ type: "journal", session, at, entry });
  return next;
}

/**
 * The record with these machines' desired states set. Running brings back a machine removed
 * outside formations (the next `up` recreates it); another state leaves a removed machine removed.
 */
export function withDesired(record: SessionRecord, states: Readonly<Record<string, PowerState>>): SessionRecord {
  const desired = { ...record.desired };
  const removed = { ...record.removed };
  for (const [name, state] of Object.entries(states)) {
    if (state !== "running" && removed[name]) continue;
    desired[name] = state;
    delete removed[name];
  }
  return { ...record, desired, removed };
}

/** The record with the desired states and removals of `prior` put back for these machines (a failed update). */
export function restoreDesired(record: SessionRecord, prior: SessionRecord, names: readonly string[]): SessionRecord {
  const desired = { ...record.desired };
  const removed = { ...record.removed };
  for (const n of names) {
    if (prior.desired[n] === undefined) delete desired[n];
    else desired[n] = prior.desired[n];
    if (prior.removed[n]) removed[n] = prior.removed[n];
    else delete removed[n];
  }
  return { ...record, desired, removed };
}

const POWER = new Set<string>(["running", "stopped", "hibernated"]);

/**
 * The desired state to record after a driver acted: where the machine ended up when that is a
 * power state, else where the action leads (a machine still `pending` on its way). Nothing for a
 * failure, a snapshot, or a machine that is gone (refresh records a removal with its resources).
 */
export function desiredAfter(r: ActionResult): PowerState | undefined {
  if (r.outcome === "failed" || r.action === "snapshot" || r.action === "terminate") return undefined;
  if (POWER.has(r.to)) return r.to as PowerState;
  if (r.to === "terminated" || r.to === "interrupted") return undefined;
  const target = TARGET_STATE[r.action];
  return POWER.has(target) ? (target as PowerState) : undefined;
}

/** The journal entry of one result. */
export function entryOf(r: ActionResult): EntryDraft {
  const detail = [r.error, r.fallback, r.imageId && r.action !== "snapshot" ? `image ${r.imageId}` : undefined].filter(Boolean).join("; ");
  return { action: r.action, machine: r.machine, from: r.from, to: r.to, result: r.outcome === "done" ? "ok" : r.outcome, ...(detail ? { detail } : {}) };
}

/** Snapshots a driver took on its own (a one-time spot machine imaged before it was terminated). */
export function fallbackSnapshots(results: readonly ActionResult[], at: string): SnapshotEntry[] {
  return results
    .filter((r) => r.imageId && r.action !== "snapshot" && r.outcome === "done")
    .map((r) => ({ machine: r.machine, name: r.imageId!, id: r.imageId!, at, reason: r.fallback ?? r.action }));
}
