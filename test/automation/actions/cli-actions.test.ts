/**
 * Test layer: unit, with FakeEngine (a test double of the Pulumi engine) and test-double drivers; not end-to-end.
 * The action verbs of the CLI (start/stop/hibernate/reboot/shutdown, snapshot, stop-all,
 * terminate-all): output, JSON shapes and exit codes, with FakeEngine (a test double of the
 * engine) and TestDoubleDriver (a test double of a provider's API) behind the library.
 */
import { EventEmitter } from "node:events";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Sessions, type SessionsOptions } from "../../../automation/sessions.js";
import { actionCommand } from "../../../cli/actions.js";
import { batchCommand } from "../../../cli/batch.js";
import { run } from "../../../cli/main.js";
import type { Output } from "../../../cli/output.js";
import type { SessionDeps } from "../../../cli/session-runtime.js";
import { snapshotCommand } from "../../../cli/snapshot.js";
import { validateFormation } from "../../../format/load.js";
import { ActionError } from "../../../automation/actions/types.js";
import { harness, steppingClock, type Harness } from "../helpers.js";
import { MemoryImages } from "../memory-images.js";
import { pool } from "./formations.js";
import { mirrorInto, TestDoubleDriver } from "./test-double-driver.js";

let h: Harness;
let driver: TestDoubleDriver;
let out: string[];
let err: string[];
const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), color: false };

beforeEach(async () => {
  h = await harness();
  driver = new TestDoubleDriver();
  mirrorInto(driver, h.engine);
  out = [];
  err = [];
});
afterEach(() => h.cleanup());

/** Deps for a run with no terminal (unless `interactive`), on the harness's FakeEngine and the driver double. */
function deps(more: Partial<SessionDeps> = {}, seen: SessionsOptions[] = []): SessionDeps {
  return {
    interactive: false,
    live: false,
    signals: new EventEmitter(),
    makeSessions: (o: SessionsOptions) => {
      seen.push(o);
      return new Sessions({
        ...o,
        home: h.home,
        env: { FORMATIONS_HOME: h.home, PULUMI_CONFIG_PASSPHRASE: "pw" },
        engine: h.engine,
        actor: "tester@host",
        now: steppingClock(),
        drivers: () => driver,
        // An image store that knows no size: the catalog sizes snapshots by the machine's disk.
        imageStores: async () => new MemoryImages(),
      });
    },
    ...more,
  };
}

async function up(session: string, text = pool(2)): Promise<void> {
  await h.sessions.up(await h.file(`${session}.yaml`, text), { session });
}

describe("start|stop|hibernate|reboot|shutdown", () => {
  it("prints a line per result on stderr, then a table and a summary on stdout (exit 0)", async () => {
    await up("lab");
    expect(await actionCommand("stop", "lab", {}, io, deps())).toBe(0);
    expect(err.filter((l) => l.startsWith("lab/"))).toEqual(["lab/machine-1: stop done (running -> stopped)", "lab/machine-2: stop done (running -> stopped)"]);
    expect(out[0]!.split("\n")).toEqual([
      "MACHINE    RESULT  FROM     TO       NOTE",
      "machine-1  done    running  stopped",
      "machine-2  done    running  stopped",
    ]);
    expect(out[1]).toBe("session lab: stop 2 done, 0 no-op, 0 failed; state refreshed");
  });

  it("--json prints one JSON document on stdout: session, action, one result per machine, refresh", async () => {
    await up("lab");
    expect(await actionCommand("hibernate", "lab", { json: true, machine: "machine-2" }, io, deps())).toBe(0);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toEqual({
      session: "lab",
      action: "hibernate",
      results: [{ session: "lab", machine: "machine-2", action: "hibernate", outcome: "done", from: "running", to: "hibernated", attempts: 1, path: "driver" }],
      refresh: "ok",
      notes: [],
    });
  });

  it("a failed machine is exit 3 with its reason", async () => {
    await up("lab");
    driver.failing.set("lab/machine-1", new ActionError("other", "container lab-machine-1: permission denied"));
    expect(await actionCommand("reboot", "lab", {}, io, deps())).toBe(3);
    expect(out[0]).toMatch(/machine-1 +failed +unknown +unknown +container lab-machine-1: permission denied/);
  });

  it("an unknown session is exit 1; an unknown machine is exit 1", async () => {
    expect(await actionCommand("stop", "nope", {}, io, deps())).toBe(1);
    expect(err.at(-1)).toBe("formations: no session named 'nope' (formations sessions lists them)");
    await up("lab");
    expect(await actionCommand("stop", "lab", { machine: "machine-7" }, io, deps())).toBe(1);
  });

  it("--force on a verb without a forced variant is a usage error (exit 2), before anything runs", async () => {
    expect(await run(["start", "lab", "--force"], io)).toBe(2);
    expect(err.at(-1)).toBe("formations: start has no forced variant (--force applies to stop, hibernate and reboot)");
  });
});

describe("snapshot", () => {
  it("prints the image id at once, records it, and --save-formation writes a formation that validates and launches from it", async () => {
    await up("lab", pool(2));
    const file = join(h.home, "from-snapshot.yaml");
    expect(await snapshotCommand("lab", { machine: "machine-2", name: "lab-m2:v1", saveFormation: file }, io, deps())).toBe(0);
    expect(out[0]).toBe("snapshot of lab/machine-2: img-1-lab-m2:v1");
    expect(out[1]).toMatch(
      /^recorded in session lab as lab-m2:v1, and in the image catalog as img-[0-9a-f]{10} \(formations images; kept when the session is destroyed\)$/,
    );
    const r = await validateFormation(file);
    expect(r.valid).toBe(true);
    if (!r.valid) return;
    expect(r.formation.kind).toBe("Pool");
    expect((r.formation.spec as { machine: { image: string } }).machine.image).toBe("lab-m2:v1"); // Docker: the reference the commit created
    expect(r.formation.metadata.name).toMatch(/^lab-machine-2-\d{12}$/);
    expect(r.formation.metadata.labels).toEqual({ team: "bio" });
    const text = await readFile(file, "utf8");
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../schemas/formation.schema.json");
    expect(text.split("\n")[1]).toMatch(/^# Launches machine-2 from snapshot lab-m2:v1 of session lab/);
    const shown = await h.sessions.show("lab");
    expect(shown.snapshots).toEqual([expect.objectContaining({ machine: "machine-2", name: "lab-m2:v1", id: "img-1-lab-m2:v1" })]);
    expect((await h.sessions.journal("lab")).at(-1)).toMatchObject({ action: "snapshot", machine: "machine-2", result: "ok" });
  });

  it("--json prints the id, name, image and the formation written", async () => {
    await up("lab", pool(1, { provider: "aws" }));
    const file = join(h.home, "aws-from-snapshot.yaml");
    expect(await snapshotCommand("lab", { machine: "machine-1", json: true, saveFormation: file }, io, deps())).toBe(0);
    const doc = JSON.parse(out[0]!);
    expect(doc).toEqual({
      session: "lab",
      machine: "machine-1",
      imageId: "img-1",
      name: "img-1",
      image: "img-1",
      catalogId: expect.stringMatching(/^img-[0-9a-f]{10}$/),
      formation: { file, name: expect.stringMatching(/^lab-machine-1-\d{12}$/) },
    });
    const r = await validateFormation(file);
    expect(r.valid && (r.formation.spec as { machine: { image: string } }).machine.image).toBe("img-1");
  });

  it("never writes over an existing file (exit 1), and the snapshot is still recorded", async () => {
    await up("lab");
    const file = await h.file("taken.yaml", "keep me\n");
    expect(await snapshotCommand("lab", { machine: "machine-1", saveFormation: file }, io, deps())).toBe(1);
    expect(await readFile(file, "utf8")).toBe("keep me\n");
    expect((await h.sessions.show("lab")).snapshots).toHaveLength(1);
  });

  it("without --machine it is a usage error (exit 2)", async () => {
    expect(await run(["snapshot", "lab"], io)).toBe(2);
  });
});

describe("stop-all | terminate-all", () => {
  it("acts on the sessions matching every label, one result per machine, as a table", async () => {
    await up("bio-a", pool(2, { labels: { team: "bio" } }));
    await up("bio-b", pool(1, { labels: { team: "bio" } }));
    await up("chem", pool(1, { labels: { team: "chem" } }));
    expect(await batchCommand("stop", { label: ["team=bio"], yes: true }, io, deps())).toBe(0);
    expect(out[0]!.split("\n")).toEqual([
      "SESSION  MACHINE    RESULT  FROM     TO       NOTE",
      "bio-a    machine-1  done    running  stopped",
      "bio-a    machine-2  done    running  stopped",
      "bio-b    machine-1  done    running  stopped",
    ]);
    expect(out[1]).toBe("stop-all: 2 sessions, 3 done, 0 no-op, 0 failed");
    expect(driver.calls.some((c) => c.includes("chem"))).toBe(false);
  });

  it("--json: action, sessions with their refresh, one result per machine, and a summary; exit 3 if any failed", async () => {
    await up("bio-a", pool(2));
    driver.failing.set("bio-a/machine-2", new ActionError("other", "engine said no"));
    expect(await batchCommand("terminate", { session: "bio-a", yes: true, json: true }, io, deps())).toBe(3);
    const doc = JSON.parse(out[0]!);
    expect(doc.action).toBe("terminate");
    expect(doc.sessions).toEqual([{ session: "bio-a", refresh: "ok", notes: [] }]);
    expect(doc.results.map((r: { machine: string; outcome: string; error?: string }) => [r.machine, r.outcome, r.error])).toEqual([
      ["machine-1", "done", undefined],
      ["machine-2", "failed", "engine said no"],
    ]);
    expect(doc.summary).toEqual({ done: 1, "no-op": 0, failed: 1 });
  });

  it("without --yes and without a terminal it is a usage error (exit 2) and touches nothing", async () => {
    await up("bio-a");
    await expect(batchCommand("stop", {}, io, deps())).rejects.toThrow(/no terminal to confirm on: pass --yes/);
    expect(await run(["stop-all", "--label", "team=bio"], io)).toBe(2);
    expect(driver.calls).toEqual([]);
  });

  it("on a terminal it asks, naming the sessions; no changes nothing", async () => {
    await up("bio-a");
    const questions: string[] = [];
    const code = await batchCommand("stop", {}, io, deps({ interactive: true, ask: async (q) => (questions.push(q), "n") }));
    expect(code).toBe(0);
    expect(questions).toEqual(["Stop (disks kept) every machine of 1 session: bio-a? [y/N] "]);
    expect(driver.calls).toEqual([]);
  });

  it("--parallel bounds the machines in flight and the sessions acted on at once", async () => {
    const seen: SessionsOptions[] = [];
    for (const s of ["p-1", "p-2", "p-3"]) await up(s, pool(3));
    let inFlight = 0;
    let most = 0;
    const real = driver.stop.bind(driver);
    driver.stop = async (t, f) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return real(t, f);
    };
    expect(await batchCommand("stop", { yes: true, parallel: "2" }, io, deps({}, seen))).toBe(0);
    expect(most).toBe(2);
    expect(seen[0]!.concurrency).toBe(2);
  });

  it("--parallel and --timeout must be positive (exit 2)", async () => {
    await expect(batchCommand("stop", { yes: true, parallel: "0" }, io, deps())).rejects.toThrow("--parallel must be a positive integer, got '0'");
    await expect(batchCommand("stop", { yes: true, timeout: "soon" }, io, deps())).rejects.toThrow("--timeout must be a positive number, got 'soon'");
  });

  it("--session names a session that must exist (exit 1)", async () => {
    expect(await batchCommand("stop", { session: "ghost", yes: true }, io, deps())).toBe(1);
  });
});

describe("normalised machine states in show and sessions", () => {
  it("show --live: each machine's state as the provider reports it (interrupted for reclaimed spot), the recorded one kept in --json", async () => {
    const { showLiveCommand } = await import("../../../cli/states.js");
    await up("lab", pool(3));
    driver.states.set("lab/machine-2", "interrupted");
    driver.states.set("lab/machine-3", "stopped");
    expect(await showLiveCommand("lab", { json: true }, io, { ...deps(), verdicts: async () => undefined })).toBe(0);
    const d = JSON.parse(out[0]!);
    expect(d.machines.map((m: { name: string; state: string; recordedState?: string }) => [m.name, m.state, m.recordedState])).toEqual([
      ["machine-1", "running", "running"],
      ["machine-2", "interrupted", "running"],
      ["machine-3", "stopped", "running"],
    ]);
  });

  it("sessions --states counts each session's machines by state; --live asks the provider", async () => {
    const { sessionsStatesCommand } = await import("../../../cli/states.js");
    await up("bio-a", pool(2));
    await up("bio-b", pool(1));
    await actionCommand("stop", "bio-a", { machine: "machine-1" }, io, deps());
    out = [];
    expect(await sessionsStatesCommand({}, io, deps())).toBe(0);
    expect(out[0]!.split("\n")).toEqual([
      "SESSION  PROVIDER  MACHINES  STATES                SOURCE",
      "bio-a    docker    2         1 running, 1 stopped  recorded",
      "bio-b    docker    1         1 running             recorded",
    ]);
    driver.states.set("bio-b/machine-1", "interrupted");
    out = [];
    expect(await sessionsStatesCommand({ live: true, json: true }, io, deps())).toBe(0);
    const doc = JSON.parse(out[0]!);
    expect(doc[1]).toMatchObject({
      session: "bio-b",
      source: "live",
      counts: { interrupted: 1 },
      machines: [{ name: "machine-1", recorded: "running", observed: "interrupted", state: "interrupted" }],
    });
  });
});
