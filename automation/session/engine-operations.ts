/**
 * The bodies of the engine operations on one session (up and preview, refresh, destroy), run by
 * Sessions inside the OperationRunner (which holds the session and a concurrency slot). Each
 * keeps the session record in step: written before an update so the program and the Pulumi CLI
 * see it, and again after every operation with its journal entry.
 */
import { availableParallelism } from "node:os";
import { pricesForUp } from "../../cost/launch.js";
import type { Formation } from "../../format/types.js";
import { catalogFor } from "../../clouds/index.js";
import { planSession, withDesiredStates } from "../../plan/index.js";
import type { SessionPlan } from "../../plan/types.js";
import type { Engine, EngineEvent, EngineStack } from "./engine.js";
import { ConcurrentUpdateError, classify, engineSummary } from "./errors.js";
import type { SessionEvent } from "./events.js";
import { applyDrift, detectDrift, excludedUrns, machinesSilentOnPower, type DriftChange, type Observed } from "./drift.js";
import { sessionProgram } from "./inline-program.js";
import { noRecord } from "./stored-session.js";
import { emptyRecord, recordToConfig, withJournal, type JournalEntry, type SessionRecord } from "./session-record.js";
import { machinesOf, pendingOperations, resourcesOf } from "./stack-state.js";
import { assertNoPending, desiredTags, plainOutputs, readSession, removeStaleLock, syncTags, writeRecord } from "./record-store.js";

/**
 * How many resource operations an update runs at once. Pulumi's default is 4 per CPU: 8 on a
 * 2-core machine, where a Pool of 10 was created in two waves, the second waiting for the first.
 * Here: every machine's resources at once (about two each, plus the session's own), never less
 * than Pulumi's default, and raised above it to 64 at most (its default on a 16-core machine; the
 * providers retry a throttled cloud call). PULUMI_PARALLEL, when set, is the user's choice and wins (undefined).
 */
export function upParallelism(machines: number, env: NodeJS.ProcessEnv = process.env, cpus = availableParallelism()): number | undefined {
  if (env.PULUMI_PARALLEL?.trim()) return undefined;
  return Math.max(4 * cpus, Math.min(UP_PARALLEL_MAX, 2 * machines + 8));
}

export const UP_PARALLEL_MAX = 64;

/** What an operation body needs from Sessions. */
export interface OpEnv {
  engine: Engine;
  signal: AbortSignal;
  /** ISO start time of the operation: its journal entry's `at`. */
  startedAt: string;
  /** The backend's session lock is held for this operation: record writes need not read themselves back. */
  exclusive: boolean;
  actor: string;
  now: () => Date;
  emit: (e: SessionEvent) => void;
  onEngineEvent: (session: string) => (e: EngineEvent) => void;
  /**
   * Reads the named machines' states from their provider (the action drivers' reading), for
   * refresh's drift where the engine's state says nothing of a machine's power (a Docker
   * container's resource has no status). Absent: such machines are left alone.
   */
  observe?: (session: string, record: SessionRecord, outputs: Record<string, unknown>, machines: readonly string[]) => Promise<Record<string, Observed>>;
  /**
   * Terminates the session's machines the cloud holds and the state does not know (`known`
   * provider ids): what a killed update's creates left. Returns them as `machine (id)`. Absent:
   * nothing is swept.
   */
  sweep?: (session: string, record: SessionRecord, outputs: Record<string, unknown>, known: ReadonlySet<string>) => Promise<string[]>;
}

export interface DeployResult {
  session: string;
  /** `declined` when the preview was not confirmed (nothing changed). */
  result: "ok" | "declined";
  changes: Record<string, number>;
  /** The session's machines as the update left them (empty for a preview). */
  machines: { name: string; cloudId: string; [k: string]: unknown }[];
  hourlyUsd: number;
}

export interface RefreshResult {
  session: string;
  changes: Record<string, number>;
  /** Machines found stopped, started or deleted outside formations, now recorded. */
  drift: DriftChange[];
  /** Pending operations dropped by `clearPending`: check the cloud for these resources. */
  cleared: { urn: string; type: string }[];
  /** Machines the interrupted creates left in the cloud, unknown to the state, terminated by `clearPending` (`machine (id)`). */
  leftovers: string[];
}

export interface DeployInput {
  session: string;
  formation: Formation;
  /** The formation's plan for this session, when the caller has made it already (a stored session); else it is made here. */
  plan?: SessionPlan;
  text: string;
  file: string;
  mode: "apply" | "preview" | { confirm: (p: { session: string; changes: Record<string, number>; created: boolean }) => boolean | Promise<boolean> };
}

const pick = <T>(o: Readonly<Record<string, T>>, keep: ReadonlySet<string>) => Object.fromEntries(Object.entries(o).filter(([k]) => keep.has(k)));

function journal(env: OpEnv, session: string, record: SessionRecord, entry: Omit<JournalEntry, "at" | "actor">, at = env.startedAt): SessionRecord {
  const full = { at, actor: env.actor, ...entry };
  env.emit({ type: "journal", session, at: env.now().toISOString(), entry: full });
  return withJournal(record, full);
}

/**
 * Records a failed or cancelled operation, best effort: never over a busy session's state (the
 * other holder is writing it), and never hiding the original error.
 */
async function recordFailure(
  env: OpEnv,
  stack: EngineStack,
  session: string,
  record: SessionRecord | undefined,
  action: string,
  err: unknown,
  extra: Partial<JournalEntry> = {},
): Promise<void> {
  if (!record) return;
  const e = classify(err, { session, action });
  if (e instanceof ConcurrentUpdateError) return;
  const next = journal(env, session, record, { action, result: env.signal.aborted ? "cancelled" : "failed", detail: engineSummary(e.message), ...extra });
  await writeRecord(stack, next, undefined, { exclusive: env.exclusive }).catch(() => stack.setConfig(recordToConfig(next)).catch(() => undefined));
}

/**
 * The sweep of env, when there is one; a failure (the cloud not answering) leaves the operation
 * done and says what could not be checked, as a warning: the operation itself succeeded.
 */
async function sweep(env: OpEnv, session: string, record: SessionRecord, outputs: Record<string, unknown>, known: ReadonlySet<string>): Promise<string[]> {
  if (!env.sweep) return [];
  try {
    return await env.sweep(session, record, outputs, known);
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    env.emit({
      type: "diagnostic",
      session,
      at: env.now().toISOString(),
      severity: "warning",
      message: `could not check the cloud for machines of this session the state does not know (${why}): look for machines labelled with session ${session} in the provider`,
    });
    return [];
  }
}

export async function deploy(env: OpEnv, input: DeployInput): Promise<DeployResult> {
  const { session, formation, text, file } = input;
  const stack = await env.engine.createOrSelectStack(session);
  const [{ record: prior, outputs }, deployment] = await Promise.all([readSession(stack), stack.exportState()]);
  await assertNoPending(stack, session, deployment);
  const created = !prior && resourcesOf(deployment).length === 0;
  // The desired states are the record's as read now: an action may just have changed them.
  const desired = prior?.desired ?? {};
  const removed = Object.keys(prior?.removed ?? {});
  const deleted = Object.keys(prior?.deleted ?? {});
  const plan = input.plan ? withDesiredStates(input.plan, desired, removed) : planSession(formation, { session, desired, removed, deleted });
  const names = new Set(plan.machines.map((m) => m.name));
  const base = prior ?? emptyRecord(text, file);
  const record: SessionRecord = { ...base, formation: text, file, desired: pick(base.desired, names), removed: pick(base.removed, names) };
  const program = sessionProgram({ plan, record });
  const parallel = upParallelism(plan.machines.length);
  const run = { program, exclude: excludedUrns(record), onEvent: env.onEngineEvent(session), signal: env.signal, ...(parallel ? { parallel } : {}) };
  const dropIfNew = async () => {
    if (created) await env.engine.removeStack(session).catch(() => undefined);
  };

  if (input.mode !== "apply") {
    let preview;
    try {
      preview = await stack.preview(run);
    } catch (err) {
      await dropIfNew();
      throw err;
    }
    const go = input.mode !== "preview" && (await input.mode.confirm({ session, changes: preview.changes, created }));
    if (!go) {
      await dropIfNew();
      return { session, result: input.mode === "preview" ? "ok" : "declined", changes: preview.changes, machines: [], hourlyUsd: plan.cost.hourlyUsd };
    }
  }

  // The record goes into config before the update (program.ts and `pulumi config` see it), unless nobody else reads that config.
  if (!stack.privateConfig) await stack.setConfig(recordToConfig(record));
  const summary = {
    formation: formation.metadata.name,
    kind: formation.kind,
    provider: formation.cloud.provider,
    machines: plan.machines.length,
    hourlyUsd: plan.cost.hourlyUsd,
  };
  // Tags (for `sessions --label`) are a file of their own in the backend, which no update writes:
  // set while the update runs, they cost it no time. syncTags never rejects (a failure is a warning).
  const tagging = syncTags(stack, desiredTags((formation.metadata.labels ?? {}) as Record<string, string>, summary), (message) =>
    env.emit({ type: "diagnostic", session, at: env.now().toISOString(), severity: "warning", message }),
  );
  const before = new Set(machinesOf(plainOutputs(outputs)).map((m) => m.name));
  const changed = {
    added: [...names].filter((n) => !before.has(n) && !record.removed[n]),
    dropped: [...before].filter((n) => !names.has(n)),
  };
  // Launch prices, captured now: the ledger charges each machine at these from here on.
  const prices = pricesForUp(catalogFor(plan.provider, plan.pricing), plan, changed.added, record.journal);
  try {
    const r = await stack.up(run);
    await tagging;
    await writeRecord(stack, journal(env, session, record, { action: "up", result: "ok", ...changed, ...(prices.length ? { prices } : {}) }), undefined, {
      exclusive: env.exclusive,
    });
    return { session, result: "ok", changes: r.changes, machines: machinesOf(plainOutputs(r.outputs ?? {})), hourlyUsd: plan.cost.hourlyUsd };
  } catch (err) {
    await tagging;
    await recordFailure(env, stack, session, record, "up", err);
    throw err;
  }
}

export async function refreshSession(env: OpEnv, session: string, clearPending: boolean): Promise<RefreshResult> {
  // Its own start, not the operation's: after an action, the refresh follows the action's entries.
  const started = env.now().toISOString();
  const stack = await env.engine.selectStack(session);
  // Recovering from a killed update: first the lock its process left behind, if it is gone for sure.
  const unlocked = clearPending ? await removeStaleLock(stack, session) : undefined;
  const [{ record, outputs }, before] = await Promise.all([readSession(stack), stack.exportState()]);
  if (!record) throw noRecord(session);
  const pending = pendingOperations(before);
  if (!clearPending) await assertNoPending(stack, session, before);
  let changes: Record<string, number>;
  try {
    changes = (await stack.refresh({ onEvent: env.onEngineEvent(session), signal: env.signal, clearPendingCreates: pending.length > 0 })).changes;
  } catch (err) {
    await recordFailure(env, stack, session, record, "refresh", err);
    throw err;
  }
  // `--clear-pending-creates` drops pending creates; any other pending operation goes when the
  // record is written (an import), since the user asked for every one gone.
  const after = await stack.exportState();
  const machines = machinesOf(plainOutputs(outputs));
  const silent = machinesSilentOnPower(machines, resourcesOf(before), resourcesOf(after));
  const live = silent.length && env.observe ? await env.observe(session, record, plainOutputs(outputs), silent).catch(() => ({})) : {};
  const drift = detectDrift(machines, record.desired, resourcesOf(before), resourcesOf(after), live);
  // A create the engine never saw finish may have made a machine the state does not know: it would
  // run unseen and block the next create of its name. Only after a clear the user asked for.
  const interrupted = pending.some((o) => o.type === "creating");
  const known = new Set(
    resourcesOf(after)
      .map((r) => r.id)
      .filter((id): id is string => typeof id === "string" && id !== ""),
  );
  const leftovers = clearPending && interrupted ? await sweep(env, session, record, plainOutputs(outputs), known) : [];
  const at = env.now().toISOString();
  for (const c of drift)
    env.emit({ type: "drift", session, at, machine: c.machine, from: c.from, to: c.to === "removed" ? "terminated" : c.to, observed: c.observed });
  let next = applyDrift(record, drift, at, env.actor);
  for (const e of next.journal.slice(record.journal.length)) env.emit({ type: "journal", session, at, entry: e });
  const cleared = [
    ...(pending.length ? [`cleared ${pending.length} pending operation(s)`] : []),
    ...(unlocked ? [`removed the lock left by ${unlocked}`] : []),
    ...(leftovers.length ? [`terminated what the interrupted creates left: ${leftovers.join(", ")}`] : []),
  ];
  next = journal(env, session, next, { action: "refresh", result: "ok", ...(cleared.length ? { detail: cleared.join("; ") } : {}) }, started);
  await writeRecord(stack, next, after, { clearPending: pending.length > 0, exclusive: env.exclusive });
  return { session, changes, drift, cleared: pending, leftovers };
}

export async function destroySession(env: OpEnv, session: string): Promise<{ session: string; changes: Record<string, number> }> {
  const stack = await env.engine.selectStack(session);
  const { record, outputs } = await readSession(stack);
  let changes: Record<string, number>;
  try {
    changes = (await stack.destroy({ onEvent: env.onEngineEvent(session), signal: env.signal })).changes;
  } catch (err) {
    await recordFailure(env, stack, session, record, "destroy", err);
    throw err;
  }
  // Nothing labelled with the session may outlive it: machines an interrupted create left, unknown to the state.
  const leftovers = record ? await sweep(env, session, record, plainOutputs(outputs), new Set()) : [];
  // The session ends with its stack; its last journal entry goes to the listener (and --json) only.
  if (record)
    journal(env, session, record, {
      action: "destroy",
      result: "ok",
      dropped: machinesOf(plainOutputs(outputs)).map((m) => m.name),
      ...(leftovers.length ? { detail: `also terminated what an interrupted create left: ${leftovers.join(", ")}` } : {}),
    });
  await env.engine.removeStack(session);
  return { session, changes };
}
