/**
 * The OpenStack adapter: Nova servers on a session network behind default-deny Neutron security
 * groups, floating IPs for entry points only, Slurm with NFS from the head node for HPC, and
 * Spark installed on servers for EMRCluster (OpenStack has no managed big-data service that every
 * cloud runs). Loaded only for `provider: openstack` formations.
 */
import type { CloudAdapter, EmitContext } from "../../../components/adapter.js";
import { openstack as catalog } from "../catalog.js";
import { createNetwork } from "./network.js";
import { createMachine } from "./machine.js";
import { createSharedStorage } from "./storage.js";
import type { OpenStackNetwork } from "./provider.js";

/** What the user should know about this session on OpenStack (added to the plan's notes once). */
export function openstackNotes(plan: EmitContext["plan"]): string[] {
  const notes: string[] = [];
  const spot = plan.machines.filter((m) => m.spot).map((m) => m.name);
  if (spot.length > 0) notes.push(`${spot.join(", ")}: OpenStack has no spot market; spot is ignored, the machines run and are priced on demand`);
  if (plan.machines.some((m) => m.desiredState === "hibernated") || plan.spotInterruption === "hibernate") {
    notes.push("hibernate on OpenStack shelves the server (shelved_offloaded): the OS shuts down, memory is not kept, the hypervisor is freed and start boots it again");
  }
  if (plan.autoStop) {
    const windows = plan.machines.filter((m) => m.image.os === "windows").map((m) => m.name);
    notes.push(
      `lifecycle.autoStop: OpenStack has no provider-side idle stop; an idle agent on each Linux machine shuts it down (SHUTOFF) after ${plan.autoStop.idleMinutes} idle minutes${windows.length > 0 ? ` (not on ${windows.join(", ")}: Windows)` : ""}`,
    );
  }
  if (plan.storage?.kind === "head-nfs") {
    const usd = (plan.storage.sizeGb * catalog.diskGbMonthUsd).toFixed(2);
    notes.push(`shared storage: the head node exports ${plan.storage.mountPath} over NFS from its boot volume, grown by ${plan.storage.sizeGb} GB (about $${usd}/month, not in the estimate); Manila can replace it (clouds/openstack/emit/storage.ts)`);
  }
  if (plan.machines.some((m) => m.public)) {
    notes.push("floating IPs come from the external network named by the Pulumi config formations:externalNetwork (default 'public'); most clouds bill them by the hour, and the estimate leaves them out");
  }
  return notes;
}

export const openstackAdapter: CloudAdapter<OpenStackNetwork> = {
  provider: "openstack",
  network: (ctx) => {
    for (const n of openstackNotes(ctx.plan)) if (!ctx.plan.notes.includes(n)) ctx.plan.notes.push(n);
    return createNetwork(ctx);
  },
  machine: (ctx, net, m, boot) => createMachine(ctx, net, m, boot),
  sharedStorage: (ctx, net, storage) => createSharedStorage(ctx, net, storage),
  // Spark runs on servers (catalog: managedBigData false): the EMRCluster component creates them.
  bigDataCluster: () => undefined,
};

export type { OpenStackNetwork } from "./provider.js";
