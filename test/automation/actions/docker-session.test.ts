/**
 * Test layer 3, Docker half: the real Docker engine, with no Pulumi involved (the driver acts on containers directly).
 * Whole-session actions against a real engine: tier order in a cluster (read back from Docker's
 * own event stream), shared storage left alone, two actions on one session serialised, and a
 * batch stop over 20 containers with parallelism 5 and one container gone.
 */
import type Docker from "dockerode";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { actOnMachine, actOnSession, actOnSessions, runBatch, SessionBusyError, SessionLocks, type ActionTarget } from "../../../automation/actions/index.js";
import { DockerDriver } from "../../../clouds/docker/actions/driver.js";
import type { Role } from "../../../plan/types.js";
import { cleanup, createMachine, ensureEngine, rawState, uniqueSession } from "./engine.js";

/** Real containers on a shared, sometimes busy machine: a bound, not a speed claim. */
const SLOW = 120_000;

let docker: Docker;
const driver = new DockerDriver();
const sessions: string[] = [];
const volumes: string[] = [];

beforeAll(async () => {
  docker = await ensureEngine();
}, 200_000);

afterEach(async () => {
  if (!docker) return; // the engine never came up: beforeAll has already failed the suite
  await Promise.all(sessions.splice(0).map((s) => cleanup(docker, s)));
  await Promise.all(
    volumes.splice(0).map((v) =>
      docker
        .getVolume(v)
        .remove()
        .catch(() => undefined),
    ),
  );
}, SLOW);

function newSession(what: string): string {
  const s = uniqueSession(what);
  sessions.push(s);
  return s;
}

/** An EMR-shaped session: proxy (tier 0), master (1), two workers (2), the last three sharing a volume. */
async function cluster(what: string): Promise<{ session: string; targets: ActionTarget[]; volume: string; since: number }> {
  const session = newSession(what);
  const volume = `${session}-shared`;
  volumes.push(volume);
  await docker.createVolume({ Name: volume });
  const spec: [string, Role][] = [
    ["proxy", "proxy"],
    ["master", "master"],
    ["worker-1", "worker"],
    ["worker-2", "worker"],
  ];
  // The shared storage: a named volume the master and workers mount, as the adapter's /shared.
  const mounts = (role: Role) => (role === "proxy" ? [] : [`${volume}:/shared`]);
  const targets = await Promise.all(spec.map(([m, role]) => createMachine(docker, session, m, role, { binds: mounts(role) })));
  return { session, targets, volume, since: await settled(session, targets.length) };
}

interface EngineEvent {
  status: string;
  timeNano: number;
  Actor: { Attributes: Record<string, string> };
}

/** Docker's own record of what happened to a session's containers after `afterNs`, in order. */
async function rawEvents(session: string, afterNs: number, kinds: string[]): Promise<EngineEvent[]> {
  const stream = await docker.getEvents({
    since: Math.floor(afterNs / 1e9),
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { type: ["container"], event: kinds, label: [`formations-session=${session}`] },
  });
  let text = "";
  for await (const chunk of stream) text += String(chunk);
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as EngineEvent)
    .filter((e) => e.timeNano > afterNs) // `since` is whole seconds: drop what came before
    .sort((a, b) => a.timeNano - b.timeNano);
}

async function events(session: string, afterNs: number, kinds: string[]): Promise<string[]> {
  return (await rawEvents(session, afterNs, kinds)).map((e) => `${e.status} ${e.Actor.Attributes["formations-machine"]}`);
}

/**
 * The engine's time of the last of `count` container starts of the session: the point after which
 * events belong to the test. (The engine may log a start a moment after the API call returned.)
 */
async function settled(session: string, count: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const starts = await rawEvents(session, 0, ["start"]);
    if (starts.length >= count) return starts[starts.length - 1]!.timeNano;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the engine never reported ${count} container starts for ${session}`);
}

describe("a 3-tier cluster", { timeout: SLOW }, () => {
  it("stops workers, then the master, then the proxy; starts in reverse; keeps the volume", async () => {
    const { session, targets, volume, since } = await cluster("tiers");
    const tiers: number[] = [];
    const stopped = await actOnSession(driver, session, targets, "stop", { onTier: (n) => tiers.push(n) });
    expect(stopped.map((r) => [r.machine, r.outcome, r.to])).toEqual(targets.map((t) => [t.machine, "done", "stopped"]));
    expect(tiers).toEqual([2, 1, 0]);
    const dies = await events(session, since, ["die"]);
    expect(dies.slice(0, 2).sort()).toEqual(["die worker-1", "die worker-2"]);
    expect(dies.slice(2)).toEqual(["die master", "die proxy"]);

    const started = await actOnSession(driver, session, targets, "start", { pollMs: 50, onTier: (n) => tiers.push(n) });
    expect(started.every((r) => r.outcome === "done" && r.to === "running")).toBe(true);
    expect(tiers.slice(3)).toEqual([0, 1, 2]);
    const starts = await events(session, since, ["start"]);
    expect(starts.slice(0, 2)).toEqual(["start proxy", "start master"]);
    expect(starts.slice(2).sort()).toEqual(["start worker-1", "start worker-2"]);

    // Terminating the whole session removes machines only: the shared volume outlives them.
    const gone = await actOnSession(driver, session, targets, "terminate");
    expect(gone.every((r) => r.outcome === "done" && r.to === "terminated")).toBe(true);
    expect((await docker.getVolume(volume).inspect()).Name).toBe(volume);
  });

  it("a session stop twice: the second is a no-op everywhere", async () => {
    const { session, targets } = await cluster("twice");
    await actOnSession(driver, session, targets, "stop");
    const again = await actOnSession(driver, session, targets, "stop");
    expect(again.map((r) => r.outcome)).toEqual(["no-op", "no-op", "no-op", "no-op"]);
  });

  it("does not start workers when the master cannot start", async () => {
    const { session, targets } = await cluster("blocked");
    await actOnSession(driver, session, targets, "stop");
    await docker.getContainer(targets[1]!.providerId!).remove(); // the master vanishes behind our back
    const r = await actOnSession(driver, session, targets, "start", { pollMs: 50 });
    expect(r.map((x) => [x.machine, x.outcome])).toEqual([
      ["proxy", "done"],
      ["master", "failed"],
      ["worker-1", "failed"],
      ["worker-2", "failed"],
    ]);
    expect(r[2]!.error).toBe("not attempted: tier 1 (master) did not reach running");
    expect(await rawState(docker, targets[2]!)).toBe("exited");
  });
});

describe("one session, two actions", { timeout: SLOW }, () => {
  it("never interleave: the second waits for the first, in arrival order", async () => {
    const { session, targets, since } = await cluster("lock");
    const order: string[] = [];
    const log = (r: { action: string; machine: string }) => order.push(`${r.action} ${r.machine}`);
    const stop = actOnSession(driver, session, targets, "stop", { onResult: log });
    const start = actOnSession(driver, session, targets, "start", { onResult: log, pollMs: 50 });
    const one = actOnMachine(driver, targets[0]!, "hibernate").then(log);
    await Promise.all([stop, start, one]);
    expect(order.slice(0, 4).every((o) => o.startsWith("stop "))).toBe(true);
    expect(order.slice(4, 8).every((o) => o.startsWith("start "))).toBe(true);
    expect(order[8]).toBe("hibernate proxy");
    // Docker saw the same: every die before any start, the pause last.
    const seen = await events(session, since, ["die", "start", "pause"]);
    expect(seen.slice(0, 4).every((e) => e.startsWith("die "))).toBe(true);
    expect(seen.slice(4, 8).every((e) => e.startsWith("start "))).toBe(true);
    expect(seen[8]).toBe("pause proxy");
  });

  it("with wait: false the second fails at once and clearly", async () => {
    const { session, targets } = await cluster("busy");
    const locks = new SessionLocks();
    const first = actOnSession(driver, session, targets, "stop", { locks });
    const second = actOnSession(driver, session, targets, "start", { locks, wait: false });
    await expect(second).rejects.toThrow(SessionBusyError);
    await expect(second).rejects.toThrow(`session ${session} is busy with 'stop': wait for it to finish, or try again later`);
    expect((await first).every((r) => r.outcome === "done")).toBe(true);
    expect(locks.busy(session)).toBe(false);
  });
});

describe("batch", { timeout: SLOW }, () => {
  /** Counts calls in flight, to check the parallelism bound without timing anything. */
  class CountingDriver extends DockerDriver {
    inFlight = 0;
    most = 0;
    override async stop(t: ActionTarget, force?: boolean) {
      this.most = Math.max(this.most, ++this.inFlight);
      try {
        return await super.stop(t, force);
      } finally {
        this.inFlight--;
      }
    }
  }

  it("stops 20 containers 5 at a time; one removed beforehand fails with why, the rest are done", async () => {
    const session = newSession("batch");
    const targets = await Promise.all(Array.from({ length: 20 }, (_, i) => createMachine(docker, session, `machine-${i + 1}`, "member")));
    await docker.getContainer(targets[7]!.providerId!).remove({ force: true });
    const counting = new CountingDriver();
    const results = await runBatch(counting, targets, "stop", { concurrency: 5 });
    expect(results).toHaveLength(20);
    expect(results.map((r) => r.machine)).toEqual(targets.map((t) => t.machine));
    expect(results[7]).toMatchObject({ machine: "machine-8", outcome: "failed", from: "terminated", attempts: 1 });
    expect(results[7]!.error).toBe(`container ${session}-machine-8 does not exist (removed outside formations?): cannot stop it`);
    expect(results.filter((r) => r.outcome === "done")).toHaveLength(19);
    expect(counting.most).toBe(5);
    for (const t of targets.filter((_, i) => i !== 7)) expect(await rawState(docker, t)).toBe("exited");
  });

  it("stop-all: sessions selected by label, each in its own tier order, one result per machine", async () => {
    const course = uniqueSession("course"); // a label value no other test uses
    const a = newSession("all-a");
    const b = newSession("all-b");
    const labels = { course };
    const made = [
      await createMachine(docker, a, "head", "head", { labels }),
      await createMachine(docker, a, "compute-1", "compute", { labels }),
      await createMachine(docker, b, "machine", "machine", { labels }),
    ];
    const outsider = await createMachine(docker, b, "other", "machine"); // same session, not selected
    const targets = await driver.select(labels);
    expect(targets.map((t) => `${t.session}/${t.machine}`).sort()).toEqual(made.map((t) => `${t.session}/${t.machine}`).sort());
    const results = await actOnSessions(driver, targets, "stop", { concurrency: 2 });
    expect(results.map((r) => [r.session, r.machine, r.outcome])).toEqual(targets.map((t) => [t.session, t.machine, "done"]));
    expect(await rawState(docker, outsider)).toBe("running");
  });
});
