/**
 * What a user should know about a plan on OpenStack that the provider-neutral planner cannot say:
 * no spot market, shelving for hibernate, the idle agent as the only idle stop, NFS from the head
 * node and its disk, floating IPs. Pure; the planner adds them to the plan's notes.
 */
import type { SessionPlan } from "../../plan/types.js";
import { openstack as catalog } from "./catalog.js";

/** The notes of one plan. */
export function openstackNotes(plan: SessionPlan): string[] {
  const notes: string[] = [];
  const spot = plan.machines.filter((m) => m.spot).map((m) => m.name);
  if (spot.length > 0) notes.push(`${spot.join(", ")}: OpenStack has no spot market; spot is ignored, the machines run and are priced on demand`);
  if (plan.machines.some((m) => m.desiredState === "hibernated") || plan.spotInterruption === "hibernate") {
    notes.push(
      "hibernate on OpenStack shelves the server (shelved_offloaded): the OS shuts down, memory is not kept, the hypervisor is freed and start boots it again",
    );
  }
  if (plan.autoStop) {
    const windows = plan.machines.filter((m) => m.image.os === "windows").map((m) => m.name);
    notes.push(
      `lifecycle.autoStop: OpenStack has no provider-side idle stop; an idle agent on each Linux machine shuts it down (SHUTOFF) after ${plan.autoStop.idleMinutes} idle minutes${windows.length > 0 ? ` (not on ${windows.join(", ")}: Windows)` : ""}`,
    );
  }
  if (plan.storage?.kind === "head-nfs") {
    const usd = (plan.storage.sizeGb * catalog.diskGbMonthUsd).toFixed(2);
    notes.push(
      `shared storage: the head node exports ${plan.storage.mountPath} over NFS from its boot volume, grown by ${plan.storage.sizeGb} GB (about $${usd}/month, not in the estimate); Manila can replace it (clouds/openstack/emit/storage.ts)`,
    );
  }
  if (plan.machines.some((m) => m.public)) {
    notes.push(
      "floating IPs come from the external network named by the Pulumi config formations:externalNetwork (default 'public'); most clouds bill them by the hour, and the estimate leaves them out",
    );
  }
  return notes;
}
