/**
 * The session lock held in the state backend, for the whole of every formations operation on a
 * session (up, refresh, destroy, an action through a driver, a snapshot, a journal entry): two
 * workspaces sharing a backend never act on one session at once. Pulumi's own stack lock guards
 * only its engine operations; an action done through a cloud's API (a Docker stop, an EC2
 * start), its refresh and its record write would otherwise interleave with another machine's,
 * and a record written by export, merge and import (no compare-and-swap) could lose a journal
 * entry. This lock is a separate object (`.formations/locks/<project>/<session>.json` in the
 * backend), so the engine's operations inside ours still take Pulumi's lock as usual.
 *
 * A busy session fails fast (exit 3), naming the holder. The holder refreshes a heartbeat in the
 * lock while it holds it; a lock is stale, and removed with a note, when its process on this
 * machine is no longer running, or when its heartbeat is older than {@link STALE_MS} (its machine
 * stopped or lost the backend). Each backend scheme is a small store with compare-and-swap
 * (file.ts, azblob.ts, s3.ts, gs.ts), loaded on first use; a scheme without one holds no lock and says so once.
 */
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { ConcurrentUpdateError, processRunning } from "../errors.js";

/** How often the holder refreshes its heartbeat. */
export const HEARTBEAT_MS = 30_000;
/** A lock whose heartbeat is older than this is stale (its holder's machine stopped or lost the backend). */
export const STALE_MS = 10 * 60_000;

/** What a lock holds (JSON in the backend). */
export interface LockBody {
  formationsLock: 1;
  /** Unique per acquisition. */
  id: string;
  user: string;
  host: string;
  pid: number;
  /** The journal's actor (FORMATIONS_ACTOR, a CI identity, or user@host). */
  actor: string;
  /** What the holder does ("up", "stop machine-2"). */
  action: string;
  since: string;
  heartbeat: string;
}

/**
 * One lock object in a backend, with compare-and-swap. A `tag` names one version of the object
 * (an ETag, a content hash): replace and remove act only while the object is still that version.
 */
export interface LockStore {
  /** Where the lock is, for messages (never holds a credential). */
  readonly where: string;
  /** Creates the object unless it exists: its tag, or undefined when it exists already. */
  create(body: string): Promise<string | undefined>;
  /** The object and its tag, or undefined when there is none. */
  read(): Promise<{ body: string; tag: string } | undefined>;
  /** Replaces version `tag`: the new tag, or undefined when the object is another version now (or gone). */
  replace(tag: string, body: string): Promise<string | undefined>;
  /** Removes version `tag`: whether it did (false: another version, or gone). */
  remove(tag: string): Promise<boolean>;
}

/** A backend's lock stores, one per session. */
export interface LockBackend {
  store(project: string, session: string): LockStore;
}

/** A held lock: release it once, when the operation ends (whatever its outcome). */
export interface HeldLock {
  release(): Promise<void>;
  /** Whether this lock keeps every other formations process out of the session (false: a backend without a store). */
  readonly exclusive: boolean;
}

/** Where notes go (a stale lock removed, a lost heartbeat): a warning line for the user. */
export type LockNote = (message: string) => void;

export interface SessionLockOptions {
  /** The journal's actor, kept in the lock for messages. */
  actor: string;
  /** Pulumi project of the session stacks (the lock's folder). */
  project: string;
  heartbeatMs?: number;
  staleMs?: number;
  now?: () => Date;
  /** This machine's name, user and process (tests play other holders). */
  host?: string;
  user?: string;
  pid?: number;
  /** Whether a process of this machine runs (default: signal 0). */
  isRunning?: (pid: number) => boolean;
}

/** The session locks of one backend; `backend` undefined: a scheme without a store (see {@link unsupportedNote}). */
export class SessionLock {
  private warned = false;

  constructor(
    private readonly backend: LockBackend | undefined,
    private readonly opts: SessionLockOptions,
    /** Said once, on the first acquisition, when the backend has no store. */
    private readonly unsupported?: string,
  ) {}

  /**
   * Takes `session`'s lock for `action`, or fails at once with ConcurrentUpdateError (exit 3)
   * naming the holder. A stale lock is removed (with a note) and the acquisition retried.
   */
  async acquire(session: string, action: string, note: LockNote): Promise<HeldLock> {
    if (!this.backend) {
      if (this.unsupported && !this.warned) note(this.unsupported);
      this.warned = true;
      return { release: async () => undefined, exclusive: false };
    }
    const store = this.backend.store(this.opts.project, session);
    for (let round = 0; round < 10; round++) {
      const body = this.body(action);
      const tag = await store.create(JSON.stringify(body));
      if (tag !== undefined) return this.hold(store, body, tag, session, note);
      const found = await store.read();
      if (!found) continue; // released between the two calls: try again
      const other = parseLock(found.body);
      if (!other)
        throw new ConcurrentUpdateError(
          session,
          `an unreadable lock at ${store.where} (if no formations operation runs on this session, remove that object and try again)`,
        );
      // Our own create, retried by the client after a lost answer, found itself.
      if (other.id === body.id) return this.hold(store, body, found.tag, session, note);
      const why = this.staleness(other);
      if (!why) throw new ConcurrentUpdateError(session, holderOf(other));
      if (await store.remove(found.tag)) note(`removed the stale lock of session '${session}' held by ${holderOf(other)}: ${why}`);
    }
    throw new ConcurrentUpdateError(session, `other processes taking and releasing its lock at ${store.where} again and again`);
  }

  /** Why `lock` is stale, or undefined while its holder may still run. */
  staleness(lock: LockBody): string | undefined {
    const host = this.opts.host ?? hostname();
    const isRunning = this.opts.isRunning ?? processRunning;
    if (lock.host === host && !isRunning(lock.pid)) return `its process (pid ${lock.pid}) is no longer running on this machine`;
    const staleMs = this.opts.staleMs ?? STALE_MS;
    const age = this.now().getTime() - Date.parse(lock.heartbeat);
    if (Number.isNaN(age)) return undefined;
    if (age > staleMs)
      return `its last heartbeat was at ${lock.heartbeat}, more than ${minutes(staleMs)} ago (its machine stopped, or lost the backend; a holder refreshes it every ${minutes(this.opts.heartbeatMs ?? HEARTBEAT_MS)})`;
    return undefined;
  }

  private now(): Date {
    return (this.opts.now ?? (() => new Date()))();
  }

  private body(action: string): LockBody {
    const at = this.now().toISOString();
    return {
      formationsLock: 1,
      id: randomUUID(),
      user: this.opts.user ?? localUser(),
      host: this.opts.host ?? hostname(),
      pid: this.opts.pid ?? process.pid,
      actor: this.opts.actor,
      action,
      since: at,
      heartbeat: at,
    };
  }

  /** Keeps the heartbeat fresh until released; a lock taken over meanwhile is noted, and never removed by us. */
  private hold(store: LockStore, body: LockBody, first: string, session: string, note: LockNote): HeldLock {
    let tag = first;
    let lost = false;
    let beating: Promise<void> = Promise.resolve();
    const beat = async () => {
      try {
        const next = await store.replace(tag, JSON.stringify({ ...body, heartbeat: this.now().toISOString() }));
        if (next !== undefined) tag = next;
        else if (!lost) {
          lost = true;
          note(`the lock of session '${session}' at ${store.where} was taken over by another process while this operation ran (its heartbeat was late)`);
        }
      } catch {
        // A transient failure to reach the backend: the next beat tries again.
      }
    };
    const timer = setInterval(() => {
      if (!lost) beating = beating.then(beat);
    }, this.opts.heartbeatMs ?? HEARTBEAT_MS);
    timer.unref();
    let released: Promise<void> | undefined;
    return {
      exclusive: true,
      release: () =>
        (released ??= (async () => {
          clearInterval(timer);
          await beating;
          if (lost) return;
          try {
            await store.remove(tag);
          } catch (err) {
            note(
              `could not release the lock of session '${session}' at ${store.where} (${err instanceof Error ? err.message.split("\n")[0] : String(err)}): it becomes stale in ${minutes(this.opts.staleMs ?? STALE_MS)}, or at once for this machine's next operation`,
            );
          }
        })()),
    };
  }
}

/** `alice@laptop (pid 4242, since 2026-..., stop machine-2 by alice@workspace-a)`: who holds a lock, for the busy message. */
export function holderOf(lock: LockBody): string {
  const who = `${lock.user}@${lock.host}`;
  return `${who} (pid ${lock.pid}, since ${lock.since}, ${lock.action}${lock.actor && lock.actor !== who ? ` by ${lock.actor}` : ""})`;
}

/** A lock's body, or undefined when it is not one of ours (cut short, or written by something else). */
export function parseLock(text: string): LockBody | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockBody>;
    if (v.formationsLock !== 1 || typeof v.host !== "string" || typeof v.pid !== "number" || typeof v.heartbeat !== "string") return undefined;
    return { user: "unknown", actor: "", action: "an operation", since: v.heartbeat, id: "", ...v } as LockBody;
  } catch {
    return undefined;
  }
}

/**
 * The session locks of the backend at `url`: file://, azblob://, s3:// and gs:// hold a lock (their store
 * loaded on first use); any other scheme holds none and says so once.
 */
export async function openSessionLock(url: string, env: NodeJS.ProcessEnv, opts: SessionLockOptions): Promise<SessionLock> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "file") return new SessionLock(new (await import("./file.js")).FileLockBackend(url), opts);
  if (scheme === "azblob") return new SessionLock(new (await import("./azblob.js")).AzblobLockBackend(url, env), opts);
  if (scheme === "s3") return new SessionLock(new (await import("./s3.js")).S3LockBackend(url), opts);
  if (scheme === "gs") return new SessionLock(new (await import("./gs.js")).GsLockBackend(url, env), opts);
  return new SessionLock(undefined, opts, unsupportedNote(scheme ?? url));
}

/** The warning on a backend without a formations lock: what still protects the session, and what does not. */
export function unsupportedNote(scheme: string): string {
  return (
    `formations holds no session lock of its own on ${scheme}:// backends (only file://, azblob://, s3:// and gs://): Pulumi's lock still ` +
    `guards up, refresh and destroy, but two actions through a cloud's API (stop, start...) on one session from two machines ` +
    `at once may both run, and one's journal entry may be lost (see docs/sessions.md, "The session lock")`
  );
}

function minutes(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} minute(s)` : `${Math.round(ms / 1000)} second(s)`;
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? `uid-${process.getuid?.() ?? "unknown"}`;
  }
}
