/**
 * Layer: unit (plain planning, no Pulumi). A machine deleted on purpose (`formations delete
 * --machine`) is not planned at all and its name is never reused: a Pool of 3 without machine-2
 * is machine-1 and machine-3, a count of 4 adds machine-4, and the plan's notes say which names
 * were deleted. A deleted name beyond the count changes nothing.
 */
import { describe, expect, it } from "vitest";
import { planSession } from "../../plan/index.js";
import { inlineFormation } from "../helpers/compile.js";

const pool = (count: number) => inlineFormation("aws", "Pool", `  count: ${count}\n  machine: { size: small }`);
const hpc = inlineFormation("aws", "HPCCluster", "  headNode: { machine: { size: small } }\n  computeNodes: { count: 3, machine: { size: small } }");

describe("machines deleted on purpose", () => {
  it("are left out of the plan and its cost; the other names stay, and a higher count adds new ones", () => {
    const whole = planSession(pool(3), { session: "lab" });
    const plan = planSession(pool(3), { session: "lab", deleted: ["machine-2"] });
    expect(plan.machines.map((m) => m.name)).toEqual(["machine-1", "machine-3"]);
    // One machine less to pay for (the network around them costs the same).
    expect(whole.cost.hourlyUsd - plan.cost.hourlyUsd).toBeCloseTo(whole.machines[1]!.hourlyUsd, 6);
    expect(plan.notes).toContain("deleted with 'formations delete --machine' (names not reused): machine-2; 2 of the formation's 3 machines remain");
    expect(planSession(pool(4), { session: "lab", deleted: ["machine-2"] }).machines.map((m) => m.name)).toEqual(["machine-1", "machine-3", "machine-4"]);
    const fewer = planSession(pool(1), { session: "lab", deleted: ["machine-2"] });
    expect(fewer.machines.map((m) => m.name)).toEqual(["machine-1"]);
    expect(fewer.notes.join("\n")).not.toContain("deleted with");
  });

  it("takes a compute node out of an HPC cluster, the head kept", () => {
    expect(planSession(hpc, { session: "hpc", deleted: ["compute-1"] }).machines.map((m) => m.name)).toEqual(["head", "compute-2", "compute-3"]);
  });
});
