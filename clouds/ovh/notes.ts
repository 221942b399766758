/**
 * What a user should know about a plan on OVHcloud that the neutral planner cannot say: no spot
 * market, shelving for hibernate, the idle agent as the only idle stop, the File Storage share,
 * the gateway and floating IPs. Pure; the planner adds them to the plan's notes.
 */
import type { SessionPlan } from "../../plan/types.js";

export function ovhNotes(plan: SessionPlan): string[] {
  const notes: string[] = [];
  const spot = plan.machines.filter((m) => m.spot).map((m) => m.name);
  if (spot.length > 0) notes.push(`${spot.join(", ")}: OVHcloud Public Cloud has no spot market; spot is ignored, the machines run and are priced on demand`);
  if (plan.machines.some((m) => m.desiredState === "hibernated") || plan.spotInterruption === "hibernate") {
    notes.push(
      "hibernate on OVHcloud shelves the instance (shelved_offloaded): the OS shuts down, memory is not kept; a shelved instance is billed for its disk only",
    );
  }
  if (plan.machines.some((m) => m.desiredState === "stopped"))
    notes.push("a stopped (SHUTOFF) OVHcloud instance is still billed at its hourly rate: hibernate (shelve) to stop paying for compute");
  if (plan.autoStop) {
    const windows = plan.machines.filter((m) => m.image.os === "windows").map((m) => m.name);
    notes.push(
      `lifecycle.autoStop: OVHcloud has no provider-side idle stop; an idle agent on each Linux machine shuts it down after ${plan.autoStop.idleMinutes} idle minutes${windows.length > 0 ? ` (not on ${windows.join(", ")}: Windows)` : ""}`,
    );
  }
  if (plan.storage?.kind === "managed")
    notes.push(
      `shared storage: an OVHcloud File Storage NFS share of ${plan.storage.sizeGb} GB in the session's private network, writable from its subnet only`,
    );
  if (!plan.network.existing)
    notes.push("the session's private network (vRack) reaches the internet through an OVHcloud gateway (model s), billed by the hour and not in the estimate");
  if (plan.machines.some((m) => m.public))
    notes.push("entry points get floating IPs on Ext-Net through the gateway; OVHcloud bills them by the hour and the estimate leaves them out");
  return notes;
}
