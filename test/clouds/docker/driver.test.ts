/**
 * Test layer 3, Docker half: the real Docker engine, with no Pulumi involved (the driver acts on containers directly).
 * The Docker driver against a real engine: every action and the normalised state it leaves,
 * idempotency (each action twice: the second is a no-op), the force variants, snapshots, and the
 * failures users meet (a container removed behind our back, an engine that does not answer).
 */
import type Docker from "dockerode";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runOne, type ActionTarget } from "../../../automation/actions/index.js";
import { DockerDriver } from "../../../clouds/docker/actions/driver.js";
import { fromDockerState } from "../../../clouds/docker/actions/states.js";
import { cleanup, createMachine, ensureEngine, rawState, uniqueSession } from "../../automation/actions/engine.js";

/** Real containers on a shared, sometimes busy machine: a bound, not a speed claim. */
const SLOW = 60_000;

let docker: Docker;
const driver = new DockerDriver();
const sessions: string[] = [];
const images: string[] = [];

beforeAll(async () => {
  docker = await ensureEngine();
}, 200_000);

afterEach(async () => {
  if (!docker) return; // the engine never came up: beforeAll has already failed the suite
  await Promise.all(sessions.splice(0).map((s) => cleanup(docker, s, images.splice(0))));
}, SLOW);

/** A fresh session with one container, running unless told otherwise. */
async function machine(what: string, opts: { start?: boolean; cmd?: string[] } = {}): Promise<ActionTarget> {
  const session = uniqueSession(what);
  sessions.push(session);
  return createMachine(docker, session, "machine", "machine", opts);
}

/** StartedAt in ns: Docker trims trailing zeros of the fraction, so the strings do not compare as text. */
async function startedAt(t: ActionTarget): Promise<bigint> {
  const s = (await docker.getContainer(t.providerId!).inspect()).State.StartedAt;
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(s)!;
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/** Runs a command in a running container and waits for it to finish. */
async function exec(t: ActionTarget, cmd: string[]): Promise<void> {
  const e = await docker.getContainer(t.providerId!).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({});
  await new Promise((resolve) => stream.on("end", resolve).resume());
  expect((await e.inspect()).ExitCode).toBe(0);
}

describe("normalised states", { timeout: SLOW }, () => {
  it("maps every raw Docker state", () => {
    const table = {
      created: "pending",
      restarting: "pending",
      running: "running",
      paused: "hibernated",
      exited: "stopped",
      dead: "stopped",
      removing: "terminated",
      missing: "terminated",
    };
    for (const [raw, state] of Object.entries(table)) expect([raw, fromDockerState(raw)]).toEqual([raw, state]);
    expect(fromDockerState(undefined)).toBe("terminated");
    expect(() => fromDockerState("frozen")).toThrow(/unknown Docker container state 'frozen'/);
  });

  it("reads pending, running, hibernated, stopped and terminated from real containers", async () => {
    const t = await machine("states", { start: false });
    expect(await driver.state(t)).toBe("pending");
    await docker.getContainer(t.providerId!).start();
    expect(await driver.state(t)).toBe("running");
    await docker.getContainer(t.providerId!).pause();
    expect(await driver.state(t)).toBe("hibernated");
    await docker.getContainer(t.providerId!).stop();
    expect(await driver.state(t)).toBe("stopped");
    await docker.getContainer(t.providerId!).remove();
    expect(await driver.state(t)).toBe("terminated");
  });

  it("finds a session's containers by label, with their roles", async () => {
    const t = await machine("targets");
    const head = await createMachine(docker, t.session, "head", "head");
    const found = await driver.targets(t.session);
    expect(found.map((f) => [f.machine, f.role, f.providerId]).sort()).toEqual([
      ["head", "head", head.providerId],
      ["machine", "machine", t.providerId],
    ]);
  });
});

describe("each action, twice", { timeout: SLOW }, () => {
  it("stop: running -> stopped, then no-op", async () => {
    const t = await machine("stop");
    expect(await driver.stop(t)).toMatchObject({ action: "stop", outcome: "done", from: "running", to: "stopped" });
    expect(await rawState(docker, t)).toBe("exited");
    expect(await driver.stop(t)).toMatchObject({ outcome: "no-op", from: "stopped", to: "stopped" });
  });

  it("start: stopped -> running, then no-op", async () => {
    const t = await machine("start");
    await docker.getContainer(t.providerId!).stop();
    expect(await driver.start(t)).toMatchObject({ action: "start", outcome: "done", from: "stopped", to: "running" });
    const first = await startedAt(t);
    expect(await driver.start(t)).toMatchObject({ outcome: "no-op", from: "running", to: "running" });
    expect(await startedAt(t)).toBe(first); // the no-op did not restart it
  });

  it("start of a created container runs it", async () => {
    const t = await machine("start-created", { start: false });
    expect(await driver.start(t)).toMatchObject({ outcome: "done", from: "pending", to: "running" });
  });

  it("hibernate: running -> hibernated (paused), then no-op; start resumes it", async () => {
    const t = await machine("hibernate");
    expect(await driver.hibernate(t)).toMatchObject({ action: "hibernate", outcome: "done", from: "running", to: "hibernated" });
    expect(await rawState(docker, t)).toBe("paused");
    expect(await driver.hibernate(t)).toMatchObject({ outcome: "no-op", from: "hibernated", to: "hibernated" });
    const before = await startedAt(t);
    expect(await driver.start(t)).toMatchObject({ outcome: "done", from: "hibernated", to: "running" });
    expect(await startedAt(t)).toBe(before); // unpaused where it left off, not restarted
  });

  it("shutdown: a graceful stop, then no-op", async () => {
    const t = await machine("shutdown");
    expect(await driver.shutdown(t)).toMatchObject({ action: "shutdown", outcome: "done", from: "running", to: "stopped" });
    const info = await docker.getContainer(t.providerId!).inspect();
    expect(info.State.ExitCode).toBe(0); // the test image's TERM trap ran: it was asked, not killed
    expect(await driver.shutdown(t)).toMatchObject({ outcome: "no-op", to: "stopped" });
  });

  it("reboot: restarts a running container (never a no-op: it is an act, not a state)", async () => {
    const t = await machine("reboot");
    const before = await startedAt(t);
    expect(await driver.reboot(t)).toMatchObject({ action: "reboot", outcome: "done", from: "running", to: "running" });
    const after = await startedAt(t);
    expect(after > before).toBe(true);
    expect(await driver.reboot(t)).toMatchObject({ outcome: "done", to: "running" });
    expect((await startedAt(t)) > after).toBe(true);
  });

  it("terminate: removes the container, then no-op", async () => {
    const t = await machine("terminate");
    expect(await driver.terminate(t)).toMatchObject({ action: "terminate", outcome: "done", from: "running", to: "terminated" });
    expect(await rawState(docker, t)).toBe("missing");
    expect(await driver.terminate(t)).toMatchObject({ outcome: "no-op", from: "terminated", to: "terminated" });
  });
});

describe("force variants", { timeout: SLOW }, () => {
  it("force stop kills a container that ignores SIGTERM; again is a no-op", async () => {
    // busybox sleep as PID 1 has no TERM handler, so only a kill ends it.
    const t = await machine("force-stop", { cmd: ["sleep", "3600"] });
    expect(await driver.stop(t, true)).toMatchObject({ outcome: "done", from: "running", to: "stopped" });
    expect((await docker.getContainer(t.providerId!).inspect()).State.ExitCode).toBe(137);
    expect(await driver.stop(t, true)).toMatchObject({ outcome: "no-op", to: "stopped" });
  });

  it("a graceful stop that runs out of time reports that Docker killed it", async () => {
    const t = await machine("stop-timeout", { cmd: ["sleep", "3600"] });
    const r = await new DockerDriver({ stopTimeoutSeconds: 1 }).stop(t);
    expect(r).toMatchObject({ outcome: "done", to: "stopped", fallback: "did not shut down within 1 s: Docker killed it" });
  });

  it("force reboot kills and starts again", async () => {
    const t = await machine("force-reboot", { cmd: ["sleep", "3600"] });
    const before = await startedAt(t);
    expect(await driver.reboot(t, true)).toMatchObject({ outcome: "done", from: "running", to: "running" });
    expect((await startedAt(t)) > before).toBe(true);
  });

  it("force hibernate pauses as hibernate does and says force meant nothing", async () => {
    const t = await machine("force-hibernate");
    const r = await driver.hibernate(t, true);
    expect(r).toMatchObject({ outcome: "done", to: "hibernated" });
    expect(r.fallback).toMatch(/no forced pause/);
    expect(await driver.hibernate(t, true)).toMatchObject({ outcome: "no-op" });
  });

  it("stop of a hibernated container stops it", async () => {
    const t = await machine("stop-paused");
    await driver.hibernate(t);
    expect(await driver.stop(t, true)).toMatchObject({ outcome: "done", from: "hibernated", to: "stopped" });
  });
});

describe("snapshot", { timeout: SLOW }, () => {
  it("commits an image whose id comes back at once, and a container from it runs", async () => {
    const t = await machine("snapshot");
    await exec(t, ["sh", "-c", "echo kept > /root/marker"]);
    const ref = `${t.session}-img:v1`;
    images.push(ref);
    const r = await driver.snapshot(t, ref);
    expect(r).toMatchObject({ action: "snapshot", outcome: "done", from: "running", to: "running" });
    const image = await docker.getImage(ref).inspect();
    expect(image.Id).toBe(r.imageId);
    expect(image.Config.Labels?.["formations-snapshot-of"]).toBe(`${t.session}/machine`);
    const copy = await createMachine(docker, t.session, "from-snapshot", "machine", { image: ref, cmd: ["cat", "/root/marker"] });
    const exit = (await docker.getContainer(copy.providerId!).wait()) as { StatusCode: number };
    expect(exit.StatusCode).toBe(0);
    const logs = await docker.getContainer(copy.providerId!).logs({ stdout: true });
    expect(logs.toString()).toContain("kept");
  });

  it("names the image <session>-<machine>-<timestamp> by default", async () => {
    const t = await machine("snapshot-name");
    await docker.getContainer(t.providerId!).stop();
    const r = await new DockerDriver({ now: () => new Date("2026-03-04T05:06:07Z") }).snapshot(t);
    const ref = `${t.session}-machine-20260304050607:latest`;
    images.push(ref);
    expect((await docker.getImage(ref).inspect()).Id).toBe(r.imageId);
    expect(r).toMatchObject({ outcome: "done", from: "stopped", to: "stopped" });
  });
});

describe("failures, classified", { timeout: SLOW }, () => {
  it("a container removed outside formations: failed, terminated, and why", async () => {
    const t = await machine("gone");
    await docker.getContainer(t.providerId!).remove({ force: true });
    for (const action of ["start", "stop", "hibernate", "reboot", "snapshot"] as const) {
      const r = await runOne(driver, t, action);
      expect(r).toMatchObject({ action, outcome: "failed", from: "terminated", to: "terminated", attempts: 1 });
      expect(r.error).toMatch(/does not exist \(removed outside formations\?\)/);
    }
  });

  it("an engine that does not answer within the wait: failed with one line, not retried", async () => {
    // A restarting engine is waited for (engineWaitMs, 30 s by default; test/e2e/faults restarts one mid-batch): here, briefly.
    const dead = new DockerDriver({ host: "unix:///tmp/formations-no-such-engine.sock", engineWaitMs: 1_000 });
    const before = Date.now();
    expect(dead.interruptedSince(before)).toBe(false);
    const r = await runOne(dead, { session: "s1", machine: "machine", role: "machine" }, "stop", { baseDelayMs: 1 });
    expect(r).toMatchObject({ outcome: "failed", from: "unknown", attempts: 1 });
    // The engine was found gone: a session action reads its machines again once it answers (cluster.ts).
    expect(dead.interruptedSince(before)).toBe(true);
    expect(dead.interruptedSince(Date.now() + 1)).toBe(false);
    // A failure saying the Docker provider could not reach the engine: waited for, bounded; any other error is not.
    const unreachable = new Error("failed to create Docker client: Error pinging Docker server ... Cannot connect to the Docker daemon at unix:///x.sock");
    expect(await dead.awaitEngine(unreachable)).toBe(false);
    expect(await driver.awaitEngine(unreachable)).toBe(true);
    expect(await driver.awaitEngine(new Error("update failed: image not found"))).toBe(false);
    // A live engine is never reported interrupted by its own answers.
    const quiet = Date.now();
    await runOne(driver, { session: "s1", machine: "none", role: "machine" }, "stop");
    expect(driver.interruptedSince(quiet)).toBe(false);
    expect(r.error).toBe(
      "Docker engine at unix:///tmp/formations-no-such-engine.sock is not answering (ENOENT): start it, or point DOCKER_HOST / cloud.host at a running engine",
    );
  });

  it("hibernate or reboot of a stopped container fails and says what to do", async () => {
    const t = await machine("stopped-acts");
    await docker.getContainer(t.providerId!).stop();
    const h = await runOne(driver, t, "hibernate");
    expect(h).toMatchObject({ outcome: "failed", from: "stopped", to: "stopped" });
    expect(h.error).toMatch(/nothing to hibernate \(start it first/);
    const b = await runOne(driver, t, "reboot");
    expect(b.error).toMatch(/nothing to reboot \(use start\)/);
    expect(await rawState(docker, t)).toBe("exited");
  });
});
