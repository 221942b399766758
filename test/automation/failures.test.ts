/**
 * Test layer: unit, with FakeEngine (a test double of the Pulumi engine) and test-double drivers; not end-to-end.
 * Failures kept safe, against FakeEngine (a test double): busy sessions, bounded concurrency,
 * cancellation, interrupted updates, drift, and a missing passphrase or Pulumi CLI.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CancelledError,
  ConcurrentUpdateError,
  exitCodeOf,
  MissingPassphraseError,
  PendingOperationsError,
  PulumiMissingError,
} from "../../automation/session/errors.js";
import { Sessions } from "../../automation/sessions.js";
import type { JournalEntry } from "../../automation/session/session-record.js";
import { engineError, FakeEngine } from "./fake-engine.js";
import { harness, poolYaml, type Harness } from "./helpers.js";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

/**
 * Resolves once `cond` holds, yielding to the event loop between checks. Bounded by wall time
 * (20 s), not by a number of turns: on a loaded machine the first operation's file reading and
 * schema compilation can take many turns. A wait, never a timing assertion.
 */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function gate(engine: FakeEngine): () => void {
  let open!: () => void;
  engine.gate = new Promise<void>((r) => (open = r));
  return () => {
    engine.gate = undefined;
    open();
  };
}

const journalOf = (session: string): JournalEntry[] => JSON.parse(h.engine.state(session).config["formations:journal"]!.value);

describe("a busy session fails fast (exit 3) and names the holder", () => {
  it("held by this process", async () => {
    const file = await h.file("lab.yaml", poolYaml());
    const release = gate(h.engine);
    const first = h.sessions.up(file);
    await until(() => h.engine.inFlight === 1, "the first up in flight");
    const err = await h.sessions.refresh("lab").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrentUpdateError);
    expect(exitCodeOf(err)).toBe(3);
    expect((err as Error).message).toMatch(new RegExp(`session 'lab' is busy: held by this process \\(pid ${process.pid}\\): up since 2026-`));
    release();
    await expect(first).resolves.toMatchObject({ result: "ok" });
  });

  it("held by another process or machine (the backend's lock), without writing over its state", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    h.engine.state("lab").lockedBy = "alice@laptop";
    const imports = h.engine.calls.filter((c) => c.startsWith("import:")).length;
    const err = await h.sessions.refresh("lab").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrentUpdateError);
    expect(exitCodeOf(err)).toBe(3);
    expect((err as Error).message).toContain("session 'lab' is busy: held by alice@laptop (pid 4242, since 2026-01-01T00:00:00Z)");
    expect(h.engine.calls.filter((c) => c.startsWith("import:")).length).toBe(imports);
  });
});

describe("many sessions in parallel", () => {
  it("never runs more than `concurrency` engine operations at once, and runs them all", async () => {
    const s = h.another({ concurrency: 3 });
    const files = await Promise.all(Array.from({ length: 10 }, (_, i) => h.file(`s${i}.yaml`, poolYaml({ name: `s${i}`, count: 1 }))));
    const release = gate(h.engine);
    const all = Promise.all(files.map((f) => s.up(f)));
    await until(() => h.engine.inFlight === 3, "three updates in flight");
    // Let everything that could start, start: still three.
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(h.engine.inFlight).toBe(3);
    release();
    const results = await all;
    expect(results.map((r) => r.result)).toEqual(Array(10).fill("ok"));
    expect(h.engine.maxInFlight).toBe(3);
  });

  it("refuses a concurrency below 1", () => {
    expect(() => new Sessions({ concurrency: 0 })).toThrow(RangeError);
  });
});

describe("cancelling (Ctrl-C)", () => {
  it("cancel() aborts the running operation gracefully; it is journaled as cancelled (exit 3)", async () => {
    const file = await h.file("lab.yaml", poolYaml());
    await h.sessions.up(file);
    gate(h.engine);
    const running = h.sessions.up(file);
    await until(() => h.engine.inFlight === 1, "the update in flight");
    expect(h.sessions.cancel()).toEqual(["lab"]);
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(exitCodeOf(err)).toBe(3);
    expect(
      h.events.filter((e) => e.type === "cancel-requested" || e.type === "operation-end").map((e) => (e.type === "operation-end" ? e.result : e.type)),
    ).toEqual(["ok", "cancel-requested", "cancelled"]);
    expect(journalOf("lab").map((e) => e.result)).toEqual(["ok", "cancelled"]);
  });

  it("a caller's AbortSignal cancels its own operation only", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    await h.sessions.up(await h.file("other.yaml", poolYaml({ name: "other" })));
    const release = gate(h.engine);
    const controller = new AbortController();
    const cancelled = h.sessions.refresh("lab", { signal: controller.signal });
    const kept = h.sessions.refresh("other");
    await until(() => h.engine.inFlight === 2, "both refreshes in flight");
    controller.abort();
    expect(await cancelled.catch((e: unknown) => e)).toBeInstanceOf(CancelledError);
    expect(h.sessions.busy()).toEqual(["other"]);
    release();
    await expect(kept).resolves.toMatchObject({ session: "other" });
  });

  it("queued operations never start once cancelled", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    const s = h.another({ concurrency: 1 });
    gate(h.engine);
    const running = s.refresh("lab");
    await until(() => h.engine.inFlight === 1, "the refresh in flight");
    const queued = s.up(await h.file("other.yaml", poolYaml({ name: "other" })));
    await until(() => s.busy().includes("other"), "the update queued");
    expect(s.cancel()).toEqual(["lab", "other"]);
    expect(await running.catch((e: unknown) => e)).toBeInstanceOf(CancelledError);
    expect(await queued.catch((e: unknown) => e)).toBeInstanceOf(CancelledError);
    expect(h.engine.calls.filter((c) => c.endsWith(":other"))).toEqual([]);
  });
});

describe("an interrupted update's pending operations", () => {
  const URN = "urn:pulumi:lab::formations::docker:index/container:Container::lab-machine-2";
  beforeEach(async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    h.engine.state("lab").deployment.deployment.pending_operations = [{ resource: { urn: URN, type: "docker:index/container:Container" }, type: "creating" }];
  });

  it("are detected before the next update, which tells exactly how to recover (exit 3)", async () => {
    const err = await h.sessions.up(await h.file("lab.yaml", poolYaml())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PendingOperationsError);
    expect(exitCodeOf(err)).toBe(3);
    expect((err as Error).message).toContain(`${URN} (interrupted while creating)`);
    expect((err as Error).message).toContain("formations refresh lab --clear-pending");
    expect(h.engine.calls.filter((c) => c === "up:lab")).toHaveLength(1);
  });

  it("refresh refuses them without --clear-pending, clears them with it, then up works", async () => {
    expect(await h.sessions.refresh("lab").catch((e: unknown) => e)).toBeInstanceOf(PendingOperationsError);
    const r = await h.sessions.refresh("lab", { clearPending: true });
    expect(r.cleared).toEqual([{ urn: URN, type: "creating" }]);
    expect(h.engine.state("lab").deployment.deployment.pending_operations ?? []).toEqual([]);
    expect(journalOf("lab").at(-1)).toMatchObject({ action: "refresh", result: "ok", detail: "cleared 1 pending operation(s)" });
    await expect(h.sessions.up(await h.file("lab.yaml", poolYaml()))).resolves.toMatchObject({ result: "ok" });
  });
});

describe("an update interrupted for real", () => {
  it("journaling its failure does not hide the pending operations it left (an import would drop them)", async () => {
    const file = await h.file("lab.yaml", poolYaml());
    await h.sessions.up(file);
    const urn = "urn:pulumi:lab::formations::docker:index/container:Container::lab-machine-4";
    h.engine.failNext("up", "lab", Object.assign(new Error("error: signal: killed"), { name: "CommandError" }), (s) => {
      s.deployment.deployment.pending_operations = [{ resource: { urn, type: "docker:index/container:Container" }, type: "creating" }];
    });
    expect(exitCodeOf(await h.sessions.up(await h.file("lab.yaml", poolYaml({ count: 4 }))).catch((e: unknown) => e))).toBe(3);
    expect(h.engine.state("lab").deployment.deployment.pending_operations).toHaveLength(1);
    expect(journalOf("lab").map((e) => e.result)).toEqual(["ok", "failed"]);
    const next = await h.sessions.up(file).catch((e: unknown) => e);
    expect(next).toBeInstanceOf(PendingOperationsError);
    expect((next as PendingOperationsError).operations).toEqual([{ urn, type: "creating" }]);
  });
});

describe("drift: refresh records what happened outside the engine", () => {
  it("a machine stopped and one deleted outside are recorded, and the next up neither restarts nor recreates them", async () => {
    const file = await h.file("lab.yaml", poolYaml());
    await h.sessions.up(file);
    h.engine.state("lab").cloud["machine-2"] = "stopped";
    h.engine.state("lab").cloud["machine-3"] = "deleted";
    const r = await h.sessions.refresh("lab");
    expect(r.drift.map((d) => [d.machine, d.from, d.to])).toEqual([
      ["machine-2", "running", "stopped"],
      ["machine-3", "running", "removed"],
    ]);
    expect(JSON.parse(h.engine.state("lab").config["formations:desired"]!.value)).toEqual({ "machine-2": "stopped" });
    expect(Object.keys(JSON.parse(h.engine.state("lab").config["formations:removed"]!.value))).toEqual(["machine-3"]);
    expect(journalOf("lab").map((e) => `${e.action}:${e.machine ?? ""}:${e.to ?? ""}`)).toEqual([
      "up::",
      "drift:machine-2:stopped",
      "drift:machine-3:terminated",
      "refresh::",
    ]);
    expect(h.events.filter((e) => e.type === "drift")).toHaveLength(2);

    await h.sessions.up(file);
    expect(h.engine.state("lab").cloud["machine-2"]).toBe("stopped");
    expect(h.engine.state("lab").excluded).toEqual(["urn:pulumi:lab::formations::docker:index/container:Container::lab-machine-3"]);
    expect(journalOf("lab").at(-1)).toMatchObject({ action: "up", added: [] });
    expect((await h.sessions.show("lab")).machines.map((m) => m.state)).toEqual(["running", "stopped", "terminated"]);
  });

  it("starting a removed machine brings it back on the next up", async () => {
    const file = await h.file("lab.yaml", poolYaml());
    await h.sessions.up(file);
    h.engine.state("lab").cloud["machine-3"] = "deleted";
    await h.sessions.refresh("lab");
    await h.sessions.setDesiredState("lab", "machine-3", "running", { action: "start" });
    await h.sessions.apply("lab");
    expect(h.engine.state("lab").excluded).toEqual([]);
    expect(h.engine.state("lab").cloud["machine-3"]).toBe("running");
  });
});

describe("missing prerequisites are clear errors up front", () => {
  it("no passphrase: exit 2 before any engine runs", async () => {
    const engine = new FakeEngine();
    const seen: unknown[] = [];
    const s = new Sessions({ home: h.home, env: { FORMATIONS_HOME: h.home }, engine, onEvent: (e) => seen.push(e) });
    const err = await s.up(await h.file("lab.yaml", poolYaml())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingPassphraseError);
    expect(exitCodeOf(err)).toBe(2);
    expect(engine.calls).toEqual([]);
    expect(exitCodeOf(await s.list().catch((e: unknown) => e))).toBe(2);
    expect(seen).toEqual([]);
  });

  it("no Pulumi CLI: one line on how to install it, exit 3", async () => {
    const noCli = "code: -2\n stdout: \n stderr: Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT\n";
    const engine = new FakeEngine();
    engine.prepare = async () => {
      throw engineError("CommandError", noCli);
    };
    const events: unknown[] = [];
    const s = h.another({ engine, onEvent: (e) => events.push(e) });
    const file = await h.file("lab.yaml", poolYaml());
    for (const op of [() => s.up(file), () => s.list(), () => s.show("lab"), () => s.refresh("lab")]) {
      const err = await op().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PulumiMissingError);
      expect(exitCodeOf(err)).toBe(3);
      expect((err as Error).message).toMatch(/^the Pulumi CLI is not installed .*get\.pulumi\.com/);
    }
    // Up front: no operation started.
    expect(events).toEqual([]);
  });
});
