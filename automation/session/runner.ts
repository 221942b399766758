/**
 * Running session operations safely: one operation per session at a time in this process (a
 * second fails fast, naming the first) and, with a `lock`, across every process sharing the
 * state backend (the session lock held in the backend for the whole operation), at most `concurrency` engine operations at once, every
 * operation cancellable (one AbortController each, tied to `cancelAll()` and the caller's
 * signal), start and end reported as events, and every failure classified once.
 */
import pLimit, { type LimitFunction } from "p-limit";
import { CancelledError, ConcurrentUpdateError, classify } from "./errors.js";
import type { Action, SessionEvent } from "./events.js";

/** What an operation body gets: its abort signal and a way to emit events. */
export interface OperationContext {
  signal: AbortSignal;
  emit(e: SessionEvent): void;
  /** The operation's start, as an ISO time (journal entries use it). */
  startedAt: string;
  /** The backend's session lock is held: no other formations process writes this session meanwhile. */
  exclusive: boolean;
}

interface Running {
  action: string;
  since: string;
  controller: AbortController;
}

/**
 * Takes the session's lock in the state backend for one operation (backend-lock/): fails with
 * ConcurrentUpdateError naming the holder when another process holds it. `note` is a warning line.
 */
export type SessionLockSource = (
  session: string,
  action: string,
  note: (message: string) => void,
) => Promise<{ release(): Promise<void>; exclusive?: boolean }>;

export interface RunnerOptions {
  concurrency: number;
  /** The backend's session lock, held for the whole of every operation (none: only this process's). */
  lock?: SessionLockSource;
  emit: (e: SessionEvent) => void;
  now: () => Date;
  actor: string;
}

export class OperationRunner {
  private readonly limit: LimitFunction;
  private readonly running = new Map<string, Running>();

  constructor(private readonly opts: RunnerOptions) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${opts.concurrency}`);
    this.limit = pLimit(opts.concurrency);
  }

  /** Engine operations in flight (for tests and the bench). */
  get active(): number {
    return this.limit.activeCount;
  }

  /** Sessions with an operation running or queued here. */
  busySessions(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Runs `body` as `action` on `session`. Fails at once when this process already operates the
   * session; otherwise waits for a slot, then runs with a fresh abort signal.
   */
  async run<T>(
    session: string,
    action: Action | string,
    body: (ctx: OperationContext) => Promise<T>,
    opts: { signal?: AbortSignal; quiet?: boolean } = {},
  ): Promise<T> {
    const held = this.running.get(session);
    if (held) throw new ConcurrentUpdateError(session, `this process (pid ${process.pid}): ${held.action} since ${held.since}`);
    const controller = new AbortController();
    const startedAt = this.opts.now().toISOString();
    this.running.set(session, { action, since: startedAt, controller });
    const onCallerAbort = () => this.cancel(session);
    opts.signal?.addEventListener("abort", onCallerAbort, { once: true });
    try {
      return await this.limit(async () => {
        if (controller.signal.aborted) throw new CancelledError(session, action);
        const t0 = this.opts.now().getTime();
        const reported = !opts.quiet && isAction(action);
        if (reported) this.opts.emit({ type: "operation-start", session, at: this.opts.now().toISOString(), action, actor: this.opts.actor });
        let backendLock: { release(): Promise<void>; exclusive?: boolean } | undefined;
        try {
          // Another workspace sharing the backend may operate this session: its lock fails us fast, naming it.
          backendLock = await this.opts.lock?.(session, action, (message) =>
            this.opts.emit({ type: "diagnostic", session, at: this.opts.now().toISOString(), severity: "warning", message }),
          );
          const result = await body({ signal: controller.signal, emit: this.opts.emit, startedAt, exclusive: backendLock?.exclusive === true });
          if (reported)
            this.opts.emit({
              type: "operation-end",
              session,
              at: this.opts.now().toISOString(),
              action,
              result: resultOf(result),
              durationMs: this.opts.now().getTime() - t0,
              ...changesOf(result),
            });
          return result;
        } catch (err) {
          const e =
            controller.signal.aborted && !(err instanceof ConcurrentUpdateError) ? new CancelledError(session, action) : classify(err, { session, action });
          if (reported)
            this.opts.emit({
              type: "operation-end",
              session,
              at: this.opts.now().toISOString(),
              action,
              result: e instanceof CancelledError ? "cancelled" : "failed",
              durationMs: this.opts.now().getTime() - t0,
              error: e.message.split("\n")[0] ?? e.message,
            });
          throw e;
        } finally {
          await backendLock?.release();
        }
      });
    } finally {
      opts.signal?.removeEventListener("abort", onCallerAbort);
      this.running.delete(session);
    }
  }

  /** Asks one session's running operation to cancel gracefully. Returns whether one was running. */
  cancel(session: string): boolean {
    const r = this.running.get(session);
    if (!r || r.controller.signal.aborted) return false;
    if (isAction(r.action)) this.opts.emit({ type: "cancel-requested", session, at: this.opts.now().toISOString(), action: r.action });
    r.controller.abort();
    return true;
  }

  /** Cancels every running operation (Ctrl-C); queued ones never start. Returns the sessions cancelled. */
  cancelAll(): string[] {
    return this.busySessions().filter((s) => this.cancel(s));
  }
}

const ACTIONS = new Set(["up", "preview", "refresh", "destroy"]);
function isAction(a: string): a is Action {
  return ACTIONS.has(a);
}

function resultOf(r: unknown): "ok" | "declined" {
  return typeof r === "object" && r !== null && (r as { result?: unknown }).result === "declined" ? "declined" : "ok";
}

function changesOf(r: unknown): { changes?: Record<string, number> } {
  const c = typeof r === "object" && r !== null ? (r as { changes?: unknown }).changes : undefined;
  return typeof c === "object" && c !== null ? { changes: c as Record<string, number> } : {};
}
