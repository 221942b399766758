/**
 * Layers: unit, on FakeEngine (a test double of the engine) and TestDoubleDriver (of a provider's
 * API); and 2, the session's program under Pulumi's mock runtime. A stored session is planned
 * once per command: planSession is wrapped by a counter (FakeEngine's own planning, which stands
 * in for the program's outputs, is not counted), and the program the engine runs emits the plan
 * it closes over without planning again.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type * as PlanModule from "../../plan/index.js";

const counter = vi.hoisted(() => ({ plans: 0 }));

vi.mock("../../plan/index.js", async (importOriginal) => {
  const original = await importOriginal<typeof PlanModule>();
  return {
    ...original,
    planSession: (...args: Parameters<typeof original.planSession>) => {
      // FakeEngine derives the outputs a program would export by planning: not the code under test.
      if (!/fake-engine\.ts/.test(new Error().stack ?? "")) counter.plans++;
      return original.planSession(...args);
    },
  };
});

const { harness } = await import("./helpers.js");
const { pool } = await import("./actions/formations.js");
const { TestDoubleDriver, mirrorInto } = await import("./actions/test-double-driver.js");
const { loadFormationText } = await import("../../format/load.js");
const { planSession } = await import("../../plan/index.js");
const { sessionProgram } = await import("../../automation/session/inline-program.js");
const { emptyRecord } = await import("../../automation/session/session-record.js");
const { recordProgram } = await import("../../components/offline.js");

type H = Awaited<ReturnType<typeof harness>>;
let h: H;

beforeEach(async () => {
  const driver = new TestDoubleDriver();
  h = await harness({ drivers: () => driver });
  mirrorInto(driver, h.engine);
});
afterEach(() => h.cleanup());

/** planSession calls made by `body`. */
async function plansOf(body: () => Promise<unknown>): Promise<number> {
  counter.plans = 0;
  await body();
  return counter.plans;
}

describe("a stored session is planned once per command", () => {
  it("up, preview, apply, show, states, actions, snapshot and desired states plan once; journal and refresh never", async () => {
    const file = await h.file("lab.yaml", pool(2, { provider: "aws" }));
    const counts: Record<string, number> = {};
    counts.up = await plansOf(() => h.sessions.up(file, { session: "lab" }));
    counts["up (confirm)"] = await plansOf(() => h.sessions.up(file, { session: "lab", confirm: () => true }));
    counts.preview = await plansOf(() => h.sessions.preview(file, { session: "lab" }));
    counts.apply = await plansOf(() => h.sessions.apply("lab"));
    counts.show = await plansOf(() => h.sessions.show("lab"));
    counts.journal = await plansOf(() => h.sessions.journal("lab"));
    counts.states = await plansOf(() => h.sessions.states("lab"));
    counts["stop (declarative)"] = await plansOf(() => h.sessions.stop("lab"));
    counts["start (declarative)"] = await plansOf(() => h.sessions.start("lab"));
    counts["reboot (driver)"] = await plansOf(() => h.sessions.reboot("lab"));
    counts.snapshot = await plansOf(() => h.sessions.snapshot("lab", { machine: "machine-1" }));
    counts["set-desired"] = await plansOf(() => h.sessions.setDesiredState("lab", "machine-1", "stopped"));
    counts.refresh = await plansOf(() => h.sessions.refresh("lab"));
    expect(counts).toEqual({
      up: 1,
      "up (confirm)": 1,
      preview: 1,
      apply: 1,
      show: 1,
      journal: 0,
      states: 1,
      "stop (declarative)": 1,
      "start (declarative)": 1,
      "reboot (driver)": 1,
      snapshot: 1,
      "set-desired": 1,
      refresh: 0,
    });
  });

  it("the session's program emits the plan it closes over, and plans nothing", async () => {
    const text = pool(2, { provider: "docker" });
    const plan = planSession(loadFormationText(text), { session: "lab" });
    const program = sessionProgram({ plan, record: emptyRecord(text, "lab.yaml") });
    counter.plans = 0;
    const rec = await recordProgram(async () => program(), { stack: "lab" });
    expect(rec.errors).toEqual([]);
    expect(counter.plans).toBe(0);
    expect(rec.resources.filter((r) => r.type === "docker:index/container:Container").map((r) => r.name)).toEqual(["lab-machine-1", "lab-machine-2"]);
  });
});
