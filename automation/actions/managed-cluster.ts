/**
 * A session's managed big-data cluster (an EMRCluster's master and workers on EMR, Dataproc or
 * HDInsight) under session actions. Its nodes are the service's, so they are acted on as one
 * cluster or not at all: where the service stops a cluster (Dataproc) `stop` and `start` of the
 * session stop and start it through the driver's `cluster`; where it cannot (EMR, HDInsight)
 * `stop`, `shutdown` and `hibernate` of the session are refused before anything is changed, with
 * the reason and the choices, rather than stopping the other machines and leaving the cluster
 * running and billed.
 */
import type { Provider } from "../../format/types.js";
import { managedService, nodeNames } from "../../plan/managed-service.js";
import { SessionError } from "../session/errors.js";
import { failed } from "./batch.js";
import { commit, desiredAfter, entryOf, withDesired } from "./record-changes.js";
import type { PathContext, SessionActionResult } from "./paths.js";
import type { SessionMachine, SessionView } from "./targets.js";
import type { ClusterRef, SessionActionName } from "./types.js";

/** Actions that would leave a running cluster billed if its nodes were skipped. */
const HALTS: ReadonlySet<SessionActionName> = new Set(["stop", "shutdown", "hibernate"]);

/**
 * Refuses a halting action on a session whose cluster cannot be stopped (exit 1, nothing changed),
 * naming the reason and the choices.
 */
export function refuseUnstoppable(view: SessionView, action: SessionActionName, nodes: readonly SessionMachine[]): void {
  const svc = managedService(view.plan.provider);
  if (!nodes.length || !HALTS.has(action) || !svc || svc.stoppable) return;
  const s = view.session;
  const file = view.record.file ? ` '${view.record.file}'` : "";
  throw new SessionError(
    `cannot ${action} session '${s}': its master and workers (${nodeNames(nodes.map((n) => n.planned))}) are an ${svc.service} cluster, which ${svc.service} cannot stop, and which is billed while it exists. ` +
      `Nothing was changed. Choices: resize the workers to their minimum (spec.workers.count: 1 in the formation${file}, then 'formations up'), ` +
      `destroy the session ('formations destroy ${s}'), or launch it with spec.managed: false (Spark on machines that stop one by one)`,
    1,
    s,
  );
}

/** Whether this action moves the cluster as a whole. */
export function movesCluster(provider: Provider, action: SessionActionName, nodes: readonly SessionMachine[]): boolean {
  return nodes.length > 0 && Boolean(managedService(provider)?.stoppable) && (action === "stop" || action === "shutdown" || action === "start");
}

/**
 * Stops or starts the session's cluster through the driver, one call for all its nodes, then
 * records each node's new desired state and journals one entry per node.
 */
export async function actOnCluster(ctx: PathContext, nodes: readonly SessionMachine[]): Promise<SessionActionResult[]> {
  const { env, view, action } = ctx;
  const ref: ClusterRef = {
    session: view.session,
    name: view.session,
    ...(view.plan.region ? { region: view.plan.region } : {}),
    ...(view.plan.project ? { project: view.plan.project } : {}),
  };
  let results: SessionActionResult[];
  try {
    const cluster = (await ctx.driver()).cluster;
    if (!cluster) throw new Error(`the ${view.plan.provider} driver cannot act on a managed cluster`);
    const r = action === "start" ? await cluster.start(ref) : await cluster.stop(ref);
    results = nodes.map((n) => ({
      session: view.session,
      machine: n.planned.name,
      action,
      outcome: r.outcome,
      from: r.from,
      to: r.to,
      attempts: 1,
      path: "driver" as const,
    }));
  } catch (err) {
    results = nodes.map((n) => ({ ...failed(n.target, action, err, 1), path: "driver" as const }));
  }
  const desired = Object.fromEntries(results.flatMap((r) => (desiredAfter(r) ? [[r.machine, desiredAfter(r)!]] : [])));
  await commit(env, view.session, (r) => withDesired(r, desired), results.map(entryOf));
  return results;
}
