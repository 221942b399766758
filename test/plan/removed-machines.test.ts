/**
 * Layer 2 (Pulumi's mock runtime) and plain planning. A machine deleted outside formations, as a
 * refresh records it, is planned but flagged: it costs nothing, and the session's `machines`
 * output leaves it out. Found on the real engine: the update that excludes the deleted machine
 * gets unknown outputs for it, and one unknown row left the whole `machines` output unknown, so
 * the stack lost its machine list and the next `up` journaled every machine as newly launched.
 */
import { describe, expect, it } from "vitest";
import { planSession, withDesiredStates } from "../../plan/index.js";
import { compile, inlineFormation } from "../helpers/compile.js";

const pool = inlineFormation("docker", "Pool", "  count: 3\n  machine: { size: small }");
const awsPool = inlineFormation("aws", "Pool", "  count: 3\n  machine: { size: small }");

describe("a machine removed outside formations", () => {
  it("is planned, flagged, and priced at nothing", () => {
    const whole = planSession(awsPool, { session: "lab" });
    const plan = planSession(awsPool, { session: "lab", removed: ["machine-2"] });
    expect(plan.machines.map((m) => [m.name, m.removed ?? false])).toEqual([
      ["machine-1", false],
      ["machine-2", true],
      ["machine-3", false],
    ]);
    const machineLine = (p: typeof plan) => p.cost.lines.find((l) => l.item.includes("(machine"))!;
    expect(machineLine(whole).count).toBe(3);
    expect(machineLine(plan)).toEqual({ ...machineLine(whole), count: 2, hourlyUsd: expect.closeTo((machineLine(whole).hourlyUsd * 2) / 3, 6) });
    expect(whole.cost.hourlyUsd - plan.cost.hourlyUsd).toBeCloseTo(machineLine(whole).hourlyUsd / 3, 6);
    expect(
      withDesiredStates(whole, {}, ["machine-3"])
        .machines.filter((m) => m.removed)
        .map((m) => m.name),
    ).toEqual(["machine-3"]);
  });

  it("is left out of the session's machines output", async () => {
    const { machines } = await compile(pool, { session: "lab", removed: ["machine-2"] });
    expect(machines.map((m) => m.name)).toEqual(["machine-1", "machine-3"]);
  });
});
