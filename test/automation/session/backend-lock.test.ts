/**
 * Test layer: unit, on a real folder and real Node processes (no engine, no cloud).
 * The session lock of a file:// backend (automation/session/backend-lock/): separate processes
 * racing for one session's lock (exactly one wins, every other fails at once with exit 3 naming
 * the winner), a lock left by a killed process recovered with a note, a lock of another machine
 * whose heartbeat stopped recovered, a fresh one refused, the heartbeat refreshed while held, a
 * lock taken over never removed by its former holder, and the lock released when an operation
 * fails (OperationRunner, the single choke point every session operation passes).
 */
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConcurrentUpdateError, exitCodeOf } from "../../../automation/session/errors.js";
import { openSessionLock, parseLock, SessionLock, unsupportedNote, type LockBody } from "../../../automation/session/backend-lock/index.js";
import { FileLockBackend } from "../../../automation/session/backend-lock/file.js";
import { OperationRunner } from "../../../automation/session/runner.js";
import { freshTestTimeout, src, startFresh, type FreshChild } from "../../helpers/fresh-node.js";

const BUSY = /is busy: held by \S+@\S+ \(pid \d+/;

let dir: string;
let url: string;
let notes: string[];
const note = (m: string) => notes.push(m);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "formations-lock-"));
  url = pathToFileURL(join(dir, "state")).href;
  notes = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lockFile = (session: string) => join(dir, "state", ".formations", "locks", "formations", `${session}.json`);
const readLock = async (session: string): Promise<LockBody> => parseLock(await readFile(lockFile(session), "utf8"))!;
const exists = (session: string) =>
  readFile(lockFile(session)).then(
    () => true,
    () => false,
  );
const locks = (opts: Partial<ConstructorParameters<typeof SessionLock>[1]> = {}) =>
  new SessionLock(new FileLockBackend(url), { actor: "tester@here", project: "formations", ...opts });

/** A child that takes `session`'s lock when told "go" on stdin, prints what happened, and holds a won lock until stdin ends. */
function contender(session: string, name: string): FreshChild {
  return startFresh(`
const { SessionLock } = await import(${src("automation/session/backend-lock/index.ts")});
const { FileLockBackend } = await import(${src("automation/session/backend-lock/file.ts")});
const { exitCodeOf } = await import(${src("automation/session/errors.ts")});
const locks = new SessionLock(new FileLockBackend(${JSON.stringify(url)}), { actor: ${JSON.stringify(name)}, project: "formations" });
const lines = [];
let wake;
process.stdin.setEncoding("utf8").on("data", (d) => { lines.push(d); wake?.(); });
const ended = new Promise((r) => process.stdin.on("end", r));
console.log("ready");
while (!lines.join("").includes("go")) await new Promise((r) => (wake = r));
try {
  const held = await locks.acquire(${JSON.stringify(session)}, ${JSON.stringify(`stop ${name}`)}, () => undefined);
  console.log(JSON.stringify({ won: true, pid: process.pid }));
  await ended;
  await held.release();
} catch (err) {
  console.log(JSON.stringify({ won: false, pid: process.pid, code: exitCodeOf(err), message: err.message }));
}
`);
}

async function line(c: FreshChild, test: (l: string) => boolean): Promise<string> {
  return vi.waitFor(
    () => {
      if (c.child.exitCode !== null) throw new Error(`child exited early: ${c.err()}`);
      const l = c.out().split("\n").find(test);
      if (!l) throw new Error("not yet");
      return l;
    },
    { timeout: 100_000, interval: 50 },
  );
}

describe("the session lock of a file:// backend", () => {
  it(
    "four processes racing for one session: exactly one wins; each other fails at once with exit 3 naming the winner",
    async () => {
      const children = ["a", "b", "c", "d"].map((n) => contender("race", n));
      try {
        await Promise.all(children.map((c) => line(c, (l) => l === "ready")));
        for (const c of children) c.child.stdin!.write("go\n");
        const results = (await Promise.all(children.map((c) => line(c, (l) => l.startsWith("{"))))).map(
          (l) => JSON.parse(l) as { won: boolean; pid: number; code?: number; message?: string },
        );
        const winners = results.filter((r) => r.won);
        expect(winners).toHaveLength(1);
        const winner = winners[0]!;
        for (const loser of results.filter((r) => !r.won)) {
          expect(loser.code).toBe(3);
          expect(loser.message).toMatch(BUSY);
          expect(loser.message).toContain(`@${hostname()} (pid ${winner.pid}, since `);
        }
        expect((await readLock("race")).pid).toBe(winner.pid);
        for (const c of children) c.child.stdin!.end();
        await Promise.all(children.map((c) => c.done));
        expect(await exists("race")).toBe(false);
        // No temporary or set-aside file is left beside the lock.
        expect(await readdir(join(dir, "state", ".formations", "locks", "formations"))).toEqual([]);
      } finally {
        for (const c of children) if (c.child.exitCode === null) c.child.kill("SIGKILL");
      }
    },
    freshTestTimeout(2),
  );

  it(
    "a lock left by a process of this machine that was killed is removed with a note, and the session taken",
    async () => {
      const killed = contender("wreck", "killed");
      try {
        await line(killed, (l) => l === "ready");
        killed.child.stdin!.write("go\n");
        const won = JSON.parse(await line(killed, (l) => l.startsWith("{"))) as { won: boolean; pid: number };
        expect(won.won).toBe(true);
        killed.child.kill("SIGKILL");
        await killed.done;
      } finally {
        if (killed.child.exitCode === null) killed.child.kill("SIGKILL");
      }
      const left = await readLock("wreck");
      expect(left.pid).toBe(killed.child.pid);
      const held = await locks().acquire("wreck", "refresh", note);
      expect(notes).toEqual([
        expect.stringMatching(new RegExp(`removed the stale lock of session 'wreck' held by \\S+@\\S+ \\(pid ${left.pid}, .*no longer running`)),
      ]);
      expect((await readLock("wreck")).pid).toBe(process.pid);
      await held.release();
      expect(await exists("wreck")).toBe(false);
    },
    freshTestTimeout(1),
  );

  it("another machine's lock: refused while its heartbeat is fresh, removed with a note once it is older than the limit", async () => {
    const start = new Date("2026-12-02T10:00:00Z");
    const theirs = locks({ host: "workstation-b", user: "bob", pid: 4242, now: () => start, heartbeatMs: 3_600_000 });
    await theirs.acquire("far", "stop machine-2", note);
    let now = new Date(start.getTime() + 9 * 60_000);
    const ours = locks({ now: () => now });
    const busy = await ours.acquire("far", "up", note).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(ConcurrentUpdateError);
    expect(exitCodeOf(busy)).toBe(3);
    expect((busy as Error).message).toMatch(BUSY);
    expect((busy as Error).message).toContain("held by bob@workstation-b (pid 4242, since 2026-12-02T10:00:00.000Z, stop machine-2 by tester@here)");
    now = new Date(start.getTime() + 11 * 60_000);
    const held = await ours.acquire("far", "up", note);
    expect(notes).toEqual([expect.stringMatching(/held by bob@workstation-b .*last heartbeat was at 2026-12-02T10:00:00.000Z, more than 10 minute/)]);
    expect((await readLock("far")).host).toBe(hostname());
    await held.release();
  });

  it("the holder refreshes its heartbeat while it holds the lock", async () => {
    const held = await locks({ heartbeatMs: 20 }).acquire("beat", "up", note);
    const first = (await readLock("beat")).heartbeat;
    await vi.waitFor(
      async () => {
        expect((await readLock("beat")).heartbeat > first).toBe(true);
      },
      { timeout: 30_000, interval: 20 },
    );
    await held.release();
    expect(await exists("beat")).toBe(false);
    expect(notes).toEqual([]);
  });

  it("a lock taken over as stale is never removed by its former holder, which notes the loss", async () => {
    const t0 = Date.now();
    let clock = t0;
    const slow = await locks({ host: "workstation-b", pid: 1, heartbeatMs: 250, now: () => new Date(clock) }).acquire("taken", "stop", note);
    const later = new Date(t0 + 3_600_000);
    const other = await locks({ now: () => later }).acquire("taken", "up", note);
    expect(notes[0]).toMatch(/removed the stale lock/);
    await vi.waitFor(() => expect(notes).toContainEqual(expect.stringMatching(/lock of session 'taken' .* was taken over by another process/)), {
      timeout: 30_000,
      interval: 20,
    });
    clock = t0 + 1;
    await slow.release();
    expect((await readLock("taken")).host).toBe(hostname());
    await other.release();
    expect(await exists("taken")).toBe(false);
  });

  it("an operation that fails releases the lock (OperationRunner holds it around every operation)", async () => {
    const lock = locks();
    const events: string[] = [];
    const runner = new OperationRunner({
      concurrency: 2,
      emit: (e) => events.push(e.type === "diagnostic" ? e.message : e.type),
      now: () => new Date(),
      actor: "tester@here",
      lock: (s, a, n) => lock.acquire(s, a, n),
    });
    let seen: LockBody | undefined;
    const failed = await runner
      .run("boom", "stop machine-1", async () => {
        seen = await readLock("boom");
        throw new Error("the driver failed");
      })
      .catch((e: unknown) => e);
    expect((failed as Error).message).toMatch(/the driver failed/);
    expect(seen).toMatchObject({ pid: process.pid, action: "stop machine-1", actor: "tester@here" });
    expect(await exists("boom")).toBe(false);
    // A second runner (another workspace) is refused while the first holds the session.
    const other = new OperationRunner({
      concurrency: 1,
      emit: () => undefined,
      now: () => new Date(),
      actor: "b",
      lock: (s, a, n) => locks({ pid: 1 }).acquire(s, a, n),
    });
    const result = await runner.run("boom", "up", async () => other.run("boom", "refresh", async () => "ran").catch((e: unknown) => e));
    expect(exitCodeOf(result)).toBe(3);
    expect((result as Error).message).toMatch(BUSY);
    expect(await exists("boom")).toBe(false);
  });

  it("a backend without a lock store says so once, and holds nothing", async () => {
    const cloud = await openSessionLock("https://api.pulumi.com", {}, { actor: "a", project: "formations" });
    await (await cloud.acquire("x", "up", note)).release();
    await (await cloud.acquire("x", "stop", note)).release();
    expect(notes).toEqual([unsupportedNote("https")]);
    expect(notes[0]).toMatch(
      /no session lock of its own on https:\/\/ backends \(only file:\/\/, azblob:\/\/, s3:\/\/ and gs:\/\/\).*Pulumi's lock still guards up, refresh and destroy/,
    );
  });
});
