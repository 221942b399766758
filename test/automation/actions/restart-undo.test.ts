/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * actOnSession after an engine restart in the middle of the action: a driver that says its engine
 * went away (interruptedSince) gets every attempted machine read again and acted on again where
 * the restart undid the action, in tier order, within a bounded number of rounds. The real-engine
 * counterpart (the Docker engine restarted during stop-all) is in test/e2e/faults.e2e.test.ts.
 */
import { describe, expect, it } from "vitest";
import { actOnSession, SessionLocks, type ActionTarget } from "../../../automation/actions/index.js";
import { TestDoubleDriver } from "./test-double-driver.js";

/** The double, plus an engine that "restarts" once: after the first stop of `undone`, its policy brings it back. */
class RestartingDriver extends TestDoubleDriver {
  private outage = -Infinity;
  restarts = 0;
  constructor(
    private readonly undone: string,
    private readonly times = 1,
  ) {
    super("docker");
  }
  override async stop(t: ActionTarget, force?: boolean) {
    const r = await super.stop(t, force);
    if (t.machine === this.undone && this.restarts < this.times) {
      this.restarts++;
      this.outage = Date.now();
      this.states.set(`${t.session}/${t.machine}`, "running"); // the restarted engine's restart policy
    }
    return r;
  }
  interruptedSince(since: number): boolean {
    return this.outage >= since;
  }
}

const targets: ActionTarget[] = [
  { session: "s1", machine: "head", role: "head" },
  { session: "s1", machine: "compute-1", role: "compute" },
  { session: "s1", machine: "compute-2", role: "compute" },
];

describe("an engine restart in the middle of an action", () => {
  it("a machine the restart brought back is stopped again in the same run, and its result says so", async () => {
    const driver = new RestartingDriver("compute-2");
    const results = await actOnSession(driver, "s1", targets, "stop", { locks: new SessionLocks() });
    expect(results.map((r) => [r.machine, r.outcome])).toEqual([
      ["head", "done"],
      ["compute-1", "done"],
      ["compute-2", "done"],
    ]);
    expect([...driver.states.values()].every((s) => s === "stopped")).toBe(true);
    expect(driver.calls.filter((c) => c === "stop s1/compute-2")).toHaveLength(2);
    const again = results.find((r) => r.machine === "compute-2")!;
    expect(again.attempts).toBe(2);
    expect(again.from).toBe("running");
    expect(again.fallback).toMatch(/undone or cut short by an engine restart; acted again/);
    expect(results.find((r) => r.machine === "head")!.fallback).toBeUndefined();
  });

  it("acts again only on what the restart undid, compute tier before the head", async () => {
    const driver = new RestartingDriver("head");
    await actOnSession(driver, "s1", targets, "stop", { locks: new SessionLocks() });
    expect(driver.calls).toEqual(["stop s1/compute-1", "stop s1/compute-2", "stop s1/head", "stop s1/head"]);
  });

  it("an engine that keeps restarting is given a bounded number of rounds, and the machine it keeps bringing back is reported as it is", async () => {
    const driver = new RestartingDriver("compute-1", 100);
    const results = await actOnSession(driver, "s1", targets, "stop", { locks: new SessionLocks() });
    expect(driver.calls.filter((c) => c === "stop s1/compute-1")).toHaveLength(4); // the first, then three rounds
    expect(await driver.state(targets[1]!)).toBe("running");
    expect(results.find((r) => r.machine === "compute-1")!.attempts).toBe(4);
  });

  it("without a restart nothing is read again: one stop per machine", async () => {
    const driver = new RestartingDriver("none");
    await actOnSession(driver, "s1", targets, "stop", { locks: new SessionLocks() });
    expect(driver.calls).toHaveLength(3);
  });

  it("a reboot is never repeated, even after a restart", async () => {
    const driver = new RestartingDriver("compute-1");
    driver.interruptedSince = () => true;
    await actOnSession(driver, "s1", targets, "reboot", { locks: new SessionLocks(), pollMs: 10 });
    expect(driver.calls.filter((c) => c.startsWith("reboot"))).toHaveLength(3);
  });
});
