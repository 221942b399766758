/**
 * What a user should know about a plan on Azure that the provider-neutral planner cannot say:
 * Azure-only rules (no hibernating spot VMs, HDInsight's fixed head and ZooKeeper nodes, a
 * nightly schedule rather than an idle stop). Pure; the planner adds them to the plan's notes,
 * so `formations plan` prints them with the others.
 */
import type { PlannedMachine, SessionPlan } from "../../plan/types.js";

/** `compute-1, compute-2, compute-3` or `machine-1 ... machine-20 (20)` for long lists. */
export function nameList(machines: readonly PlannedMachine[]): string {
  if (machines.length <= 3) return machines.map((m) => m.name).join(", ");
  return `${machines[0]!.name} ... ${machines.at(-1)!.name} (${machines.length})`;
}

/** Local time of the nightly shutdown schedule, in `timeZoneId`. */
export const NIGHTLY_SHUTDOWN = { time: "2200", timeZoneId: "UTC" } as const;

export function azureNotes(plan: SessionPlan): string[] {
  const notes: string[] = [];
  const own = plan.machines.filter((m) => m.managedBy !== "bigdata");
  const managed = plan.machines.filter((m) => m.managedBy === "bigdata");
  // The planner already notes spot machines that cannot hibernate at all; these could, but not as spot.
  const spotHibernating = own.filter((m) => m.spot && m.hibernation);
  if (spotHibernating.length > 0) {
    const evicted = plan.spotInterruption === "hibernate" ? "; evicted, they are deallocated (stopped), not hibernated" : "";
    notes.push(`${nameList(spotHibernating)}: Azure cannot hibernate spot VMs, so hibernation is not enabled on them${evicted}`);
  }
  if (managed.length > 0) {
    notes.push("HDInsight always runs 2 head nodes and 3 ZooKeeper nodes: the estimate counts the planned master and workers only");
    if (managed.some((m) => m.spot)) notes.push("HDInsight has no spot nodes: the master and workers run on demand");
    if (plan.bigData?.applications.includes("presto")) notes.push("HDInsight Spark clusters do not include Presto");
    if (plan.autoStop)
      notes.push("HDInsight clusters cannot be stopped: lifecycle.autoStop stops the proxy only; delete the session to stop paying for the cluster");
  }
  if (plan.autoStop && own.length > 0) {
    notes.push(
      `lifecycle.autoStop on Azure: a DevTest Labs schedule also shuts every machine down at ${NIGHTLY_SHUTDOWN.time.slice(0, 2)}:${NIGHTLY_SHUTDOWN.time.slice(2)} ${NIGHTLY_SHUTDOWN.timeZoneId} each night as a safety net (Azure has no idle-based stop; the on-node idle agent stops idle machines)`,
    );
  }
  if (plan.network.existing && (plan.storage?.kind === "managed" || plan.bigData?.managed)) {
    notes.push(
      "cloud.network: the given subnet needs outbound access and the Microsoft.Storage service endpoint (shared storage and HDInsight accept traffic from it only)",
    );
  }
  return notes;
}
