/**
 * The contract every backend's session lock store keeps (automation/session/backend-lock), as two
 * tests each store's test file runs against its own service (Azurite, moto's S3): eight
 * contenders at once, exactly one wins and each other fails at once with exit 3 naming it; a
 * fresh lock of another machine is refused and, once its heartbeat is older than the limit,
 * replaced with a note.
 */
import { hostname } from "node:os";
import { expect, it } from "vitest";
import { ConcurrentUpdateError, exitCodeOf } from "../../../automation/session/errors.js";
import { parseLock, type LockStore, type SessionLock, type SessionLockOptions } from "../../../automation/session/backend-lock/index.js";

const BUSY = /is busy: held by \S+@\S+ \(pid \d+/;

export interface LockContractSubject {
  /** The session locks of the backend under test, with these options. */
  locks(opts?: Partial<SessionLockOptions>): SessionLock;
  /** The lock store of a session. */
  store(session: string): LockStore;
  /** The object keys (blob names) under `prefix` in the backend, as its service lists them. */
  list(prefix: string): Promise<string[]>;
}

/** Where a session's lock is, relative to the backend's root (no URL prefix). */
export const lockKey = (session: string) => `.formations/locks/formations/${session}.json`;

export function lockContract(subject: () => LockContractSubject): void {
  it("eight contenders at once: the conditional create lets exactly one win; each other fails at once with exit 3 naming it", async () => {
    const { locks, list } = subject();
    const notes: string[] = [];
    const contenders = Array.from({ length: 8 }, (_, i) => locks({ host: `workspace-${i}`, user: `user${i}`, pid: 1000 + i }));
    const results = await Promise.allSettled(contenders.map((l, i) => l.acquire("race", `stop machine-${i}`, (m) => notes.push(m))));
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [{ i, held: r.value }] : []));
    expect(won).toHaveLength(1);
    const winner = won[0]!.i;
    for (const r of results.filter((x): x is PromiseRejectedResult => x.status === "rejected")) {
      expect(r.reason).toBeInstanceOf(ConcurrentUpdateError);
      expect(exitCodeOf(r.reason)).toBe(3);
      expect((r.reason as Error).message).toMatch(BUSY);
      expect((r.reason as Error).message).toContain(`held by user${winner}@workspace-${winner} (pid ${1000 + winner}, since `);
    }
    expect(await list(".formations/")).toEqual([lockKey("race")]);
    await won[0]!.held.release();
    expect(await list(".formations/")).toEqual([]);
    expect(notes).toEqual([]);
  });

  it("a fresh lock of another machine is refused; once its heartbeat is older than the limit it is replaced with a note", async () => {
    const { locks, store } = subject();
    const start = new Date("2026-12-02T10:00:00Z");
    await locks({ host: "workspace-b", user: "bob", pid: 77, now: () => start, heartbeatMs: 3_600_000 }).acquire("stale", "stop machine-2", () => undefined);
    let now = new Date(start.getTime() + 5 * 60_000);
    const notes: string[] = [];
    const ours = locks({ now: () => now });
    const busy = await ours.acquire("stale", "up", (m) => notes.push(m)).catch((e: unknown) => e);
    expect((busy as Error).message).toMatch(/held by bob@workspace-b \(pid 77, since 2026-12-02T10:00:00.000Z, stop machine-2/);
    now = new Date(start.getTime() + 30 * 60_000);
    const held = await ours.acquire("stale", "up", (m) => notes.push(m));
    expect(notes).toEqual([
      expect.stringMatching(/removed the stale lock of session 'stale' held by bob@workspace-b .*last heartbeat was at 2026-12-02T10:00:00.000Z/),
    ]);
    expect(parseLock((await store("stale").read())!.body)).toMatchObject({ host: hostname(), action: "up" });
    await held.release();
    expect(await store("stale").read()).toBeUndefined();
  });
}
