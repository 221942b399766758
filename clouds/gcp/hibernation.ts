/**
 * GCE suspend (formations' hibernate), as Google documents its limits (cloud.google.com/compute/
 * docs/instances/suspend-resume-instance, "Limitations"): no GPUs attached, at most 208 GB of
 * memory, and the general-purpose and compute-optimized series it lists (E2, N1, N2, N2D, C2,
 * C2D, C3, C3D, T2D). Spot VMs launch with it but cannot be suspended: that refusal is at
 * action time (clouds/gcp/index.ts `hibernateRefusal`).
 */
import type { HibernationSubject } from "../../plan/catalog.js";

const SERIES: ReadonlySet<string> = new Set(["e2", "n1", "n2", "n2d", "c2", "c2d", "c3", "c3d", "t2d"]);

export const GCE_SUSPEND_MAX_GB = 208;

/** Why GCE cannot suspend this machine, naming the rule; undefined when it can. */
export function gceSuspension(m: HibernationSubject): string | undefined {
  const series = m.instanceType.split("-")[0] ?? "";
  if (m.gpus || m.instanceType.includes("+")) return `${m.instanceType} has GPUs, and GCE does not suspend VMs with GPUs`;
  if (!SERIES.has(series)) return `the ${series.toUpperCase()} series is not among those GCE documents for suspend`;
  if (m.memoryGb === undefined) return `the catalog does not know ${m.instanceType}'s memory, and GCE suspends only VMs with at most ${GCE_SUSPEND_MAX_GB} GB`;
  if (m.memoryGb > GCE_SUSPEND_MAX_GB) return `${m.instanceType} has ${m.memoryGb} GB of memory; GCE suspends only VMs with at most ${GCE_SUSPEND_MAX_GB} GB`;
  return undefined;
}
