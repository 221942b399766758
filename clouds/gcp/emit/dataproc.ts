/**
 * EMRCluster on GCP: a Dataproc cluster (the release as its image version, the applications as
 * optional components) with the planned master and workers, internal addresses only, in the
 * session's subnetwork behind the default-deny firewall: its nodes carry the cluster tag, so they
 * talk to each other and to the proxy, and nothing else reaches them. Spot workers become spot
 * secondary workers; `lifecycle.autoStop` becomes the cluster's idle stop TTL (Dataproc stops an
 * idle cluster and `formations start` resumes it).
 */
import { Cluster } from "@pulumi/gcp/dataproc/cluster.js";
import type { PlannedBigData, PlannedMachine } from "../../../plan/types.js";
import type { BigDataHandle, EmitContext } from "../../../components/adapter.js";
import { labelsFor, note, type GcpNetwork } from "./provider.js";
import { accessMetadata } from "./boot.js";
import { machineTags } from "./firewall.js";
import { machineShape } from "./shapes.js";

/** Dataproc's `major.minor` of an image version (`2.2-debian12` → [2, 2]). */
export function imageVersion(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * Formation applications → Dataproc optional components. Spark, Hadoop (and Hive's metastore
 * and CLI) are in every image; Presto became Trino in image 2.1.
 */
export function dataprocComponents(applications: readonly string[], release: string): string[] {
  const v = imageVersion(release);
  const trino = !v || v[0] > 2 || (v[0] === 2 && v[1] >= 1);
  const map: Readonly<Record<string, string | undefined>> = {
    spark: undefined,
    hadoop: undefined,
    hive: "HIVE_WEBHCAT",
    jupyter: "JUPYTER",
    presto: trino ? "TRINO" : "PRESTO",
  };
  return [...new Set(applications.flatMap((a) => (a in map ? (map[a] ? [map[a]] : []) : [a.toUpperCase()])))];
}

export interface WorkerSplit {
  /** Primary (on-demand) workers: Dataproc needs 2 at least in a standard cluster. */
  primary: number;
  /** Spot secondary workers. */
  secondary: number;
  /** Spot workers made primary (on demand) to reach Dataproc's 2. */
  moved: number;
  /** Workers added to reach Dataproc's 2 (a formation with a single worker). */
  added: number;
}

export function workerSplit(workers: readonly Pick<PlannedMachine, "spot">[]): WorkerSplit {
  const onDemand = workers.filter((w) => !w.spot).length;
  const spot = workers.length - onDemand;
  const moved = Math.min(Math.max(0, 2 - onDemand), spot);
  const added = Math.max(0, 2 - onDemand - moved);
  return { primary: onDemand + moved + added, secondary: spot - moved, moved, added };
}

/** Dataproc's idle stop TTL for `autoStop.idleMinutes` (Dataproc accepts 10 minutes to 14 days). */
export function idleStopTtl(idleMinutes: number): string {
  return `${Math.min(Math.max(idleMinutes, 10), 14 * 24 * 60) * 60}s`;
}

/** The SSH user on Dataproc nodes: the image's distribution. */
export function dataprocUser(release: string): string {
  for (const distro of ["ubuntu", "rocky"]) if (release.includes(distro)) return distro;
  return "debian";
}

function nodeConfig(m: PlannedMachine) {
  const { machineType, accelerators } = machineShape(m);
  return {
    machineType,
    diskConfig: { bootDiskSizeGb: m.diskGb, bootDiskType: "pd-balanced" },
    ...(accelerators.length > 0 ? { accelerators: accelerators.map((a) => ({ acceleratorType: a.type, acceleratorCount: a.count })) } : {}),
  };
}

export function createDataprocCluster(ctx: EmitContext, net: GcpNetwork, bigData: PlannedBigData, nodes: readonly PlannedMachine[]): BigDataHandle {
  const plan = ctx.plan;
  const master = nodes.find((n) => n.role === "master");
  const workers = nodes.filter((n) => n.role === "worker");
  const firstWorker = workers[0];
  if (!master || !firstWorker) throw new Error("a Dataproc cluster has a master and at least one worker");
  const split = workerSplit(workers);
  if (split.moved > 0) note(ctx, `Dataproc needs 2 on-demand (primary) workers: ${split.moved} of the spot workers run on demand`);
  if (split.added > 0) note(ctx, `Dataproc's smallest standard cluster has 2 workers: ${split.added} more is created than the ${workers.length} asked`);
  if (plan.autoStop && plan.autoStop.idleMinutes < 10)
    note(ctx, `Dataproc stops an idle cluster after 10 minutes at the soonest; ${plan.autoStop.idleMinutes} was asked`);
  const spotWorker = workers.find((w) => w.spot) ?? firstWorker;
  const name = plan.session;
  const cluster = new Cluster(
    ctx.name("dataproc"),
    {
      name,
      region: net.region,
      labels: labelsFor(ctx, "bigdata"),
      clusterConfig: {
        softwareConfig: { imageVersion: bigData.release, optionalComponents: dataprocComponents(bigData.applications, bigData.release) },
        gceClusterConfig: {
          zone: net.zone,
          ...(net.subnetwork ? { subnetwork: net.subnetwork } : { network: net.network }),
          // No public address on any node: users come in through the proxy.
          internalIpOnly: true,
          tags: machineTags(plan.session, "bigdata", true),
          metadata: accessMetadata(plan, dataprocUser(bigData.release)),
          shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
        },
        masterConfig: { numInstances: 1, ...nodeConfig(master) },
        workerConfig: { numInstances: split.primary, ...nodeConfig(firstWorker) },
        // Dataproc replaces a reclaimed spot worker itself: lifecycle.spotInterruption has no say here.
        ...(split.secondary > 0
          ? { preemptibleWorkerConfig: { numInstances: split.secondary, preemptibility: "SPOT", diskConfig: nodeConfig(spotWorker).diskConfig } }
          : {}),
        ...(plan.autoStop ? { lifecycleConfig: { idleStopTtl: idleStopTtl(plan.autoStop.idleMinutes) } } : {}),
      },
    },
    // The name is fixed (the master is `<name>-m`), so a replacement deletes the old cluster first.
    { ...net.opts, deleteBeforeReplace: true, dependsOn: net.ready },
  );
  // The master's internal DNS name in the session's zone: `<cluster>-m` is Dataproc's naming.
  return { cloudId: cluster.id, masterAddress: cluster.name.apply((n) => `${n}-m.${net.zone}.c.${net.project}.internal`) };
}
