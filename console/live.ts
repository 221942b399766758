/**
 * Live updates for every open page, from the library's typed events (`Sessions`' `onEvent`),
 * pushed as server-sent events: never a timer, never polling. Each event goes to the pages as
 * it is; an event that changes what a session looks like (a journal entry, drift, the end of an
 * operation) also makes the hub read that session again through `show` and push the fresh view.
 * Reads of one session are coalesced: while one runs, further events only mark it stale, and
 * one more read follows, so a burst of journal entries costs two reads, not one per entry.
 *
 * Actions started from the page run as tasks: the POST answers at once with the task's id, and
 * the task's end (its report, or its error) arrives as a message, so a slow cloud never holds a
 * request open and every page sees every action, whoever started it.
 */
import { randomUUID } from "node:crypto";
import type { SessionEvent } from "../automation/session/events.js";
import type { SessionPage } from "./views.js";

export type ConsoleMessage =
  | { type: "event"; event: SessionEvent }
  /** A session's fresh view, after something changed it. */
  | { type: "session"; page: SessionPage }
  /** The session is gone (destroyed), as found by a read that began at `at`. */
  | { type: "removed"; session: string; at: string }
  /** A session could not be read again. */
  | { type: "unreadable"; session: string; error: string }
  | { type: "task"; task: Task };

export interface Task {
  id: string;
  /** What runs, in words (`stop lab/machine-1`). */
  title: string;
  session?: string;
  state: "running" | "done" | "failed";
  startedAt: string;
  endedAt?: string;
  /** The library's report when done. */
  result?: unknown;
  error?: string;
}

const CHANGES = new Set<SessionEvent["type"]>(["journal", "drift", "operation-end"]);

export class Hub {
  private readonly listeners = new Set<(m: ConsoleMessage) => void>();
  private readonly reading = new Map<string, { stale: boolean }>();
  private readonly tasks = new Map<string, Task>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly closers = new Set<() => void>();

  /**
   * Gives a session's fresh view, `{ gone: true }` when it no longer exists, or why it could not
   * be read. Set when the console starts (the hub exists first: the Sessions' `onEvent` feeds it).
   */
  reader?: (session: string) => Promise<SessionPage | { gone: true; at: string } | { error: string }>;

  subscribe(listener: (m: ConsoleMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  publish(m: ConsoleMessage): void {
    for (const l of this.listeners) {
      try {
        l(m);
      } catch {
        // A page that went away mid-write: its stream's abort handler unsubscribes it.
      }
    }
  }

  /** The library's listener: forwards the event and reads the session again when it changed. */
  onEvent = (e: SessionEvent): void => {
    this.publish({ type: "event", event: e });
    if (CHANGES.has(e.type)) this.reread(e.session);
  };

  /** Reads `session` again (coalesced) and pushes what it finds. */
  reread(session: string): void {
    const read = this.reader;
    if (!read) return;
    const current = this.reading.get(session);
    if (current) {
      current.stale = true;
      return;
    }
    const state = { stale: false };
    this.reading.set(session, state);
    this.track(
      (async () => {
        do {
          state.stale = false;
          const r = await read(session).catch((err: unknown) => ({ error: err instanceof Error ? err.message.split("\n")[0]! : String(err) }));
          if ("gone" in r) this.publish({ type: "removed", session, at: r.at });
          else if ("error" in r) this.publish({ type: "unreadable", session, error: r.error });
          else this.publish({ type: "session", page: r });
        } while (state.stale);
        this.reading.delete(session);
      })(),
    );
  }

  /** Runs `body` as a task: returns its id at once; its end is published. */
  run(title: string, session: string | undefined, body: () => Promise<unknown>, now: () => Date = () => new Date()): Task {
    const task: Task = { id: randomUUID(), title, ...(session ? { session } : {}), state: "running", startedAt: now().toISOString() };
    this.tasks.set(task.id, task);
    this.publish({ type: "task", task: { ...task } });
    this.track(
      body()
        .then(
          (result) => Object.assign(task, { state: "done", result, endedAt: now().toISOString() }),
          (err: unknown) => Object.assign(task, { state: "failed", error: err instanceof Error ? err.message : String(err), endedAt: now().toISOString() }),
        )
        .then(() => {
          this.publish({ type: "task", task: { ...task } });
          if (session) this.reread(session);
        }),
    );
    return { ...task };
  }

  /** Tasks started in this console, newest first. */
  list(): Task[] {
    return [...this.tasks.values()].reverse();
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Registers what ends one open event stream; `close()` calls it. */
  onClose(end: () => void): () => void {
    this.closers.add(end);
    return () => this.closers.delete(end);
  }

  /** Ends every open event stream (the console is stopping). */
  close(): void {
    for (const end of [...this.closers]) end();
    this.closers.clear();
  }

  /** Resolves when no task and no read is in flight (tests, and shutting down). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }
}
