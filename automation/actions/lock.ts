/**
 * Two actions on one session never interleave: a per-session mutex within this process. Waiters
 * are served in arrival order. Across processes (another workspace sharing the backend) the
 * session lock in the state backend does the same job, failing fast (session/backend-lock/).
 */
import { UserError } from "../../user-error.js";

/** Raised when a session is busy and the caller asked not to wait. */
export class SessionBusyError extends UserError {
  override readonly name = "SessionBusyError";
  constructor(
    /** The busy session. */
    readonly session: string,
    /** What holds it (e.g. "stop"), as given to {@link SessionLocks.run}. */
    readonly heldBy: string,
  ) {
    super(`session ${session} is busy with '${heldBy}': wait for it to finish, or try again later`, 3);
  }
}

interface Queue {
  /** What the action holding the lock now is, for the busy message. */
  running: string;
  /** Settles when the holder and every waiter queued so far are done: the next arrival's turn. */
  tail: Promise<void>;
}

/** Options of {@link SessionLocks.run}. */
export interface LockOptions {
  /** Wait for the session (default), or fail at once with {@link SessionBusyError} when it is busy. */
  wait?: boolean;
}

/** Per-session mutexes. One shared instance, {@link sessionLocks}, serves the whole process. */
export class SessionLocks {
  private readonly held = new Map<string, Queue>();

  /** Whether an action holds `session` (or waits for it) right now. */
  busy(session: string): boolean {
    return this.held.has(session);
  }

  /**
   * Runs `fn` holding `session`'s lock. With `wait: false` a busy session is an immediate
   * SessionBusyError; otherwise `fn` runs once every earlier holder has finished, in order.
   */
  async run<T>(session: string, what: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
    const queue = this.held.get(session);
    if (queue && opts.wait === false) throw new SessionBusyError(session, queue.running);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const before = queue?.tail ?? Promise.resolve();
    // Chain onto the tail so waiters keep arrival order; the tail never rejects.
    const tail = before.then(() => mine);
    const entry: Queue = queue ?? { running: what, tail };
    entry.tail = tail;
    this.held.set(session, entry);
    await before;
    entry.running = what;
    try {
      return await fn();
    } finally {
      release();
      // Only the last in line clears the entry; an earlier one would drop later waiters' place.
      if (entry.tail === tail) this.held.delete(session);
    }
  }
}

/** The process-wide session locks every entry point uses. */
export const sessionLocks = new SessionLocks();
