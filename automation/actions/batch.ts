/**
 * One action over many targets: bounded parallelism (p-limit), retries with exponential backoff and
 * full jitter on the failures the driver calls retryable (throttling, transient), a per-target
 * timeout, and exactly one result per target. A target's failure is a result, never an exception.
 */
import pLimit, { type LimitFunction } from "p-limit";
import { ActionError, invoke, type ActionDriver, type ActionName, type ActionOptions, type ActionResult, type ActionTarget } from "./types.js";

/** How a batch runs. Every field has a default suited to a cloud API's rate limits. */
export interface BatchOptions extends ActionOptions {
  /** Targets acted on at once; default 10. Ignored when `limit` is given. */
  concurrency?: number;
  /** A limiter shared with other batches, so several sessions acted on together keep one bound. */
  limit?: LimitFunction;
  /** Retries after the first attempt, for retryable failures only; default 4. */
  retries?: number;
  /** First backoff ceiling in ms; each retry doubles it; default 250. */
  baseDelayMs?: number;
  /** Largest backoff ceiling in ms; default 20 000. */
  maxDelayMs?: number;
  /** Time allowed per target, attempts and backoff included, in ms; default 300 000. */
  timeoutMs?: number;
  /** Source of jitter in [0, 1); default Math.random (tests pass a fixed one). */
  random?: () => number;
  /** Called with each result as soon as it is known (progress output). */
  onResult?: (result: ActionResult) => void;
}

export const BATCH_DEFAULTS = { concurrency: 10, retries: 4, baseDelayMs: 250, maxDelayMs: 20_000, timeoutMs: 300_000 } as const;

/**
 * Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff and Jitter"): a
 * delay drawn uniformly from [0, min(cap, base * 2^retry)). Spreads clients that were throttled
 * together better than equal or decorrelated jitter. `retry` counts from 0.
 */
export function backoffDelay(retry: number, baseMs: number, capMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** retry));
}

/** Acts on one target with retries and a deadline. Never throws: a failure is a `failed` result. */
export async function runOne(driver: ActionDriver, target: ActionTarget, action: ActionName, opts: BatchOptions = {}): Promise<ActionResult> {
  const retries = opts.retries ?? BATCH_DEFAULTS.retries;
  const base = opts.baseDelayMs ?? BATCH_DEFAULTS.baseDelayMs;
  const cap = opts.maxDelayMs ?? BATCH_DEFAULTS.maxDelayMs;
  const timeoutMs = opts.timeoutMs ?? BATCH_DEFAULTS.timeoutMs;
  const random = opts.random ?? Math.random;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await withDeadline(invoke(driver, target, action, opts), deadline - Date.now(), timeoutMs);
      return { ...r, attempts: attempt };
    } catch (err) {
      const retry = attempt <= retries && driver.retryable(err);
      const delay = retry ? backoffDelay(attempt - 1, base, cap, random) : 0;
      if (!retry) return failed(target, action, err, attempt);
      if (Date.now() + delay >= deadline)
        return failed(
          target,
          action,
          err,
          attempt,
          `gave up after ${attempt} attempts: the ${seconds(timeoutMs)} per-target timeout would pass before the next`,
        );
      await sleep(delay);
    }
  }
}

/**
 * Acts on every target with bounded parallelism. Results come back in the order of `targets`,
 * one per target, whatever happened to the others.
 */
export async function runBatch(driver: ActionDriver, targets: readonly ActionTarget[], action: ActionName, opts: BatchOptions = {}): Promise<ActionResult[]> {
  const limit = opts.limit ?? pLimit(opts.concurrency ?? BATCH_DEFAULTS.concurrency);
  return Promise.all(
    targets.map((t) =>
      limit(async () => {
        const r = await runOne(driver, t, action, opts);
        opts.onResult?.(r);
        return r;
      }),
    ),
  );
}

/** A `failed` result from whatever was thrown: ActionErrors keep their states; anything else is unknown. */
export function failed(target: ActionTarget, action: ActionName, err: unknown, attempts: number, note?: string): ActionResult {
  const e = err instanceof ActionError ? err : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return {
    session: target.session,
    machine: target.machine,
    action,
    outcome: "failed",
    from: e?.from ?? "unknown",
    to: e?.to ?? "unknown",
    error: note ? `${message} (${note})` : message,
    attempts,
  };
}

/** Rejects with a `timeout` ActionError after `ms`; the operation itself cannot be cancelled, so it may still finish. */
function withDeadline<T>(op: Promise<T>, ms: number, total: number): Promise<T> {
  op.catch(() => undefined); // a late failure after the deadline is already reported as a timeout
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new ActionError("timeout", `no answer within the ${seconds(total)} per-target timeout (the provider may still complete it; check with show)`)),
      Math.max(0, ms),
    );
  });
  return Promise.race([op, expired]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
