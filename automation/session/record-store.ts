/**
 * The session record in its stack: read from the backend's state (outputs) and the workspace's
 * config, whichever is newer; written to both (config, then the root stack's outputs in the
 * state); tags kept in step with the formation's labels and the session's summary. See
 * session-record.ts for why the record is kept twice.
 */
import type { Deployment, EngineStack, OutputValue } from "./engine.js";
import { classify, ConcurrentUpdateError, DamagedRecordError, PendingOperationsError } from "./errors.js";
import { isOurTag, labelsToTags, SUMMARY_TAGS } from "./naming.js";
import {
  mergeJournals,
  mergeSnapshots,
  newest,
  OUTPUT_RECORD,
  OUTPUT_TEXT,
  readRecordConfig,
  readRecordOutputs,
  recordToConfig,
  type SessionRecord,
} from "./session-record.js";
import { pendingOperations, rootStack, withoutPendingOperations, withRecord } from "./stack-state.js";

export interface StoredSession {
  record: SessionRecord | undefined;
  /** The stack's outputs, secrets decrypted (never print them whole). */
  outputs: Record<string, OutputValue>;
}

/**
 * Reads the record (and outputs) of a stack. A stack that never completed an update has neither.
 * A copy with a damaged part (a truncated journal) is never read as empty, which the next write
 * would make permanent: the other copy is used when it is intact, else the read fails (exit 3)
 * before anything is written.
 */
export async function readSession(stack: EngineStack): Promise<StoredSession> {
  const [outputs, config] = await Promise.all([stack.outputs().catch(() => ({}) as Record<string, OutputValue>), stack.getConfig().catch(() => ({}))]);
  const fromState = readRecordOutputs(outputs);
  const fromConfig = readRecordConfig(config);
  if (fromState.damaged.length === 0 && fromConfig.damaged.length === 0) return { record: newest(fromState.record, fromConfig.record), outputs };
  const intact = [fromState, fromConfig].find((r) => r.record !== undefined && r.damaged.length === 0);
  if (intact) return { record: intact.record, outputs };
  throw new DamagedRecordError(stack.name, [...fromConfig.damaged, ...fromState.damaged]);
}

/** Plain output values (what the component exported), for shaping `show` and drift. */
export function plainOutputs(outputs: Record<string, OutputValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
}

/**
 * Writes the record: to config (unless the workspace's config is private: then only when the
 * state cannot take it), then into the state's root stack outputs (when the state has a root
 * stack), so a pipeline elsewhere reads it back. `deployment` saves an export
 * when the caller already has a fresh one.
 *
 * `pulumi stack import` drops pending operations (with a warning): so the state is left alone
 * while it has any, lest writing a journal entry hide an interrupted update. Only `clearPending`
 * (refresh --clear-pending, which the user asked for) imports it then.
 */
export async function writeRecord(stack: EngineStack, record: SessionRecord, deployment?: Deployment, opts: WriteOptions = {}): Promise<SessionRecord> {
  // A private workspace's config is read by nobody else: mirrored there only when the state cannot take the record.
  const mirror = async (r: SessionRecord) => {
    if (stack.privateConfig) await stack.setConfig(recordToConfig(r));
    return r;
  };
  try {
    return await writeToState(stack, record, deployment, opts, mirror);
  } catch (err) {
    await mirror(record).catch(() => undefined);
    throw err;
  }
}

async function writeToState(
  stack: EngineStack,
  record: SessionRecord,
  deployment: Deployment | undefined,
  opts: WriteOptions,
  mirror: (r: SessionRecord) => Promise<SessionRecord>,
): Promise<SessionRecord> {
  if (!stack.privateConfig) await stack.setConfig(recordToConfig(record));
  const deadline = Date.now() + (opts.waitMs ?? WRITE_WAIT_MS);
  let rewrites = 0;
  for (let attempt = 0; ; attempt++) {
    const d = attempt === 0 && deployment ? deployment : await stack.exportState();
    const pending = pendingOperations(d).length > 0;
    if (pending && !opts.clearPending) return mirror(record);
    // Another process may have written the record since this one read it: keep its entries too.
    const merged = mergeStored(record, d);
    const patched = withRecord(d, merged) ?? (pending ? withoutPendingOperations(d) : undefined);
    if (!patched) return mirror(merged);
    try {
      await stack.importState(patched, { exclusive: opts.exclusive === true });
      // An import is not a compare-and-swap: another writer that exported before ours landed may
      // have imported over it. Read back; if an entry of ours is missing, write again on top.
      // Holding the session lock, no other writer exists: the read back (an export) is skipped.
      if (!opts.exclusive && !hasAll(await stack.exportState(), merged)) {
        if (Date.now() > deadline || ++rewrites > 5) return mirror(merged);
        continue;
      }
      if (merged !== record && !stack.privateConfig) await stack.setConfig(recordToConfig(merged));
      return merged;
    } catch (err) {
      // The import needs the stack's lock: another operation took it between this one's update and
      // its record. Wait for it and write on top of what it wrote, or the journal would lose an entry.
      const e = classify(err, { session: stack.name, action: "record" });
      if (!(e instanceof ConcurrentUpdateError) || e.stale || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * 2 ** attempt)));
    }
  }
}

/** How long writeRecord waits for another operation's lock before giving up (its update may be long). */
export const WRITE_WAIT_MS = 15 * 60_000;

export interface WriteOptions {
  /** Import even while the state has pending operations (refresh --clear-pending: the user asked for them gone). */
  clearPending?: boolean;
  /** How long to wait for another holder of the stack's lock (default WRITE_WAIT_MS). */
  waitMs?: number;
  /**
   * The writer holds the backend's session lock (OpEnv.exclusive): no other formations process
   * writes this record meanwhile, so the import is not read back to find entries lost to a race.
   */
  exclusive?: boolean;
}

/** Whether the state's record holds every journal entry of `record` (the limit aside). */
function hasAll(d: Deployment, record: SessionRecord): boolean {
  const stored = readRecordOutputs({
    [OUTPUT_TEXT]: { value: "-", secret: false },
    [OUTPUT_RECORD]: { value: rootStack(d)?.outputs?.[OUTPUT_RECORD], secret: false },
  }).record;
  return stored !== undefined && mergeJournals(stored.journal, record.journal).length === stored.journal.length;
}

/** `record` with the journal and snapshots the state holds merged in; `record` itself when the state adds nothing. */
function mergeStored(record: SessionRecord, d: Deployment): SessionRecord {
  const stored = readRecordOutputs({
    [OUTPUT_TEXT]: { value: "-", secret: false },
    [OUTPUT_RECORD]: { value: rootStack(d)?.outputs?.[OUTPUT_RECORD], secret: false },
  }).record;
  if (!stored) return record;
  const journal = mergeJournals(stored.journal, record.journal);
  const snapshots = mergeSnapshots(stored.snapshots, record.snapshots);
  if (journal.length === record.journal.length && snapshots.length === record.snapshots.length) return record;
  return { ...record, journal, snapshots };
}

/**
 * Fails with the recovery steps when an interrupted update left pending operations, or with the
 * engine's busy error when they belong to an update still running elsewhere.
 */
export async function assertNoPending(stack: EngineStack, session: string, d: Deployment): Promise<void> {
  const pending = pendingOperations(d);
  if (!pending.length) return;
  try {
    await stack.assertUnlocked();
  } catch (err) {
    // A lock nobody will release (its process was killed with the update) is part of the wreck, not a busy session.
    const e = classify(err, { session, action: "check" });
    if (e instanceof ConcurrentUpdateError && e.stale) throw new PendingOperationsError(session, pending, e.details, e.holder);
    throw err;
  }
  throw new PendingOperationsError(session, pending);
}

/**
 * Removes the session's lock when every holder is a process of this machine that no longer runs
 * (an update killed with its engine), for `refresh --clear-pending`. A live holder, or one on
 * another machine, is left alone: the session is busy (exit 3, naming it). Returns the holder removed.
 */
export async function removeStaleLock(stack: EngineStack, session: string): Promise<string | undefined> {
  try {
    await stack.assertUnlocked();
    return undefined;
  } catch (err) {
    const e = classify(err, { session, action: "refresh" });
    if (!(e instanceof ConcurrentUpdateError) || !e.stale) throw e;
    await stack.cancel();
    return e.holder;
  }
}

export interface Summary {
  formation: string;
  kind: string;
  provider: string;
  machines: number;
  hourlyUsd: number;
}

/** The tags a session's stack should carry: its labels and its summary. */
export function desiredTags(labels: Readonly<Record<string, string>>, s: Summary): Record<string, string> {
  return {
    ...labelsToTags(labels),
    [SUMMARY_TAGS.formation]: s.formation,
    [SUMMARY_TAGS.kind]: s.kind,
    [SUMMARY_TAGS.provider]: s.provider,
    [SUMMARY_TAGS.machines]: String(s.machines),
    [SUMMARY_TAGS.hourlyUsd]: s.hourlyUsd.toFixed(4),
  };
}

/** What to set and remove so `current` becomes `wanted` (only among the tags formations owns). */
export function tagChanges(
  current: Readonly<Record<string, string>>,
  wanted: Readonly<Record<string, string>>,
): { set: Record<string, string>; remove: string[] } {
  const set = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => current[k] !== v));
  const remove = Object.keys(current).filter((k) => isOurTag(k) && !(k in wanted));
  return { set, remove };
}

/**
 * Brings the stack's tags in line. Tags are an index for `sessions --label`, not the record: a
 * backend that cannot store them (file backends before Pulumi 3.211) must not fail the operation,
 * so a failure is reported to `warn` and `list` falls back to reading each session's state.
 */
export async function syncTags(stack: EngineStack, wanted: Record<string, string>, warn: (message: string) => void): Promise<void> {
  try {
    const { set, remove } = tagChanges(await stack.getTags(), wanted);
    if (Object.keys(set).length || remove.length) await stack.setTags(set, remove);
  } catch (err) {
    warn(`could not tag the session's stack (labels will be read from its state instead): ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
}
