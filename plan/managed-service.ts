/**
 * What a session's managed big-data cluster (EMR, Dataproc, HDInsight) means for the user, from
 * the cloud's facts alone: which service, whether it stops, what it bills, and how a refusal of
 * one of its nodes reads. Pure, so `show`, `cost`, `plan` and the actions say the same words.
 */
import { cloudOf } from "../clouds/index.js";
import type { Provider } from "../format/types.js";

/** The service and whether it stops; undefined on clouds without a managed service. */
export function managedService(provider: Provider): { service: string; stoppable: boolean } | undefined {
  return cloudOf(provider).actions.managedCluster;
}

/** The managed nodes, named compactly: `master, worker-1..4`. */
export function nodeNames(nodes: readonly { name: string }[]): string {
  const workers = nodes.filter((n) => /^worker-\d+$/.test(n.name)).map((n) => n.name);
  const others = nodes.filter((n) => !/^worker-\d+$/.test(n.name)).map((n) => n.name);
  const range = workers.length > 2 ? [`${workers[0]}..${workers[workers.length - 1]!.replace("worker-", "")}`] : workers;
  return [...others, ...range].join(", ");
}

/** What the user should know of the cluster's bill (show, cost, plan notes). */
export function billingNote(provider: Provider, nodes: readonly { name: string }[]): string | undefined {
  const svc = managedService(provider);
  if (!svc || !nodes.length) return undefined;
  return svc.stoppable
    ? `${nodeNames(nodes)} run in a ${svc.service} cluster, billed while it runs: 'formations stop' stops the whole cluster (its disks are still billed until the session is destroyed)`
    : `${nodeNames(nodes)} run in an ${svc.service} cluster, billed while it exists: ${svc.service} cannot stop a cluster, so only destroying the session (or fewer workers) stops the bill`;
}

/** How the per-machine refusal of a managed node reads (show and `--machine`). */
export function managedNodeRefusal(provider: Provider, name: string, session?: string): string {
  const svc = managedService(provider);
  if (svc?.stoppable)
    return `${name} is a node of the ${svc.service} cluster, which is started and stopped as a whole: act on the session ('formations stop ${session ?? "<session>"}'), or destroy it`;
  return `${name} is a node of the managed ${svc?.service ?? "big-data"} cluster, which starts and stops it itself and cannot be stopped: act on the other machines, or destroy the session`;
}
