/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * batch.ts on its own: retries with exponential backoff and full jitter, the per-target timeout,
 * the parallelism bound and one result per target. A scripted test double stands in for a
 * provider, and fake timers stand in for the clock, so the delays are asserted exactly.
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ActionError,
  backoffDelay,
  runBatch,
  runOne,
  type ActionDriver,
  type ActionResult,
  type ActionTarget,
  type ErrorKind,
} from "../../../automation/actions/index.js";

/** What the double does on one call: succeed, throw a classified error, or never answer. */
type Step = "ok" | ErrorKind | "hang";

/**
 * A test double for a provider driver: `stop` follows a script per machine and records the fake
 * clock at every call; retryable() says yes to throttled and transient, as real drivers do.
 */
class ScriptedDriver implements ActionDriver {
  readonly provider = "aws" as const;
  readonly calls: { machine: string; at: number }[] = [];
  inFlight = 0;
  most = 0;
  constructor(private readonly script: Record<string, Step[]>) {}

  async stop(t: ActionTarget): Promise<ActionResult> {
    this.calls.push({ machine: t.machine, at: Date.now() });
    const step = this.script[t.machine]?.shift() ?? "ok";
    this.most = Math.max(this.most, ++this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 10)); // every call takes 10 ms of fake time
      if (step === "hang") return await new Promise<never>(() => undefined);
      if (step !== "ok") throw new ActionError(step, `${t.machine}: ${step} (call ${this.calls.length})`, { from: "running" });
      return { session: t.session, machine: t.machine, action: "stop", outcome: "done", from: "running", to: "stopped" };
    } finally {
      this.inFlight--;
    }
  }
  retryable(error: unknown): boolean {
    return error instanceof ActionError && (error.kind === "throttled" || error.kind === "transient");
  }
  state = () => Promise.resolve("running" as const);
  start = this.unused;
  hibernate = this.unused;
  reboot = this.unused;
  shutdown = this.unused;
  terminate = this.unused;
  snapshot = this.unused;
  private unused(): never {
    throw new Error("not used by these tests");
  }
}

const target = (machine: string): ActionTarget => ({ session: "s1", machine, role: "worker" });
/** The fake clock's offsets of each call to `machine`, from the first. */
const offsets = (d: ScriptedDriver, machine = "m1") => {
  const at = d.calls.filter((c) => c.machine === machine).map((c) => c.at);
  return at.map((t) => t - at[0]!);
};
const half = () => 0.5;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** Runs `p` to completion by advancing fake time. */
async function settle<T>(p: Promise<T>): Promise<T> {
  await vi.runAllTimersAsync();
  return p;
}

describe("backoffDelay (full jitter)", () => {
  it("draws from [0, min(cap, base * 2^retry))", () => {
    fc.assert(
      fc.property(
        fc.nat(30),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, base, cap, r) => {
          const d = backoffDelay(retry, base, cap, () => r);
          return d >= 0 && d < Math.min(cap, base * 2 ** retry);
        },
      ),
    );
  });

  it("doubles the ceiling per retry until the cap", () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, 100, 1000, half))).toEqual([50, 100, 200, 400, 500, 500]);
  });
});

describe("runOne", () => {
  it("retries throttling with doubling jittered delays, then succeeds", async () => {
    const d = new ScriptedDriver({ m1: ["throttled", "transient", "throttled", "ok"] });
    const r = await settle(runOne(d, target("m1"), "stop", { baseDelayMs: 100, maxDelayMs: 10_000, random: half }));
    expect(r).toMatchObject({ outcome: "done", attempts: 4 });
    // Each call lasts 10 ms, then waits 50, 100, 200 ms (half of 100, 200, 400).
    expect(offsets(d)).toEqual([0, 60, 170, 380]);
  });

  it("does not retry a failure the driver calls permanent", async () => {
    const d = new ScriptedDriver({ m1: ["not-found"] });
    const r = await settle(runOne(d, target("m1"), "stop", { random: half }));
    expect(r).toMatchObject({ outcome: "failed", attempts: 1, from: "running", error: "m1: not-found (call 1)" });
    expect(d.calls).toHaveLength(1);
  });

  it("stops after the retry budget and reports the last error", async () => {
    const d = new ScriptedDriver({ m1: Array<Step>(10).fill("throttled") });
    const r = await settle(runOne(d, target("m1"), "stop", { retries: 3, baseDelayMs: 100, random: half }));
    expect(r).toMatchObject({ outcome: "failed", attempts: 4, error: "m1: throttled (call 4)" });
    expect(offsets(d)).toEqual([0, 60, 170, 380]);
  });

  it("gives up rather than sleep past the per-target timeout", async () => {
    const d = new ScriptedDriver({ m1: Array<Step>(10).fill("throttled") });
    const r = await settle(runOne(d, target("m1"), "stop", { retries: 9, baseDelayMs: 100, random: half, timeoutMs: 200 }));
    // Calls at 0, 60 and 170 ms; the third ends at 180 and the next wait (200 ms) would pass the deadline.
    expect(r).toMatchObject({ outcome: "failed", attempts: 3 });
    expect(offsets(d)).toEqual([0, 60, 170]);
    expect(r.error).toBe("m1: throttled (call 3) (gave up after 3 attempts: the 0.2 s per-target timeout would pass before the next)");
  });

  it("fails a target that never answers at the per-target timeout", async () => {
    const d = new ScriptedDriver({ m1: ["hang"] });
    const p = runOne(d, target("m1"), "stop", { timeoutMs: 5_000 });
    await vi.advanceTimersByTimeAsync(4_999);
    let done = false;
    void p.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await p).toMatchObject({ outcome: "failed", attempts: 1, from: "unknown" });
    expect((await p).error).toMatch(/^no answer within the 5 s per-target timeout/);
  });
});

describe("runBatch", () => {
  it("keeps to the parallelism bound and returns one result per target, in order", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `m${i + 1}`);
    const d = new ScriptedDriver({ m3: ["not-found"], m7: ["throttled", "ok"] });
    const seen: string[] = [];
    const results = await settle(runBatch(d, names.map(target), "stop", { concurrency: 3, random: half, onResult: (r) => seen.push(r.machine) }));
    expect(results.map((r) => r.machine)).toEqual(names);
    expect(results.map((r) => r.outcome)).toEqual(names.map((n) => (n === "m3" ? "failed" : "done")));
    expect(results[6]).toMatchObject({ machine: "m7", attempts: 2 });
    expect(d.most).toBe(3);
    expect(seen.sort()).toEqual([...names].sort());
  });

  it("never rejects, even when a driver throws something that is not an ActionError", async () => {
    const d = new ScriptedDriver({});
    d.stop = () => Promise.reject(new TypeError("bug in a driver"));
    const results = await settle(runBatch(d, [target("m1"), target("m2")], "stop"));
    expect(results.map((r) => [r.outcome, r.from, r.error])).toEqual([
      ["failed", "unknown", "bug in a driver"],
      ["failed", "unknown", "bug in a driver"],
    ]);
  });
});
