/**
 * Test layer 3, Docker half: the real Docker engine; Pulumi is replaced by FakeEngine, a unit-test double, so this is not end-to-end.
 * Session actions through the library and the CLI against a REAL Docker engine: the Docker
 * driver (loaded by the registry, as in production) acts on real containers named and labelled
 * as the Docker adapter makes them. Pulumi is not here: FakeEngine (a test double of the engine)
 * stands in for it, and its refresh reads the real containers' states, as Pulumi's would.
 *
 * Covered: every action, repeat safety, two actions on one session, a cluster's order (from
 * Docker's own event stream), snapshots with --save-formation, and stop-all over 20 containers.
 */
import { EventEmitter } from "node:events";
import { join } from "node:path";
import type Docker from "dockerode";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { containerName } from "../../../clouds/docker/names.js";
import { ConcurrentUpdateError } from "../../../automation/session/errors.js";
import { Sessions, type SessionsOptions } from "../../../automation/sessions.js";
import { actionCommand } from "../../../cli/actions.js";
import { batchCommand } from "../../../cli/batch.js";
import type { Output } from "../../../cli/output.js";
import { snapshotCommand } from "../../../cli/snapshot.js";
import { validateFormation } from "../../../format/load.js";
import type { Role } from "../../../plan/types.js";
import type { FakeEngine } from "../fake-engine.js";
import { harness, type Harness } from "../helpers.js";
import { cleanup, createMachine, ensureEngine, uniqueSession } from "./engine.js";
import { hpc, pool } from "./formations.js";

/** Real containers on a shared, sometimes busy machine: a bound, not a speed claim. */
const SLOW = 180_000;

let docker: Docker;
let h: Harness;
const sessions: string[] = [];
const images: string[] = [];
let out: string[];
let err: string[];
const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), color: false };

beforeAll(async () => {
  docker = await ensureEngine();
}, 200_000);

beforeEach(async () => {
  h = await harness();
  engineReadsDocker(h.engine);
  out = [];
  err = [];
});

afterEach(async () => {
  await h.cleanup();
  if (!docker) return;
  await Promise.all(sessions.splice(0).map((s) => cleanup(docker, s, [])));
  await Promise.all(
    images.splice(0).map((i) =>
      docker
        .getImage(i)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}, SLOW);

/** FakeEngine's refresh reads each machine's real container, as Pulumi's refresh reads the provider. */
function engineReadsDocker(engine: FakeEngine): void {
  const operate = engine.operate.bind(engine);
  engine.operate = async (name, op, opts, body) => {
    if (op === "refresh") {
      const cloud = engine.state(name).cloud;
      for (const m of Object.keys(cloud)) cloud[m] = await observed(name, m);
    }
    return operate(name, op, opts, body);
  };
}

async function observed(session: string, machine: string): Promise<"running" | "stopped" | "hibernated" | "deleted"> {
  const s = await raw(session, machine);
  return s === "missing" ? "deleted" : s === "paused" ? "hibernated" : s === "running" ? "running" : "stopped";
}

async function raw(session: string, machine: string): Promise<string> {
  try {
    return (await docker.getContainer(containerName(session, machine)).inspect()).State.Status;
  } catch {
    return "missing";
  }
}

/** A session: `formations up` through FakeEngine, and its containers created as the Docker adapter would. */
async function session(what: string, text: (name: string) => string, machines: [string, Role][]): Promise<string> {
  const name = uniqueSession(what);
  sessions.push(name);
  await h.sessions.up(await h.file(`${name}.yaml`, text(name)), { session: name });
  await Promise.all(machines.map(([m, role]) => createMachine(docker, name, m, role, { labels: { team: "bio" } })));
  return name;
}

const members = (n: number): [string, Role][] => Array.from({ length: n }, (_, i) => [`machine-${i + 1}`, "member"]);
const states = (s: string, names: string[]) => Promise.all(names.map((m) => raw(s, m)));

describe("every action on a real engine, through the library", { timeout: SLOW }, () => {
  it("stop, start, hibernate, start, reboot, shutdown, start: the containers follow, each journaled and recorded", async () => {
    const s = await session("every", (n) => pool(2, { name: n }), members(2));
    const names = ["machine-1", "machine-2"];
    const steps: [string, () => Promise<unknown>, string][] = [
      ["stop", () => h.sessions.stop(s), "exited"],
      ["start", () => h.sessions.start(s, { pollMs: 50 }), "running"],
      ["hibernate", () => h.sessions.hibernate(s), "paused"],
      ["start", () => h.sessions.start(s, { pollMs: 50 }), "running"],
      ["reboot", () => h.sessions.reboot(s, { pollMs: 50 }), "running"],
      ["shutdown", () => h.sessions.shutdown(s), "exited"],
      ["start", () => h.sessions.start(s, { pollMs: 50 }), "running"],
    ];
    for (const [action, act, expected] of steps) {
      const r = (await act()) as { results: { outcome: string; path: string }[]; refresh: string };
      expect(
        r.results.map((x) => [x.outcome, x.path]),
        action,
      ).toEqual([
        ["done", "driver"],
        ["done", "driver"],
      ]);
      expect(r.refresh, action).toBe("ok");
      expect(await states(s, names), action).toEqual([expected, expected]);
    }
    const journal = (await h.sessions.journal(s)).filter((e) => e.machine === "machine-1" && e.action !== "drift");
    expect(journal.map((e) => `${e.action} ${e.from}->${e.to} ${e.result}`)).toEqual([
      "stop running->stopped ok",
      "start stopped->running ok",
      "hibernate running->hibernated ok",
      "start hibernated->running ok",
      "reboot running->running ok",
      "shutdown running->stopped ok",
      "start stopped->running ok",
    ]);
    // No refresh ever saw drift: each action recorded its state before the engine read it.
    expect((await h.sessions.journal(s)).some((e) => e.action === "drift")).toBe(false);
    expect((await h.sessions.show(s)).machines.map((m) => m.state)).toEqual(["running", "running"]);
  });

  it("force stop kills at once; force reboot is kill and start", async () => {
    const s = await session("force", (n) => pool(1, { name: n }), members(1));
    const stop = await h.sessions.stop(s, { force: true });
    expect(stop.results[0]).toMatchObject({ outcome: "done", to: "stopped" });
    expect((await docker.getContainer(containerName(s, "machine-1")).inspect()).State.ExitCode).toBe(137);
    await h.sessions.start(s, { pollMs: 50 });
    const reboot = await h.sessions.reboot(s, { force: true, pollMs: 50 });
    expect(reboot.results[0]).toMatchObject({ outcome: "done", to: "running" });
  });

  it("acting twice is safe: a second stop is a no-op for every container and changes nothing", async () => {
    const s = await session("twice", (n) => pool(3, { name: n }), members(3));
    await h.sessions.stop(s);
    const before = await Promise.all(
      ["machine-1", "machine-2", "machine-3"].map(async (m) => (await docker.getContainer(containerName(s, m)).inspect()).State.FinishedAt),
    );
    const again = await h.sessions.stop(s);
    expect(again.results.map((r) => r.outcome)).toEqual(["no-op", "no-op", "no-op"]);
    expect(again.refresh).toBe("skipped");
    const after = await Promise.all(
      ["machine-1", "machine-2", "machine-3"].map(async (m) => (await docker.getContainer(containerName(s, m)).inspect()).State.FinishedAt),
    );
    expect(after).toEqual(before);
  });

  it("one machine with --machine; hibernate then stop of a paused container", async () => {
    const s = await session("one", (n) => pool(2, { name: n }), members(2));
    await h.sessions.hibernate(s, { machine: "machine-2" });
    expect(await states(s, ["machine-1", "machine-2"])).toEqual(["running", "paused"]);
    const r = await h.sessions.stop(s, { machine: "machine-2" });
    expect(r.results[0]).toMatchObject({ outcome: "done", from: "hibernated", to: "stopped" });
  });
});

describe("two actions on one session never interleave", { timeout: SLOW }, () => {
  it("the second waits: stop then start end running, and the journal keeps them apart", async () => {
    const s = await session("lock", (n) => pool(3, { name: n }), members(3));
    const [stop, start] = await Promise.all([h.sessions.stop(s), h.sessions.start(s, { pollMs: 50 })]);
    expect(stop.results.every((r) => r.outcome === "done")).toBe(true);
    expect(start.results.map((r) => [r.from, r.to])).toEqual([
      ["stopped", "running"],
      ["stopped", "running"],
      ["stopped", "running"],
    ]);
    expect(await states(s, ["machine-1", "machine-2", "machine-3"])).toEqual(["running", "running", "running"]);
    const actions = (await h.sessions.journal(s)).map((e) => e.action).filter((a) => a === "stop" || a === "start");
    expect(actions).toEqual(["stop", "stop", "stop", "start", "start", "start"]);
  });

  it("with wait: false the second fails at once with exit 3 naming the holder", async () => {
    const s = await session("busy", (n) => pool(2, { name: n }), members(2));
    const first = h.sessions.stop(s);
    const second = await h.sessions.reboot(s, { wait: false }).catch((e: unknown) => e);
    await first;
    expect(second).toBeInstanceOf(ConcurrentUpdateError);
    expect((second as ConcurrentUpdateError).exitCode).toBe(3);
    expect((second as Error).message).toMatch(new RegExp(`session '${s}' is busy: held by this process \\(pid \\d+\\): stop`));
  });
});

describe("a cluster in tier order", { timeout: SLOW }, () => {
  it("stop: compute nodes die before the head; start: the head starts before the compute nodes", async () => {
    const s = await session("tiers", (n) => hpc(2, { name: n }), [
      ["head", "head"],
      ["compute-1", "compute"],
      ["compute-2", "compute"],
    ]);
    const since = await settled(s, 3);
    await h.sessions.stop(s);
    await h.sessions.start(s, { pollMs: 50 });
    const ev = await dockerEvents(s, since);
    const dies = ev.filter((e) => e.startsWith("die "));
    const starts = ev.filter((e) => e.startsWith("start "));
    expect(dies.slice(0, 2).sort()).toEqual(["die compute-1", "die compute-2"]);
    expect(dies[2]).toBe("die head");
    expect(starts[0]).toBe("start head");
    expect(starts.slice(1).sort()).toEqual(["start compute-1", "start compute-2"]);
  });
});

describe("snapshots on a real engine, through the CLI", { timeout: SLOW }, () => {
  it("docker commit, the id printed at once, recorded; the saved formation validates, points at the image, and the image outlives destroy", async () => {
    const s = await session("snap", (n) => pool(2, { name: n }), members(2));
    const ref = `${s}-m1-snapshot:v1`;
    images.push(ref);
    const file = join(h.home, "from-snapshot.yaml");
    expect(await snapshotCommand(s, { machine: "machine-1", name: ref, saveFormation: file }, io, deps())).toBe(0);
    const image = await docker.getImage(ref).inspect();
    expect(out[0]).toBe(`snapshot of ${s}/machine-1: ${image.Id}`);
    expect(image.Config.Labels?.["formations-snapshot-of"]).toBe(`${s}/machine-1`);
    const r = await validateFormation(file);
    expect(r.valid).toBe(true);
    if (r.valid) expect((r.formation.spec as { machine: { image: string } }).machine.image).toBe(ref);
    expect((await h.sessions.show(s)).snapshots).toEqual([expect.objectContaining({ machine: "machine-1", name: ref, id: image.Id })]);
    await h.sessions.destroy(s);
    expect((await docker.getImage(ref).inspect()).Id).toBe(image.Id);
  });
});

describe("stop-all and terminate-all on a real engine", { timeout: SLOW }, () => {
  it("stop-all over 20 containers in 4 sessions selected by label: 20 results, all stopped; then 20 no-ops; the other team untouched", async () => {
    const bio = await Promise.all([1, 2, 3, 4].map((i) => session(`all${i}`, (n) => pool(5, { name: n, labels: { team: "bio" } }), members(5))));
    const chem = await session("chem", (n) => pool(1, { name: n, labels: { team: "chem" } }), members(1));
    expect(await batchCommand("stop", { label: ["team=bio"], yes: true, parallel: "8", json: true }, io, deps())).toBe(0);
    const doc = JSON.parse(out[0]!);
    expect(doc.results).toHaveLength(20);
    expect(doc.summary).toEqual({ done: 20, "no-op": 0, failed: 0 });
    expect(new Set(doc.results.map((r: { session: string }) => r.session))).toEqual(new Set(bio));
    for (const s of bio)
      expect(
        await states(
          s,
          members(5).map(([m]) => m),
        ),
      ).toEqual(Array(5).fill("exited"));
    expect(await raw(chem, "machine-1")).toBe("running");
    out = [];
    expect(await batchCommand("stop", { label: ["team=bio"], yes: true, json: true }, io, deps())).toBe(0);
    expect(JSON.parse(out[0]!).summary).toEqual({ done: 0, "no-op": 20, failed: 0 });
  });

  it("terminate-all of one session removes its containers, records them removed, and a vanished one is a no-op", async () => {
    const s = await session("term", (n) => pool(3, { name: n }), members(3));
    await docker.getContainer(containerName(s, "machine-3")).remove({ force: true });
    expect(await batchCommand("terminate", { session: s, yes: true }, io, deps())).toBe(0);
    expect(
      out[0]!
        .split("\n")
        .slice(1)
        .map((l) => l.split(/\s+/).slice(1, 3).join(" ")),
    ).toEqual(["machine-1 done", "machine-2 done", "machine-3 no-op"]);
    expect(await states(s, ["machine-1", "machine-2", "machine-3"])).toEqual(["missing", "missing", "missing"]);
    expect((await h.sessions.show(s)).machines.map((m) => m.state)).toEqual(["terminated", "terminated", "terminated"]);
  });
});

describe("the CLI on a real engine", { timeout: SLOW }, () => {
  it("stop --machine --json: one document; the container is stopped", async () => {
    const s = await session("cli", (n) => pool(2, { name: n }), members(2));
    expect(await actionCommand("stop", s, { machine: "machine-2", json: true }, io, deps())).toBe(0);
    expect(JSON.parse(out[0]!).results).toEqual([
      { session: s, machine: "machine-2", action: "stop", outcome: "done", from: "running", to: "stopped", attempts: 1, path: "driver" },
    ]);
    expect(await states(s, ["machine-1", "machine-2"])).toEqual(["running", "exited"]);
  });

  it("show --live reads each container's state now: paused is hibernated, a container stopped behind formations' back is stopped", async () => {
    const { showLiveCommand } = await import("../../../cli/states.js");
    const s = await session("live", (n) => pool(3, { name: n }), members(3));
    await docker.getContainer(containerName(s, "machine-2")).pause();
    await docker.getContainer(containerName(s, "machine-3")).stop({ t: 0 });
    expect(await showLiveCommand(s, { json: true }, io, { ...deps(), verdicts: async () => undefined })).toBe(0);
    const d = JSON.parse(out[0]!);
    expect(d.machines.map((m: { state: string; recordedState: string }) => [m.state, m.recordedState])).toEqual([
      ["running", "running"],
      ["hibernated", "running"],
      ["stopped", "running"],
    ]);
  });

  it("a container removed behind formations' back: stop of it fails with exit 3 and says so", async () => {
    const s = await session("gone", (n) => pool(1, { name: n }), members(1));
    await docker.getContainer(containerName(s, "machine-1")).remove({ force: true });
    expect(await actionCommand("reboot", s, {}, io, deps())).toBe(3);
    expect(out[0]).toMatch(new RegExp(`container ${s}-machine-1 does not exist \\(removed outside formations\\?\\)`));
  });
});

/** CLI deps on the harness's FakeEngine; the drivers are the registry's (the real Docker driver). */
function deps() {
  return {
    interactive: false,
    live: false,
    signals: new EventEmitter(),
    makeSessions: (o: SessionsOptions) =>
      new Sessions({ ...o, home: h.home, env: { FORMATIONS_HOME: h.home, PULUMI_CONFIG_PASSPHRASE: "pw" }, engine: h.engine, actor: "tester@host" }),
  };
}

/**
 * The engine's time of the last of `count` container starts of the session (its creation): the
 * point after which events belong to the test. The engine may log a start a moment after the
 * API call returned, so a wall-clock time taken here could fall before it.
 */
async function settled(session: string, count: number): Promise<number> {
  for (let i = 0; i < 400; i++) {
    // By machine: the engine's event log may repeat an event, and a repeat must not stand for a missing start.
    const last = new Map<string, number>();
    for (const e of await rawEvents(session, 0)) if (e.status === "start") last.set(e.Actor.Attributes["formations-machine"] ?? "", e.timeNano);
    if (last.size >= count) return Math.max(...last.values());
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the engine never reported ${count} container starts for ${session}`);
}

/** Docker's own record of the session's container starts and deaths since `sinceNs`, in order. */
async function dockerEvents(session: string, sinceNs: number): Promise<string[]> {
  return (await rawEvents(session, sinceNs)).map((e) => `${e.status} ${e.Actor.Attributes["formations-machine"]}`);
}

async function rawEvents(session: string, sinceNs: number): Promise<{ status: string; timeNano: number; Actor: { Attributes: Record<string, string> } }[]> {
  const stream = await docker.getEvents({
    since: Math.floor(sinceNs / 1e9),
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { type: ["container"], event: ["die", "start"], label: [`formations-session=${session}`] },
  });
  let text = "";
  for await (const chunk of stream as AsyncIterable<Buffer>) text += String(chunk);
  return (
    text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { status: string; timeNano: number; Actor: { Attributes: Record<string, string> } })
      // Strictly after: nanosecond times lose their last digits in a double, so +1 would be lost.
      .filter((e) => e.timeNano > sinceNs)
      .sort((a, b) => a.timeNano - b.timeNano)
  );
}
