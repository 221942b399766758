/**
 * Retries of one cloud call outside a batch: an image store's calls (`images delete`) have no
 * batch around them to retry a throttled or passing failure, so each call retries itself, with
 * the batch's own full-jitter backoff. The call wrappers have already waited any Retry-After the
 * cloud sent before they threw; the backoff comes on top, as in a batch.
 */
import { backoffDelay, BATCH_DEFAULTS } from "./batch.js";
import { ActionError } from "./types.js";
import { sleep } from "./rest.js";

export interface RetryOptions {
  /** Retries after the first attempt; default the batch's (4). */
  retries?: number;
  /** First backoff ceiling in ms, doubled each retry; default the batch's (250). */
  baseDelayMs?: number;
  /** Largest backoff ceiling in ms; default the batch's (20 000). */
  maxDelayMs?: number;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
}

/** Throttling and passing failures: the ones worth another attempt. */
export const isRetryable = (err: unknown): boolean => err instanceof ActionError && (err.kind === "throttled" || err.kind === "transient");

/** Runs `call` until it succeeds, fails for good, or the retries are spent (the last failure is thrown as it was). */
export async function retrying<T>(call: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const retries = opts.retries ?? BATCH_DEFAULTS.retries;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= retries || !isRetryable(err)) throw err;
      await sleep(
        backoffDelay(attempt, opts.baseDelayMs ?? BATCH_DEFAULTS.baseDelayMs, opts.maxDelayMs ?? BATCH_DEFAULTS.maxDelayMs, opts.random ?? Math.random),
      );
    }
  }
}
