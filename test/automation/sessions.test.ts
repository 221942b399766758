/**
 * Test layer: unit, with FakeEngine (a test double of the Pulumi engine) and test-double drivers; not end-to-end.
 * The session logic behind the Engine interface, against FakeEngine (a test double: no Pulumi,
 * no cloud). What a session keeps in its stack, the journal, labels, drift, and failures.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exitCodeOf } from "../../automation/session/errors.js";
import { FormationError } from "../../format/load.js";
import { harness, poolYaml, type Harness } from "./helpers.js";
import type { JournalEntry } from "../../automation/session/session-record.js";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

const journalOf = (session: string): JournalEntry[] => JSON.parse(h.engine.state(session).config["formations:journal"]!.value);
const stateRecord = (session: string) =>
  h.engine.state(session).outputs.formationsRecord?.value as { journal: JournalEntry[]; desired: Record<string, string>; removed: Record<string, unknown> };

describe("up keeps everything needed later in the stack", () => {
  it("writes the formation, its file, desired states and the journal as formations:* config", async () => {
    const file = await h.file("lab.yaml", poolYaml());
    const r = await h.sessions.up(file);
    expect(r).toMatchObject({ session: "lab", result: "ok" });
    expect(r.machines.map((m) => m.name)).toEqual(["machine-1", "machine-2", "machine-3"]);
    const config = h.engine.state("lab").config;
    expect(config["formations:formation"]).toEqual({ value: poolYaml(), secret: true });
    expect(config["formations:file"]?.value).toBe(file);
    expect(JSON.parse(config["formations:desired"]!.value)).toEqual({});
    // objectContaining: other layers add fields to an up's entry (the cost ledger's launch prices).
    expect(journalOf("lab")).toEqual([
      expect.objectContaining({
        at: expect.any(String),
        actor: "tester@host",
        action: "up",
        result: "ok",
        added: ["machine-1", "machine-2", "machine-3"],
        dropped: [],
      }),
    ]);
  });

  it("mirrors the record into the state's outputs, so another machine reads it with only the backend", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    expect(stateRecord("lab").journal.map((e) => e.action)).toEqual(["up"]);
    // A fresh workspace elsewhere: no Pulumi.<stack>.yaml, no config.
    h.engine.state("lab").config = {};
    const elsewhere = h.another();
    expect((await elsewhere.journal("lab")).map((e) => e.action)).toEqual(["up"]);
    expect((await elsewhere.show("lab")).machines).toHaveLength(3);
  });

  it("tags the stack with the labels and a summary, then touches only what changed", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    expect(h.engine.state("lab").tags).toEqual({
      "label:team": "bio",
      "label:course": "gen101",
      "formations:formation": "lab",
      "formations:kind": "Pool",
      "formations:provider": "docker",
      "formations:machines": "3",
      "formations:hourly-usd": "0.0000",
    });
    await h.sessions.up(await h.file("lab.yaml", poolYaml({ count: 4, labels: { team: "bio" } })));
    expect(h.engine.calls.filter((c) => c.startsWith("setTags:"))).toEqual(["setTags:lab:7:0", "setTags:lab:1:1"]);
    expect(h.engine.state("lab").tags["formations:machines"]).toBe("4");
    expect(h.engine.state("lab").tags["label:course"]).toBeUndefined();
  });

  it("an update journals the machines it added", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    const r = await h.sessions.up(await h.file("lab.yaml", poolYaml({ count: 4 })));
    expect(r.changes).toMatchObject({ create: 1, same: 3 });
    expect(journalOf("lab").map((e) => [e.action, e.added])).toEqual([
      ["up", ["machine-1", "machine-2", "machine-3"]],
      ["up", ["machine-4"]],
    ]);
  });

  it("reports progress as typed events, in order", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    expect(h.events.map((e) => e.type)).toEqual(["operation-start", "resource-start", "resource-done", "summary", "journal", "operation-end"]);
    expect(h.events[0]).toMatchObject({ session: "lab", action: "up", actor: "tester@host" });
    expect(h.events.at(-1)).toMatchObject({ type: "operation-end", result: "ok", changes: { create: 3 } });
  });

  it("names the session --session NAME, and refuses a bad name before touching the engine (exit 2)", async () => {
    const file = await h.file("lab.yaml", poolYaml());
    await h.sessions.up(file, { session: "lab-2" });
    expect(h.engine.stacks.has("lab-2")).toBe(true);
    const calls = h.engine.calls.length;
    const err = await h.sessions.up(file, { session: "Lab_2" }).catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(2);
    expect(h.engine.calls.length).toBe(calls);
  });

  it("an invalid formation is exit 1 with located errors, and the engine is not started", async () => {
    const err = await h.sessions.up(await h.file("bad.yaml", poolYaml().replace("count: 3", "count: 0"))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormationError);
    expect(exitCodeOf(err)).toBe(1);
    expect((err as Error).message).toMatch(/bad\.yaml:\d+:\d+: error:/);
    expect(h.engine.calls).toEqual([]);
  });

  it("a failed update is journaled as failed and exits 3 with the engine's reason", async () => {
    const file = await h.file("lab.yaml", poolYaml());
    await h.sessions.up(file);
    h.engine.failNext(
      "up",
      "lab",
      Object.assign(new Error("code: 255\n stderr: error: update failed\nerror: image formations-test/busybox:latest not found\n"), { name: "CommandError" }),
    );
    const err = await h.sessions.up(file).catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(3);
    expect((err as Error).message).toBe("up of session 'lab' failed: image formations-test/busybox:latest not found");
    expect(journalOf("lab").map((e) => e.result)).toEqual(["ok", "failed"]);
    expect(stateRecord("lab").journal.map((e) => e.result)).toEqual(["ok", "failed"]);
  });

  it("a throwing onEvent listener does not break the operation", async () => {
    const s = h.another({
      onEvent: () => {
        throw new Error("renderer bug");
      },
    });
    await expect(s.up(await h.file("lab.yaml", poolYaml()))).resolves.toMatchObject({ result: "ok" });
  });
});

describe("preview and confirmation", () => {
  it("a preview of a new session changes nothing and leaves no stack behind", async () => {
    const r = await h.sessions.preview(await h.file("lab.yaml", poolYaml()));
    expect(r).toMatchObject({ session: "lab", result: "ok", changes: { create: 1 } });
    expect(h.engine.stacks.has("lab")).toBe(false);
    expect(h.engine.calls.some((c) => c.startsWith("up:") || c.startsWith("setConfig:"))).toBe(false);
  });

  it("up asks with the preview; declined changes nothing, accepted applies", async () => {
    const file = await h.file("lab.yaml", poolYaml());
    const asked: unknown[] = [];
    const declined = await h.sessions.up(file, { confirm: (p) => (asked.push(p), false) });
    expect(declined.result).toBe("declined");
    expect(asked).toEqual([{ session: "lab", changes: { create: 1 }, created: true }]);
    expect(h.engine.stacks.has("lab")).toBe(false);
    const accepted = await h.sessions.up(file, { confirm: () => true });
    expect(accepted.result).toBe("ok");
    expect(h.engine.calls.filter((c) => /^(preview|up):/.test(c))).toEqual(["preview:lab", "preview:lab", "up:lab"]);
  });

  it("yes skips the question", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()), { yes: true, confirm: () => false });
    expect(h.engine.calls.filter((c) => c.startsWith("preview:"))).toEqual([]);
  });
});

describe("sessions and show", () => {
  it("lists sessions filtered by labels, sorted by name", async () => {
    await h.sessions.up(await h.file("a.yaml", poolYaml({ name: "zeta", labels: { team: "bio", term: "spring" } })));
    await h.sessions.up(await h.file("b.yaml", poolYaml({ name: "alpha", labels: { team: "chem" } })));
    expect((await h.sessions.list()).map((s) => s.session)).toEqual(["alpha", "zeta"]);
    expect((await h.sessions.list({ labels: ["team=bio"] })).map((s) => s.session)).toEqual(["zeta"]);
    expect((await h.sessions.list({ labels: { team: "bio", term: "fall" } })).map((s) => s.session)).toEqual([]);
    expect((await h.sessions.list({ labels: ["team=chem"] }))[0]).toMatchObject({
      session: "alpha",
      formation: "alpha",
      kind: "Pool",
      provider: "docker",
      machines: 3,
      labels: { team: "chem" },
    });
  });

  it("reads a session's labels from its state when its stack has no tags (older file backends)", async () => {
    await h.sessions.up(await h.file("a.yaml", poolYaml({ labels: { team: "bio" } })));
    h.engine.state("lab").tags = {};
    expect(await h.sessions.list({ labels: ["team=bio"] })).toEqual([expect.objectContaining({ session: "lab", kind: "Pool", machines: 3 })]);
  });

  it("shows machines, recorded states, addresses, connection details and cost so far", async () => {
    const clock = { t: Date.parse("2026-01-01T08:00:00.000Z") };
    const s = h.another({ now: () => new Date(clock.t) });
    await s.up(await h.file("aws.yaml", poolYaml({ name: "cloud", provider: "aws", count: 2 })));
    clock.t += 10 * 3_600_000;
    const d = await s.show("cloud");
    expect(d).toMatchObject({ session: "cloud", formation: "cloud", kind: "Pool", provider: "aws", labels: { team: "bio", course: "gen101" } });
    expect(d.machines.map((m) => [m.name, m.state, m.privateIp, m.connect])).toEqual([
      ["machine-1", "running", "10.0.0.2", "docker exec -it fake-cloud-machine-1 sh"],
      ["machine-2", "running", "10.0.0.3", "docker exec -it fake-cloud-machine-2 sh"],
    ]);
    const hourly = d.machines.reduce((sum, m) => sum + m.hourlyUsd, 0);
    expect(hourly).toBeGreaterThan(0);
    // The ledger also charges the session's NAT gateway (its machines have no public address).
    expect(d.cost.soFarUsd).toBeCloseTo((hourly + 0.053) * 10, 1);
    expect(d.cost.since).toBe("2026-01-01T08:00:00.000Z");
  });

  it("an unknown session is exit 1", async () => {
    for (const op of [() => h.sessions.show("nope"), () => h.sessions.refresh("nope"), () => h.sessions.destroy("nope"), () => h.sessions.journal("nope")]) {
      const err = await op().catch((e: unknown) => e);
      expect(exitCodeOf(err)).toBe(1);
      expect((err as Error).message).toBe("no session named 'nope' (formations sessions lists them)");
    }
  });
});

describe("destroy", () => {
  it("destroys the resources, then the session; the last journal entry goes to the listener", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    h.events.length = 0;
    expect(await h.sessions.destroy("lab")).toEqual({ session: "lab", changes: { delete: 4 } });
    expect(h.engine.stacks.has("lab")).toBe(false);
    const journal = h.events.find((e) => e.type === "journal");
    expect(journal).toMatchObject({ entry: { action: "destroy", result: "ok", dropped: ["machine-1", "machine-2", "machine-3"] } });
    expect(exitCodeOf(await h.sessions.show("lab").catch((e: unknown) => e))).toBe(1);
  });

  it("a failed destroy keeps the session and journals the failure", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    h.engine.failNext("destroy", "lab", Object.assign(new Error("error: network in use"), { name: "CommandError" }));
    expect(exitCodeOf(await h.sessions.destroy("lab").catch((e: unknown) => e))).toBe(3);
    expect(journalOf("lab").map((e) => `${e.action}:${e.result}`)).toEqual(["up:ok", "destroy:failed"]);
  });
});

describe("actions layer hooks", () => {
  it("records a desired state with a journal entry, and the next apply converges to it", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    const rec = await h.sessions.setDesiredState("lab", "machine-2", "stopped", { action: "stop" });
    expect(rec.desired).toEqual({ "machine-2": "stopped" });
    expect(journalOf("lab").at(-1)).toMatchObject({ action: "stop", machine: "machine-2", from: "running", to: "stopped", result: "ok", actor: "tester@host" });
    expect(stateRecord("lab").desired).toEqual({ "machine-2": "stopped" });
    await h.sessions.apply("lab");
    expect(h.engine.state("lab").cloud["machine-2"]).toBe("stopped");
  });

  it("refuses a machine the session does not have (exit 1)", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    const err = await h.sessions.setDesiredState("lab", "machine-9", "stopped").catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(1);
    expect((err as Error).message).toContain("machines: machine-1, machine-2, machine-3");
  });

  it("records snapshots and free-form journal entries", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    await h.sessions.addSnapshot("lab", { machine: "machine-1", name: "lab-m1-img", at: "2026-01-01T09:00:00.000Z" });
    await h.sessions.appendJournal("lab", { action: "reboot", machine: "machine-3", result: "ok" });
    expect((await h.sessions.show("lab")).snapshots).toEqual([{ machine: "machine-1", name: "lab-m1-img", at: "2026-01-01T09:00:00.000Z" }]);
    expect((await h.sessions.journal("lab")).map((e) => e.action)).toEqual(["up", "snapshot", "reboot"]);
  });
});
