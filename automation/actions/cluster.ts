/**
 * Acting on a whole session in tier order (plan/tiers.ts): workers/compute stop first, then
 * master/head, then the proxy; start goes the other way and waits, within a bound, for each tier
 * to be running before the next. Storage (volumes, shared file systems) is never touched: drivers
 * act on machines only. Every entry point holds the session's lock, so actions never interleave.
 */
import pLimit from "p-limit";
import { tierOf } from "../../plan/tiers.js";
import { BATCH_DEFAULTS, failed, runBatch, runOne, type BatchOptions } from "./batch.js";
import { sessionLocks, type SessionLocks } from "./lock.js";
import { ActionError, TARGET_STATE, type ActionDriver, type ActionName, type ActionResult, type ActionTarget, type SessionActionName } from "./types.js";

/** Options of session actions: a batch's, plus the lock and the wait between tiers. */
export interface SessionActionOptions extends BatchOptions {
  /** Wait for a busy session (default) or fail at once with SessionBusyError. */
  wait?: boolean;
  /** How long start waits for one tier to be running before giving up on the next, in ms; default 300 000. */
  tierTimeoutMs?: number;
  /** Interval between state reads while waiting for a tier, in ms; default 500. */
  pollMs?: number;
  /** The locks to use; default the process-wide ones. */
  locks?: SessionLocks;
  /** Called when a tier begins (progress output; tests record the order). */
  onTier?: (tier: number, action: SessionActionName, targets: readonly ActionTarget[]) => void;
}

/** Actions that bring machines up go from tier 0 upwards and wait; the others go top down. */
const UPWARDS: ReadonlySet<SessionActionName> = new Set(["start", "reboot"]);

/** Targets grouped by tier, in the order the action visits them. */
export function tierOrder(targets: readonly ActionTarget[], action: SessionActionName): ActionTarget[][] {
  const byTier = new Map<number, ActionTarget[]>();
  for (const t of targets) {
    const group = byTier.get(tierOf(t.role));
    if (group) group.push(t);
    else byTier.set(tierOf(t.role), [t]);
  }
  const tiers = [...byTier.keys()].sort((a, b) => (UPWARDS.has(action) ? a - b : b - a));
  return tiers.map((n) => byTier.get(n)!);
}

/** One action on one machine of a session, holding the session's lock. Never throws for the action's failure. */
export async function actOnMachine(driver: ActionDriver, target: ActionTarget, action: ActionName, opts: SessionActionOptions = {}): Promise<ActionResult> {
  const locks = opts.locks ?? sessionLocks;
  return locks.run(target.session, `${action} ${target.machine}`, () => runOne(driver, target, action, opts), lockOpts(opts));
}

/**
 * One action on every machine of one session, tier by tier. Results come back in the order of
 * `targets`, one per target. Throws only SessionBusyError (with `wait: false`) and for targets of
 * another session (a bug in the caller).
 */
export async function actOnSession(
  driver: ActionDriver,
  session: string,
  targets: readonly ActionTarget[],
  action: SessionActionName,
  opts: SessionActionOptions = {},
): Promise<ActionResult[]> {
  const stray = targets.find((t) => t.session !== session);
  if (stray) throw new Error(`target ${stray.session}/${stray.machine} is not in session ${session}`);
  const locks = opts.locks ?? sessionLocks;
  return locks.run(
    session,
    action,
    async () => {
      const since = Date.now();
      const results = new Map<ActionTarget, ActionResult>();
      let blocked: string | undefined; // why the remaining tiers are not started
      for (const tier of tierOrder(targets, action)) {
        if (blocked) {
          for (const t of tier) results.set(t, skipped(t, action, blocked));
          continue;
        }
        opts.onTier?.(tierOf(tier[0]!.role), action, tier);
        const done = await runBatch(driver, tier, action, opts);
        tier.forEach((t, i) => results.set(t, done[i]!));
        if (!UPWARDS.has(action)) continue; // stopping goes on whatever happened: nothing may be left running
        const settled = await waitRunning(driver, tier, done, opts);
        tier.forEach((t, i) => results.set(t, settled[i]!));
        const bad = settled.filter((r) => r.outcome === "failed");
        if (bad.length) blocked = `tier ${tierOf(tier[0]!.role)} (${bad.map((r) => r.machine).join(", ")}) did not reach running`;
      }
      await actAgainAfterRestart(driver, targets, action, results, since, opts);
      return targets.map((t) => results.get(t)!);
    },
    lockOpts(opts),
  );
}

/**
 * One action over machines of many sessions (stop-all / terminate-all): each session in its own
 * tier order and under its own lock, all sessions at once, sharing one parallelism bound.
 */
export async function actOnSessions(
  driver: ActionDriver,
  targets: readonly ActionTarget[],
  action: SessionActionName,
  opts: SessionActionOptions = {},
): Promise<ActionResult[]> {
  const shared = { ...opts, limit: opts.limit ?? pLimit(opts.concurrency ?? BATCH_DEFAULTS.concurrency) };
  const bySession = new Map<string, ActionTarget[]>(); // Map.groupBy needs Node 21
  for (const t of targets) {
    const group = bySession.get(t.session);
    if (group) group.push(t);
    else bySession.set(t.session, [t]);
  }
  const all = await Promise.all([...bySession].map(([s, ts]) => actOnSession(driver, s, ts, action, shared)));
  const results = new Map<ActionTarget, ActionResult>();
  [...bySession.values()].forEach((ts, i) => ts.forEach((t, j) => results.set(t, all[i]![j]!)));
  return targets.map((t) => results.get(t)!);
}

/** Actions whose end state a provider restart can undo, and which are safe to do again. */
const REDOABLE: ReadonlySet<ActionName> = new Set(["start", "stop", "hibernate", "shutdown"]);
/** Rounds of reading again after restarts, so an engine that keeps restarting cannot hold the action forever. */
const RESTART_ROUNDS = 3;

/**
 * When the driver saw its engine go away during the action (a Docker engine restarted in the
 * middle of a batch), what it answered before may since have been undone: a container whose stop
 * the dying engine never recorded is brought back by its restart policy. Once the engine answers
 * again, every attempted machine is read again, tier by tier, and acted on again where it is not
 * where the action leaves it, so one run ends with every machine stopped (or started) for good.
 */
async function actAgainAfterRestart(
  driver: ActionDriver,
  targets: readonly ActionTarget[],
  action: SessionActionName,
  results: Map<ActionTarget, ActionResult>,
  since: number,
  opts: SessionActionOptions,
): Promise<void> {
  const wanted = TARGET_STATE[action];
  if (!REDOABLE.has(action) || !wanted || !driver.interruptedSince) return;
  for (let round = 0; round < RESTART_ROUNDS && driver.interruptedSince(since); round++) {
    since = Date.now();
    for (const tier of tierOrder(targets, action)) {
      const attempted = tier.filter((t) => (results.get(t)?.attempts ?? 1) > 0);
      const states = await Promise.all(attempted.map((t) => driver.state(t).catch(() => "unknown" as const)));
      const again = attempted.filter((_, i) => states[i] !== wanted);
      if (!again.length) continue;
      const redone = await runBatch(driver, again, action, opts);
      again.forEach((t, i) => results.set(t, actedAgain(results.get(t)!, redone[i]!)));
    }
  }
}

/** The result of a machine acted on again after a restart undid (or interrupted) the first attempt. */
function actedAgain(first: ActionResult, again: ActionResult): ActionResult {
  const note = `the ${first.action} was undone or cut short by an engine restart; acted again once the engine answered`;
  return {
    ...again,
    outcome: again.outcome === "failed" ? "failed" : "done",
    from: first.from,
    attempts: (first.attempts ?? 1) + (again.attempts ?? 1),
    fallback: again.fallback ? `${note}; ${again.fallback}` : note,
  };
}

/**
 * Waits until every target whose action succeeded reads `running`; one that stops, vanishes or
 * is still not running at the deadline becomes a failed result saying so.
 */
async function waitRunning(driver: ActionDriver, tier: readonly ActionTarget[], results: ActionResult[], opts: SessionActionOptions): Promise<ActionResult[]> {
  const timeoutMs = opts.tierTimeoutMs ?? 300_000;
  const pollMs = opts.pollMs ?? 500;
  const deadline = Date.now() + timeoutMs;
  const out = [...results];
  let waiting = tier.map((_, i) => i).filter((i) => out[i]!.outcome !== "failed" && out[i]!.to !== "running");
  while (waiting.length) {
    const states = await Promise.all(waiting.map((i) => driver.state(tier[i]!).catch(() => "pending" as const)));
    const still: number[] = [];
    waiting.forEach((i, k) => {
      const s = states[k]!;
      if (s === "running") out[i] = { ...out[i]!, to: s };
      else if (s !== "pending")
        out[i] = failed(
          tier[i]!,
          out[i]!.action,
          new ActionError("other", `${tier[i]!.machine} is ${s} instead of running`, { from: out[i]!.from, to: s }),
          out[i]!.attempts ?? 1,
        );
      else still.push(i);
    });
    waiting = still;
    if (!waiting.length) break;
    if (Date.now() + pollMs > deadline) {
      for (const i of waiting)
        out[i] = failed(
          tier[i]!,
          out[i]!.action,
          new ActionError("timeout", `${tier[i]!.machine} did not reach running within ${timeoutMs / 1000} s`, { from: out[i]!.from, to: "pending" }),
          out[i]!.attempts ?? 1,
        );
      break;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return out;
}

function skipped(t: ActionTarget, action: ActionName, why: string): ActionResult {
  return { session: t.session, machine: t.machine, action, outcome: "failed", from: "unknown", to: "unknown", error: `not attempted: ${why}`, attempts: 0 };
}

const lockOpts = (opts: SessionActionOptions) => (opts.wait === undefined ? {} : { wait: opts.wait });
