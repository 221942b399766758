/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * Plain planning (no Pulumi runtime). A Docker engine sends no bill, so its containers cost
 * nothing unless the formation sets `cloud.pricing` (a shared host's chargeback): then each
 * container costs its size's CPUs and memory at those rates, and budgets have something to act on.
 */
import { describe, expect, it } from "vitest";
import { planSession } from "../../plan/index.js";
import { dockerLimits } from "../../clouds/docker/catalog.js";
import { inlineFormation } from "../helpers/compile.js";

const pool = () => inlineFormation("docker", "Pool", "  count: 3\n  machine: { size: medium }");
const withPricing = (pricing: { cpuHourUsd?: number; memoryGbHourUsd?: number }) => {
  const base = pool();
  return { ...base, cloud: { ...base.cloud, pricing } };
};

describe("docker cloud.pricing", () => {
  it("prices nothing by default", () => {
    const plan = planSession(pool(), { session: "lab" });
    expect(plan.pricing).toBeUndefined();
    expect(plan.cost.hourlyUsd).toBe(0);
  });

  it("prices each container by its CPUs and memory", () => {
    const plan = planSession(withPricing({ cpuHourUsd: 0.04, memoryGbHourUsd: 0.005 }), { session: "lab" });
    expect(plan.pricing).toEqual({ cpuHourUsd: 0.04, memoryGbHourUsd: 0.005 });
    const limits = plan.machines.map((m) => dockerLimits(m.instanceType));
    expect(limits.every((l) => l !== undefined)).toBe(true);
    const expected = limits.reduce((sum, l) => sum + l!.cpus * 0.04 + (l!.memoryMb / 1024) * 0.005, 0);
    expect(expected).toBeGreaterThan(0);
    expect(plan.cost.hourlyUsd).toBeCloseTo(expected, 6);
    expect(plan.machines.every((m) => m.hourlyUsd > 0)).toBe(true);
  });

  it("takes a missing rate as zero", () => {
    const cpuOnly = planSession(withPricing({ cpuHourUsd: 0.1 }), { session: "lab" });
    const cpus = cpuOnly.machines.reduce((sum, m) => sum + dockerLimits(m.instanceType)!.cpus, 0);
    expect(cpuOnly.cost.hourlyUsd).toBeCloseTo(cpus * 0.1, 6);
  });
});
