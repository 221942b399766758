/**
 * The two ways an action reaches a tier of machines, each ending with the session record in step:
 *
 * - `viaUp` (declarative): record the new desired state, then `up` converges the provider's own
 *   power-state resource; a failed update puts the old desired state back.
 * - `viaDriver`: act through the provider's API (batch.ts: bounded, retried, timed), then record
 *   where each machine ended up as its desired state, so a later `up` keeps it. The caller
 *   refreshes afterwards so the engine's state matches.
 */
import type { PowerState } from "../../plan/types.js";
import { classify, engineSummary } from "../session/errors.js";
import { deploy, type OpEnv } from "../session/engine-operations.js";
import { failed } from "./batch.js";
import { actOnSession, type SessionActionOptions } from "./cluster.js";
import { SessionLocks } from "./lock.js";
import { commit, desiredAfter, entryOf, fallbackSnapshots, restoreDesired, withDesired } from "./record-changes.js";
import { declarativeFallback, declarativeRefusal, type Path } from "./strategy.js";
import type { SessionMachine, SessionView } from "./targets.js";
import type { SnapshotEntry } from "../session/session-record.js";
import { TARGET_STATE, type ActionDriver, type ActionResult, type SessionActionName } from "./types.js";

/** A result, with the path that produced it. */
export type SessionActionResult = ActionResult & {
  /** declarative: desired state + `up`; driver: the provider's API, then a refresh. */
  path: Path;
};

/** Batch tuning an action call may pass down (bounds, retries, timeouts, tier waits). */
export type ActionTuning = Pick<
  SessionActionOptions,
  "concurrency" | "limit" | "retries" | "baseDelayMs" | "maxDelayMs" | "timeoutMs" | "random" | "tierTimeoutMs" | "pollMs"
>;

/** What both paths need. */
export interface PathContext {
  env: OpEnv;
  view: SessionView;
  action: SessionActionName;
  force: boolean;
  tuning: ActionTuning;
  /** The provider's driver, loaded on first use (rejects when this build has none). */
  driver: () => Promise<ActionDriver>;
  /** Adds the images a driver took on its own (a one-time spot machine imaged before termination) to the image catalog. */
  catalog?: (snapshots: readonly SnapshotEntry[]) => Promise<void>;
}

/** Acts through the driver on one tier, then records desired states, fallback snapshots and the journal. */
export async function viaDriver(ctx: PathContext, members: readonly SessionMachine[]): Promise<SessionActionResult[]> {
  const { env, view, action } = ctx;
  const targets = members.map((m) => m.target);
  let driver: ActionDriver;
  try {
    driver = await ctx.driver();
  } catch (err) {
    // Every target gets its result: a batch over many sessions must say which ones could not be reached.
    const results = targets.map((t) => ({ ...failed(t, action, err, 0), from: recordedOf(members, t.machine) }));
    await commit(env, view.session, (r) => r, results.map(entryOf));
    return results.map((r) => ({ ...r, path: "driver" as const }));
  }
  // The session is already held by the caller: a private lock table, so this does not wait on itself.
  const results = await actOnSession(driver, view.session, targets, action, { ...ctx.tuning, force: ctx.force, locks: new SessionLocks() });
  const desired = Object.fromEntries(results.flatMap((r) => (desiredAfter(r) ? [[r.machine, desiredAfter(r)!]] : [])));
  const snapshots = fallbackSnapshots(results, env.now().toISOString());
  await commit(env, view.session, (r) => ({ ...withDesired(r, desired), snapshots: [...r.snapshots, ...snapshots] }), results.map(entryOf));
  if (snapshots.length && ctx.catalog) await ctx.catalog(snapshots);
  return results.map((r) => ({ ...r, path: "driver" as const }));
}

/**
 * Records the tier's new desired state and runs `up`. A machine already recorded in the target
 * state (or gone, for anything but start) is a no-op and costs no update.
 */
export async function viaUp(ctx: PathContext, members: readonly SessionMachine[]): Promise<SessionActionResult[]> {
  const { env, view, action } = ctx;
  const target = TARGET_STATE[action] as PowerState;
  const fallback = declarativeFallback(view.plan.provider, action);
  const base = (m: SessionMachine) => ({ session: view.session, machine: m.planned.name, action, path: "declarative" as const, from: m.recorded });
  const noop = (m: SessionMachine) => m.recorded === target || (m.recorded === "terminated" && action !== "start");
  const refused = (m: SessionMachine) => declarativeRefusal(view.plan.provider, action, m);
  const changing = members.filter((m) => !noop(m) && !refused(m));
  const names = changing.map((m) => m.planned.name);
  const results = new Map<string, SessionActionResult>();
  for (const m of members) {
    if (noop(m)) results.set(m.planned.name, { ...base(m), outcome: "no-op", to: m.recorded });
    else if (refused(m)) results.set(m.planned.name, { ...base(m), outcome: "failed", to: m.recorded, error: refused(m)! });
  }
  let failure: string | undefined;
  if (changing.length) {
    let prior = view.record;
    const next = await commit(env, view.session, (r) => {
      prior = r;
      return withDesired(r, Object.fromEntries(names.map((n) => [n, target])));
    });
    try {
      await deploy(env, { session: view.session, formation: view.formation, plan: view.plan, text: next.formation, file: next.file, mode: "apply" });
    } catch (err) {
      failure = `${engineSummary(classify(err, { session: view.session, action: "up" }).message)}; the desired state was put back (run 'formations refresh ${view.session}' to read what the cloud did)`;
    }
    for (const m of changing) {
      results.set(
        m.planned.name,
        failure
          ? { ...base(m), outcome: "failed", to: "unknown", error: failure }
          : { ...base(m), outcome: "done", to: target, ...(fallback ? { fallback } : {}) },
      );
    }
    if (failure) {
      const before = prior;
      const ordered = members.map((m) => results.get(m.planned.name)!);
      await commit(env, view.session, (r) => restoreDesired(r, before, names), ordered.map(entryOf));
      return ordered;
    }
  }
  const ordered = members.map((m) => results.get(m.planned.name)!);
  await commit(env, view.session, (r) => r, ordered.map(entryOf));
  return ordered;
}

function recordedOf(members: readonly SessionMachine[], name: string): ActionResult["from"] {
  return members.find((m) => m.planned.name === name)?.recorded ?? "unknown";
}
