/**
 * Test layer: unit, with FakeEngine (a test double of the Pulumi engine) and test-double drivers; not end-to-end.
 * Session actions through the library (Sessions.start/stop/...), with FakeEngine (a test double
 * of the engine) standing in for Pulumi and TestDoubleDriver (a test double of a provider's
 * API): which path each provider and action takes, what is journaled and recorded, cluster
 * order, repeat safety, hibernate honesty and the locks (this process's, and the backend's
 * session lock another workspace meets).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConcurrentUpdateError, SessionError } from "../../../automation/session/errors.js";
import { reportExitCode } from "../../../automation/actions/session-actions.js";
import type { Provider } from "../../../format/types.js";
import { harness, type Harness } from "../helpers.js";
import { hpc, lab, pool } from "./formations.js";
import { mirrorInto, TestDoubleDriver } from "./test-double-driver.js";

let h: Harness;
let driver: TestDoubleDriver;
let asked: Provider[];

beforeEach(async () => {
  driver = new TestDoubleDriver();
  asked = [];
  h = await harness({
    drivers: (provider) => {
      asked.push(provider);
      return driver;
    },
  });
  mirrorInto(driver, h.engine);
});
afterEach(() => h.cleanup());

async function up(text: string, session = "lab"): Promise<void> {
  await h.sessions.up(await h.file(`${session}.yaml`, text), { session });
}

const desiredOf = (session = "lab") => JSON.parse(h.engine.state(session).config["formations:desired"]!.value) as Record<string, string>;
const engineOps = (session = "lab") => h.engine.calls.filter((c) => /^(up|refresh|destroy|preview):/.test(c) && c.endsWith(`:${session}`));
const actionEntries = async (session = "lab") => (await h.sessions.journal(session)).filter((e) => !["up", "refresh", "drift"].includes(e.action));

describe("the driver path (Docker: every power action through Docker's API)", () => {
  it("a refresh failed because the provider's engine was restarting is made once more when the driver sees it answer again", async () => {
    await up(pool(2));
    const asked: string[] = [];
    driver.awaitEngine = async (err) => {
      asked.push(err instanceof Error ? err.message : String(err));
      return /Cannot connect to the Docker daemon/.test(asked.at(-1)!);
    };
    const before = engineOps().length;
    h.engine.failNext("refresh", "lab", new Error("error: Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?"));
    const r = await h.sessions.stop("lab");
    expect(r.refresh).toBe("ok");
    expect(engineOps().slice(before)).toEqual(["refresh:lab", "refresh:lab"]);
    expect(asked).toHaveLength(1);
    // Any other refresh failure is reported as before: no second refresh.
    const again = engineOps().length;
    h.engine.failNext("refresh", "lab", new Error("error: something else broke"));
    const s = await h.sessions.start("lab");
    expect(s.refresh).toBe("failed");
    expect(s.refreshError).toMatch(/something else broke/);
    expect(engineOps().slice(again)).toEqual(["refresh:lab"]);
    expect(asked).toHaveLength(2);
  });

  it("stops every machine through the driver, records the desired state, journals each machine, then refreshes", async () => {
    await up(pool(3));
    const before = engineOps().length;
    const r = await h.sessions.stop("lab");
    expect(r.results.map((x) => [x.machine, x.outcome, x.from, x.to, x.path])).toEqual([
      ["machine-1", "done", "running", "stopped", "driver"],
      ["machine-2", "done", "running", "stopped", "driver"],
      ["machine-3", "done", "running", "stopped", "driver"],
    ]);
    expect(driver.calls.sort()).toEqual(["stop lab/machine-1", "stop lab/machine-2", "stop lab/machine-3"]);
    expect(engineOps().slice(before)).toEqual(["refresh:lab"]);
    expect(r.refresh).toBe("ok");
    expect(desiredOf()).toEqual({ "machine-1": "stopped", "machine-2": "stopped", "machine-3": "stopped" });
    const entries = await actionEntries();
    expect(entries.map((e) => ({ action: e.action, machine: e.machine, from: e.from, to: e.to, result: e.result, actor: e.actor }))).toEqual(
      ["machine-1", "machine-2", "machine-3"].map((machine) => ({
        action: "stop",
        machine,
        from: "running",
        to: "stopped",
        result: "ok",
        actor: "tester@host",
      })),
    );
    expect(entries.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
    expect(reportExitCode([r])).toBe(0);
  });

  it("a later up keeps what the action did (the recorded desired state)", async () => {
    await up(pool(2));
    await h.sessions.stop("lab", { machine: "machine-2" });
    await h.sessions.apply("lab");
    expect(h.engine.state("lab").cloud).toEqual({ "machine-1": "running", "machine-2": "stopped" });
    expect((await h.sessions.show("lab")).machines.map((m) => m.state)).toEqual(["running", "stopped"]);
  });

  it("acting twice is safe: the second stop is a no-op for every machine, journaled, and needs no refresh", async () => {
    await up(pool(2));
    await h.sessions.stop("lab");
    const ops = engineOps().length;
    const r = await h.sessions.stop("lab");
    expect(r.results.map((x) => x.outcome)).toEqual(["no-op", "no-op"]);
    expect(r.refresh).toBe("skipped");
    expect(engineOps().length).toBe(ops);
    expect((await actionEntries()).slice(-2).map((e) => [e.machine, e.result, e.to])).toEqual([
      ["machine-1", "no-op", "stopped"],
      ["machine-2", "no-op", "stopped"],
    ]);
    expect(reportExitCode([r])).toBe(0);
  });

  it("hibernate on Docker pauses (no hibernation needed at launch) and is recorded as hibernated", async () => {
    await up(pool(1));
    const r = await h.sessions.hibernate("lab");
    expect(r.results[0]).toMatchObject({ outcome: "done", to: "hibernated", path: "driver" });
    expect(desiredOf()).toEqual({ "machine-1": "hibernated" });
  });

  it("a failed machine is a failed result with the driver's reason (exit 3), the others still act", async () => {
    await up(pool(3));
    const { ActionError } = await import("../../../automation/actions/types.js");
    driver.failing.set("lab/machine-2", new ActionError("other", "permission denied on lab-machine-2", { from: "running" }));
    const r = await h.sessions.stop("lab");
    expect(r.results.map((x) => x.outcome)).toEqual(["done", "failed", "done"]);
    expect(r.results[1]!.error).toBe("permission denied on lab-machine-2");
    expect(desiredOf()).toEqual({ "machine-1": "stopped", "machine-3": "stopped" });
    expect((await actionEntries()).find((e) => e.machine === "machine-2")).toMatchObject({ result: "failed", detail: "permission denied on lab-machine-2" });
    expect(reportExitCode([r])).toBe(3);
  });

  it("retries a throttled call with backoff and reports the attempts", async () => {
    await up(pool(1));
    driver.throttled.set("lab/machine-1", 2);
    const r = await h.sessions.stop("lab", { baseDelayMs: 1, random: () => 0.5 });
    expect(r.results[0]).toMatchObject({ outcome: "done", attempts: 3 });
  });

  it("targets carry what drivers need: role, spot, and no hibernation flag on Docker (pause always works)", async () => {
    await up(pool(1));
    await h.sessions.reboot("lab");
    expect(driver.targets[0]).toEqual({ session: "lab", machine: "machine-1", role: "member", spot: false });
    expect(asked).toEqual(["docker"]);
  });
});

describe("the declarative path (the provider's resource holds the power state)", () => {
  it("AWS stop: the desired state changes and up converges; no driver call, no refresh", async () => {
    await up(pool(2, { provider: "aws" }));
    const before = engineOps().length;
    const r = await h.sessions.stop("lab", { machine: "machine-1" });
    expect(r.results).toEqual([{ session: "lab", machine: "machine-1", action: "stop", outcome: "done", from: "running", to: "stopped", path: "declarative" }]);
    expect(driver.calls).toEqual([]);
    expect(asked).toEqual([]);
    expect(engineOps().slice(before)).toEqual(["up:lab"]);
    expect(h.engine.state("lab").cloud).toEqual({ "machine-1": "stopped", "machine-2": "running" });
    expect((await actionEntries()).map((e) => [e.action, e.machine, e.from, e.to, e.result])).toEqual([["stop", "machine-1", "running", "stopped", "ok"]]);
  });

  it("AWS: a second stop is a no-op without an update", async () => {
    await up(pool(1, { provider: "aws" }));
    await h.sessions.stop("lab");
    const before = engineOps().length;
    const r = await h.sessions.stop("lab");
    expect(r.results[0]).toMatchObject({ outcome: "no-op", from: "stopped", to: "stopped" });
    expect(engineOps().length).toBe(before);
  });

  it("AWS hibernate, reboot and a forced stop go through the driver (then refresh)", async () => {
    await up(pool(1, { provider: "aws" }));
    for (const [act, opts] of [
      ["hibernate", {}],
      ["reboot", {}],
      ["stop", { force: true }],
    ] as const) {
      const before = engineOps().length;
      const r = await h.sessions[act]("lab", opts);
      expect(r.results[0]!.path).toBe("driver");
      expect(engineOps().slice(before)).toEqual(["refresh:lab"]);
    }
    expect(driver.calls).toEqual(["hibernate lab/machine-1", "reboot lab/machine-1", "stop lab/machine-1"]);
    expect(asked).toEqual(["aws", "aws", "aws"]);
  });

  it("AWS targets carry the instance id, region, hibernation and spot for the driver", async () => {
    await up(pool(1, { provider: "aws" }));
    await h.sessions.reboot("lab");
    expect(driver.targets[0]).toEqual({
      session: "lab",
      machine: "machine-1",
      role: "member",
      providerId: "fake-lab-machine-1",
      region: "eu-west-1",
      hibernation: true,
      spot: false,
    });
  });

  it("a one-time spot machine's target says so from the plan (the driver need not find its spot request)", async () => {
    await up(pool(1, { provider: "aws", machine: ["spot: true"], interruption: "terminate" }));
    await h.sessions.reboot("lab");
    expect(driver.targets[0]).toMatchObject({ machine: "machine-1", spot: true, oneTimeSpot: true });
  });

  it("GCP hibernate is declarative (desiredStatus SUSPENDED)", async () => {
    await up(pool(1, { provider: "gcp" }));
    const r = await h.sessions.hibernate("lab");
    expect(r.results[0]).toMatchObject({ outcome: "done", to: "hibernated", path: "declarative" });
    expect(driver.calls).toEqual([]);
    expect(desiredOf()).toEqual({ "machine-1": "hibernated" });
  });

  it("GCP hibernate of a stopped machine fails before any update: there is no memory to keep", async () => {
    await up(pool(2, { provider: "gcp" }));
    await h.sessions.stop("lab", { machine: "machine-2" });
    const before = engineOps().length;
    const r = await h.sessions.hibernate("lab");
    expect(r.results.map((x) => [x.machine, x.outcome])).toEqual([
      ["machine-1", "done"],
      ["machine-2", "failed"],
    ]);
    expect(r.results[1]!.error).toBe("machine-2 is stopped: there is no memory to keep, so nothing to suspend (start it first, or leave it stopped)");
    expect(desiredOf()).toEqual({ "machine-1": "hibernated", "machine-2": "stopped" });
    expect(engineOps().slice(before)).toEqual(["up:lab"]);
  });

  it("OpenStack hibernate shelves declaratively and reports the fallback", async () => {
    await up(pool(1, { provider: "openstack" }));
    const r = await h.sessions.hibernate("lab");
    expect(r.results[0]).toMatchObject({ outcome: "done", path: "declarative" });
    expect(r.results[0]!.fallback).toMatch(/shelved.*memory was not kept/);
    expect((await actionEntries())[0]!.detail).toMatch(/shelved/);
  });

  it("Azure has no declarative power state: stop goes through the driver", async () => {
    await up(pool(1, { provider: "azure" }));
    const r = await h.sessions.stop("lab");
    expect(r.results[0]!.path).toBe("driver");
    expect(asked).toEqual(["azure"]);
  });

  it("a failed update is a failed result and the old desired state is put back", async () => {
    await up(pool(1, { provider: "aws" }));
    const { engineError } = await import("../fake-engine.js");
    h.engine.failNext("up", "lab", engineError("CommandError", "error: operation error EC2: StopInstances, UnauthorizedOperation"));
    const r = await h.sessions.stop("lab");
    expect(r.results[0]).toMatchObject({ outcome: "failed", from: "running", to: "unknown" });
    expect(r.results[0]!.error).toMatch(/UnauthorizedOperation.*desired state was put back/);
    expect(desiredOf()).toEqual({});
    expect((await actionEntries()).at(-1)).toMatchObject({ action: "stop", result: "failed" });
    expect(reportExitCode([r])).toBe(3);
  });

  it("start brings back a machine deleted outside formations by recreating it (whatever the provider)", async () => {
    await up(pool(2));
    h.engine.state("lab").cloud["machine-2"] = "deleted";
    await h.sessions.refresh("lab");
    expect((await h.sessions.show("lab")).machines[1]!.state).toBe("terminated");
    const r = await h.sessions.start("lab", { machine: "machine-2" });
    expect(r.results[0]).toMatchObject({ outcome: "done", from: "terminated", to: "running", path: "declarative" });
    expect((await h.sessions.show("lab")).machines[1]!.state).toBe("running");
  });
});

describe("one-time spot machines", () => {
  it("a stop images and terminates it through the driver (never left running); the image is recorded", async () => {
    await up(pool(1, { provider: "aws", machine: ["spot: true"], interruption: "terminate" }));
    driver.oneTimeSpot.add("lab/machine-1");
    const r = await h.sessions.stop("lab");
    expect(r.results[0]).toMatchObject({ path: "driver", outcome: "done", to: "terminated", imageId: "img-spot" });
    expect(r.results[0]!.fallback).toMatch(/cannot be stopped/);
    const d = await h.sessions.show("lab");
    expect(d.snapshots).toEqual([expect.objectContaining({ machine: "machine-1", id: "img-spot" })]);
    expect(desiredOf()).toEqual({});
  });
});

describe("hibernate honesty", () => {
  it("refuses before any call where hibernation was not enabled at launch, and suggests stop (exit 1)", async () => {
    await up(pool(2, { provider: "aws", image: "windows-2022" }));
    const before = engineOps().length;
    const err = await h.sessions.hibernate("lab", { machine: "machine-2" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionError);
    expect((err as SessionError).exitCode).toBe(1);
    expect((err as Error).message).toBe(
      "cannot hibernate: machine-2 was not launched with hibernation (its image is Windows). Nothing was changed. Use 'formations stop lab --machine machine-2' instead (the disks are kept; memory is not)",
    );
    expect(driver.calls).toEqual([]);
    expect(engineOps().length).toBe(before);
  });

  it("refuses a GCE spot VM (GCE cannot suspend one)", async () => {
    await up(pool(1, { provider: "gcp", machine: ["spot: true"] }));
    await expect(h.sessions.hibernate("lab")).rejects.toThrow(/machine-1 cannot be suspended on GCE \(spot VM\)/);
  });
});

describe("clusters in tier order", () => {
  it("stop: compute nodes first, then the head; start: the head first, then compute", async () => {
    await up(hpc(2));
    const tiers: string[][] = [];
    await h.sessions.stop("lab", { onTier: (_t, _a, ms) => tiers.push([...ms]) });
    await h.sessions.start("lab", { onTier: (_t, _a, ms) => tiers.push([...ms]), pollMs: 1 });
    expect(tiers).toEqual([["compute-1", "compute-2"], ["head"], ["head"], ["compute-1", "compute-2"]]);
    expect(driver.calls.map((c) => c.split(" ")[1])).toEqual(["lab/compute-1", "lab/compute-2", "lab/head", "lab/head", "lab/compute-1", "lab/compute-2"]);
  });

  it("declaratively, one update per tier in the same order", async () => {
    await up(hpc(2, { provider: "aws" }));
    const seen: Record<string, string>[] = [];
    const origUp = h.engine.operate.bind(h.engine);
    h.engine.operate = (name, op, o, body) => {
      if (op === "up") seen.push(JSON.parse(h.engine.state(name).config["formations:desired"]!.value) as Record<string, string>);
      return origUp(name, op, o, body);
    };
    await h.sessions.stop("lab");
    expect(seen).toEqual([
      { "compute-1": "stopped", "compute-2": "stopped" },
      { "compute-1": "stopped", "compute-2": "stopped", head: "stopped" },
    ]);
  });

  it("start: a tier that fails leaves the next tiers not attempted", async () => {
    await up(lab());
    await h.sessions.stop("lab");
    const { ActionError } = await import("../../../automation/actions/types.js");
    driver.failing.set("lab/proxy", new ActionError("other", "no capacity"));
    const r = await h.sessions.start("lab");
    expect(r.results.map((x) => [x.machine, x.outcome, x.error])).toEqual([
      ["proxy", "failed", "no capacity"],
      ["target", "failed", "not attempted: tier 0 (proxy) did not reach running"],
    ]);
  });
});

describe("two actions on one session never interleave", () => {
  it("the second waits for the first; their journal entries do not mix", async () => {
    await up(pool(2));
    let release!: () => void;
    driver.gate = new Promise((r) => (release = r));
    const first = h.sessions.stop("lab");
    const second = h.sessions.start("lab");
    await new Promise((r) => setTimeout(r, 20));
    expect(driver.calls.every((c) => c.startsWith("stop"))).toBe(true);
    release();
    await Promise.all([first, second]);
    expect((await actionEntries()).map((e) => e.action)).toEqual(["stop", "stop", "start", "start"]);
  });

  it("with wait: false the second fails at once with exit 3 naming the holder", async () => {
    await up(pool(1));
    let release!: () => void;
    driver.gate = new Promise((r) => (release = r));
    const first = h.sessions.stop("lab");
    await new Promise((r) => setTimeout(r, 10));
    const err = await h.sessions.reboot("lab", { wait: false }).catch((e: unknown) => e);
    release();
    await first;
    expect(err).toBeInstanceOf(ConcurrentUpdateError);
    expect((err as ConcurrentUpdateError).exitCode).toBe(3);
    expect((err as Error).message).toMatch(/session 'lab' is busy: held by this process \(pid \d+\): stop/);
  });

  it("an action fails fast (exit 3) while an update of the same session runs", async () => {
    await up(pool(1));
    let release!: () => void;
    h.engine.gate = new Promise((r) => (release = r));
    const updating = h.sessions.apply("lab");
    await new Promise((r) => setTimeout(r, 10));
    const err = await h.sessions.stop("lab").catch((e: unknown) => e);
    release();
    await updating;
    expect((err as Error).message).toMatch(/session 'lab' is busy: held by this process \(pid \d+\): up since/);
    expect(driver.calls).toEqual([]);
  });

  it("another workspace on the same backend is refused at once (exit 3) by the session lock in the backend, naming the holder; no entry is lost", async () => {
    await up(pool(2));
    let release!: () => void;
    driver.gate = new Promise((r) => (release = r));
    const first = h.sessions.stop("lab", { machine: "machine-1" });
    const lockFile = join(h.home, "state", ".formations", "locks", "formations", "lab.json");
    await vi.waitFor(() => readFile(lockFile, "utf8"), { timeout: 20_000, interval: 10 });
    // Another Sessions in this process shares the process's action queue (its actions would wait),
    // not its runner: its refresh and journal entry meet only the backend's lock, as another machine's would.
    const elsewhere = h.another({ drivers: () => driver });
    const errs = [await elsewhere.refresh("lab").catch((e: unknown) => e), await elsewhere.appendJournal("lab", { action: "note" }).catch((e: unknown) => e)];
    release();
    await first;
    for (const err of errs) {
      expect(err).toBeInstanceOf(ConcurrentUpdateError);
      expect((err as ConcurrentUpdateError).exitCode).toBe(3);
      expect((err as Error).message).toMatch(
        new RegExp(`session 'lab' is busy: held by \\S+@\\S+ \\(pid ${process.pid}, since \\S+, stop machine-1 by tester@host\\)`),
      );
    }
    await expect(readFile(lockFile)).rejects.toMatchObject({ code: "ENOENT" });
    await elsewhere.stop("lab", { machine: "machine-2" });
    expect((await actionEntries()).map((e) => `${e.actor} ${e.action} ${e.machine}`)).toEqual(["tester@host stop machine-1", "other@ci stop machine-2"]);
  });
});

describe("errors", () => {
  it("an unknown machine is exit 1 and names the machines", async () => {
    await up(pool(2));
    await expect(h.sessions.stop("lab", { machine: "machine-9" })).rejects.toThrow(
      "no machine named 'machine-9' in session 'lab' (machines: machine-1, machine-2)",
    );
  });

  it("a provider whose driver cannot be loaded: each machine fails saying so (exit 3)", async () => {
    const bare = await harness({
      drivers: (p) => {
        throw new Error(`the ${p} driver could not be loaded: Cannot find module '@azure/arm-compute'`);
      },
    });
    try {
      await bare.sessions.up(await bare.file("a.yaml", pool(2, { provider: "azure" })), { session: "az" });
      const r = await bare.sessions.stop("az");
      expect(r.results.map((x) => x.outcome)).toEqual(["failed", "failed"]);
      expect(r.results[0]!.error).toBe("the azure driver could not be loaded: Cannot find module '@azure/arm-compute'");
      expect(reportExitCode([r])).toBe(3);
    } finally {
      await bare.cleanup();
    }
  });
});
