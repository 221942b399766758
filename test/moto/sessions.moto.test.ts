/**
 * Layer 4, against moto's independent EC2 implementation (PyPI moto[server] 5.2.5, started by
 * test/moto/global-setup.ts): session actions through the library (Sessions) and the CLI's action
 * verbs (stop, hibernate, reboot, snapshot, stop-all, terminate-all, show --live), with the
 * product's own AWS driver, loaded as the CLI loads it (clouds/aws `actions.driver`), pointed at
 * moto only by the SDK's ordinary configuration (test/moto/setup.ts).
 *
 * The session store is FakeEngine (a test double of the Pulumi engine): what is under test is the
 * cloud driver against moto, not Pulumi. Its `up` exports, as each machine's cloud id, the EC2
 * instance seeded in moto as the real program would have launched it (test/moto/ec2.ts). So the
 * actions AWS takes through `up` (plain start, stop and shutdown: aws.ec2.InstanceState holds the
 * power state) do not reach moto here; they are verified on moto at the driver level
 * (driver.moto.test.ts) and their declarative path by the FakeEngine tests. Everything that goes
 * through the driver does reach moto: --force stop, hibernate, reboot, snapshot, terminate, a
 * one-time spot machine's stop (imaged, then terminated), stop-all and terminate-all, and live
 * state reads. Differences between moto and the request-mock tests: driver.moto.test.ts's header.
 */
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Sessions, type SessionsOptions } from "../../automation/sessions.js";
import { SessionError } from "../../automation/session/errors.js";
import { actionCommand } from "../../cli/actions.js";
import { batchCommand } from "../../cli/batch.js";
import type { Output } from "../../cli/output.js";
import type { SessionDeps } from "../../cli/session-runtime.js";
import { snapshotCommand } from "../../cli/snapshot.js";
import { showLiveCommand } from "../../cli/states.js";
import { pool } from "../automation/actions/formations.js";
import { harness, steppingClock, type Harness } from "../automation/helpers.js";
import { image, instance, seedSession, startBehindOurBack, stateOf, stopBehindOurBack, tagRecord, type Seeded } from "./ec2.js";

let h: Harness;
let seeded: Seeded;
let out: string[];
let err: string[];
const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), color: false };

beforeEach(async () => {
  h = await harness();
  seeded = new Map();
  out = [];
  err = [];
});
afterEach(() => h.cleanup());

/** The CLI's deps: the harness's FakeEngine as the session store, the product's own drivers. */
function deps(): SessionDeps {
  return {
    interactive: false,
    live: false,
    signals: new EventEmitter(),
    makeSessions: (o: SessionsOptions) =>
      new Sessions({
        ...o,
        home: h.home,
        env: { FORMATIONS_HOME: h.home, PULUMI_CONFIG_PASSPHRASE: "pw" },
        engine: h.engine,
        actor: "tester@host",
        now: steppingClock(),
      }),
  };
}

const aws = (count: number, more: Parameters<typeof pool>[1] = {}) => pool(count, { provider: "aws", ...more });
const id = (session: string, machine: string) => seeded.get(session)!.get(machine)!;

describe("through the library", () => {
  it("force stop, reboot and hibernate reach moto; show --live reads moto, not the record", async () => {
    await seedSession(h, seeded, "moto-lab", aws(3));
    const stop = await h.sessions.stop("moto-lab", { machine: "machine-1", force: true });
    expect(stop.results).toEqual([
      { session: "moto-lab", machine: "machine-1", action: "stop", outcome: "done", from: "running", to: "stopped", attempts: 1, path: "driver" },
    ]);
    expect(stop.refresh).toBe("ok");
    expect(await stateOf(id("moto-lab", "machine-1"))).toBe("stopped");

    const reboot = await h.sessions.reboot("moto-lab", { machine: "machine-2" });
    expect(reboot.results[0]).toMatchObject({ outcome: "done", from: "running", to: "running", path: "driver" });

    const hib = await h.sessions.hibernate("moto-lab", { machine: "machine-3" });
    expect(hib.results[0]).toMatchObject({
      outcome: "done",
      from: "running",
      to: "stopped",
      path: "driver",
      fallback: "EC2 could not hibernate it and stopped it instead: its memory was not kept",
    });
    expect(await stateOf(id("moto-lab", "machine-3"))).toBe("stopped");

    // Outside formations, someone starts machine-1 and stops machine-2: the record does not know, moto does.
    await startBehindOurBack(id("moto-lab", "machine-1"));
    await stopBehindOurBack(id("moto-lab", "machine-2"));
    const live = await h.sessions.states("moto-lab", { live: true });
    expect(live.source).toBe("live");
    expect(live.machines.map((m) => [m.name, m.recorded, m.observed])).toEqual([
      ["machine-1", "stopped", "running"],
      ["machine-2", "running", "stopped"],
      ["machine-3", "stopped", "stopped"],
    ]);
  });

  it("hibernate where the plan says the machine cannot is refused before any call (exit 1); moto unchanged", async () => {
    await seedSession(h, seeded, "moto-win", aws(1, { image: "windows-2022" }));
    const e = await h.sessions.hibernate("moto-win").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SessionError);
    expect((e as SessionError).exitCode).toBe(1);
    expect((e as Error).message).toMatch(/^cannot hibernate: machine-1 was not launched with hibernation/);
    expect(await stateOf(id("moto-win", "machine-1"))).toBe("running");
  });

  it("a snapshot is recorded in the session and its AMI outlives the machine's termination", async () => {
    await seedSession(h, seeded, "moto-snap", aws(2));
    const snap = await h.sessions.snapshot("moto-snap", { machine: "machine-2", name: "moto-snap-m2" });
    expect(snap.imageId).toMatch(/^ami-[0-9a-f]+$/);
    expect(snap.image).toBe(snap.imageId);
    expect((await h.sessions.show("moto-snap")).snapshots).toEqual([expect.objectContaining({ machine: "machine-2", name: "moto-snap-m2", id: snap.imageId })]);
    const gone = await h.sessions.terminateAll({ session: "moto-snap" });
    expect(gone.results.map((r) => [r.machine, r.outcome, r.to, r.path])).toEqual([
      ["machine-1", "done", "terminated", "driver"],
      ["machine-2", "done", "terminated", "driver"],
    ]);
    expect(await stateOf(id("moto-snap", "machine-2"))).toBe("terminated");
    const img = await image(snap.imageId);
    expect(img).toMatchObject({ State: "available", Name: "moto-snap-m2", SourceInstanceId: id("moto-snap", "machine-2") });
  });

  it("stop of a one-time spot machine images it, then terminates it, and records the image", async () => {
    await seedSession(h, seeded, "moto-spot", aws(1, { machine: ["spot: true"], interruption: "terminate" }));
    expect((await instance(id("moto-spot", "machine-1"))).InstanceLifecycle).toBe("spot");
    const r = await h.sessions.stop("moto-spot");
    expect(r.results[0]).toMatchObject({ outcome: "done", from: "running", to: "terminated", path: "driver" });
    const imageId = r.results[0]!.imageId!;
    expect(r.results[0]!.fallback).toBe(`a one-time spot instance cannot be stopped: imaged as ${imageId} (crash-consistent, no reboot), then terminated`);
    expect(await stateOf(id("moto-spot", "machine-1"))).toBe("terminated");
    expect((await image(imageId))?.State).toBe("available");
    expect((await h.sessions.show("moto-spot")).snapshots).toEqual([expect.objectContaining({ machine: "machine-1", id: imageId })]);
    expect((await h.sessions.states("moto-spot", { live: true })).machines[0]).toMatchObject({ observed: "terminated" });
  });

  it("stop-all --force over 50 machines of 5 sessions by label: one result per machine, each stopped in moto; others untouched", async () => {
    const sessions = ["moto-a", "moto-b", "moto-c", "moto-d", "moto-e"];
    for (const s of sessions) await seedSession(h, seeded, s, aws(10, { labels: { course: "moto101" } }));
    await seedSession(h, seeded, "moto-other", aws(2, { labels: { course: "other" } }));
    const r = await h.sessions.stopAll({ labels: { course: "moto101" }, force: true });
    expect(r.sessions.sort()).toEqual(sessions);
    expect(r.results).toHaveLength(50);
    expect(new Set(r.results.map((x) => `${x.session}/${x.machine}`)).size).toBe(50);
    expect(r.summary).toEqual({ done: 50, "no-op": 0, failed: 0 });
    expect(r.results.every((x) => x.path === "driver" && x.from === "running" && x.to === "stopped")).toBe(true);
    const states = await Promise.all(sessions.flatMap((s) => [...seeded.get(s)!.values()].map(stateOf)));
    expect(states.filter((s) => s === "stopped")).toHaveLength(50);
    expect(await Promise.all([...seeded.get("moto-other")!.values()].map(stateOf))).toEqual(["running", "running"]);
  });
});

describe("through the CLI's verbs", () => {
  it("stop --force, reboot, hibernate --json, snapshot and show --live, each reaching moto", async () => {
    await seedSession(h, seeded, "moto-cli", aws(2));
    expect(await actionCommand("stop", "moto-cli", { machine: "machine-1", force: true }, io, deps())).toBe(0);
    expect(err).toContain("moto-cli/machine-1: stop done (running -> stopped)");
    expect(out.at(-1)).toBe("session moto-cli: stop 1 done, 0 no-op, 0 failed; state refreshed");
    expect(await stateOf(id("moto-cli", "machine-1"))).toBe("stopped");

    expect(await actionCommand("reboot", "moto-cli", { machine: "machine-1" }, io, deps())).toBe(3);
    expect(out.at(-2)).toMatch(/machine-1 +failed +stopped +stopped +moto-cli\/machine-1 is stopped: nothing to reboot \(use start\)/);
    expect(await actionCommand("reboot", "moto-cli", { machine: "machine-2" }, io, deps())).toBe(0);
    expect(err).toContain("moto-cli/machine-2: reboot done (running -> running)");

    out = [];
    expect(await actionCommand("hibernate", "moto-cli", { machine: "machine-2", json: true }, io, deps())).toBe(0);
    expect(JSON.parse(out[0]!)).toMatchObject({
      session: "moto-cli",
      action: "hibernate",
      results: [
        {
          machine: "machine-2",
          outcome: "done",
          from: "running",
          to: "stopped",
          fallback: "EC2 could not hibernate it and stopped it instead: its memory was not kept",
          path: "driver",
        },
      ],
      refresh: "ok",
    });

    out = [];
    expect(await snapshotCommand("moto-cli", { machine: "machine-1", name: "moto-cli-m1" }, io, deps())).toBe(0);
    const ami = /^snapshot of moto-cli\/machine-1: (ami-[0-9a-f]+)$/.exec(out[0]!)?.[1];
    expect(ami).toBeDefined();
    expect(tagRecord((await image(ami!))?.Tags)).toEqual({ Name: "moto-cli-m1", "formations-snapshot-of": "moto-cli/machine-1", "managed-by": "formations" });

    // machine-1 started behind our back: show --live says running, and keeps the recorded state beside it.
    await startBehindOurBack(id("moto-cli", "machine-1"));
    out = [];
    expect(await showLiveCommand("moto-cli", { json: true }, io, deps())).toBe(0);
    const shown = JSON.parse(out[0]!) as { machines: { name: string; state: string; recordedState?: string; cloudId: string }[] };
    expect(shown.machines.map((m) => [m.name, m.state, m.recordedState, m.cloudId])).toEqual([
      ["machine-1", "running", "stopped", id("moto-cli", "machine-1")],
      ["machine-2", "stopped", "stopped", id("moto-cli", "machine-2")],
    ]);
  });

  it("stop-all --label over 50 one-time spot machines: each imaged then terminated in moto, one result per machine", async () => {
    const sessions = ["moto-s1", "moto-s2", "moto-s3", "moto-s4", "moto-s5"];
    for (const s of sessions) await seedSession(h, seeded, s, aws(10, { labels: { course: "spot101" }, machine: ["spot: true"], interruption: "terminate" }));
    expect(await batchCommand("stop", { label: ["course=spot101"], yes: true, json: true }, io, deps())).toBe(0);
    const report = JSON.parse(out[0]!) as {
      summary: Record<string, number>;
      results: { session: string; machine: string; outcome: string; to: string; imageId?: string; path: string }[];
    };
    expect(report.summary).toEqual({ done: 50, "no-op": 0, failed: 0 });
    expect(report.results).toHaveLength(50);
    expect(new Set(report.results.map((r) => `${r.session}/${r.machine}`)).size).toBe(50);
    expect(report.results.every((r) => r.outcome === "done" && r.to === "terminated" && r.path === "driver" && /^ami-/.test(r.imageId ?? ""))).toBe(true);
    expect(err.filter((l) => / stop done \(running -> terminated\): a one-time spot instance cannot be stopped: imaged as ami-/.test(l))).toHaveLength(50);
    const states = await Promise.all(sessions.flatMap((s) => [...seeded.get(s)!.values()].map(stateOf)));
    expect(new Set(states)).toEqual(new Set(["terminated"]));
    const images = await Promise.all(report.results.map((r) => image(r.imageId!)));
    expect(images.every((i) => i?.State === "available" && tagRecord(i.Tags)["formations-snapshot-of"]?.startsWith("moto-s"))).toBe(true);
  });

  it("terminate-all --session terminates every machine in moto", async () => {
    await seedSession(h, seeded, "moto-end", aws(3));
    expect(await batchCommand("terminate", { session: "moto-end", yes: true }, io, deps())).toBe(0);
    expect(out.at(-1)).toBe("terminate-all: 1 session, 3 done, 0 no-op, 0 failed");
    expect(await Promise.all([...seeded.get("moto-end")!.values()].map(stateOf))).toEqual(["terminated", "terminated", "terminated"]);
  });
});
