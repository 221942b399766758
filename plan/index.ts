/**
 * `planSession`: a validated formation becomes plain data (machines, network, storage, secrets,
 * cost). Pure: no I/O, no `@pulumi/*`; the emitter turns the plan into resources.
 */
import type { Formation } from "../format/types.js";
import type { PlannedBigData, PlannedContainer, PlannedMachine, PlannedSecret, PlannedStorage, PowerState, SessionPlan } from "./types.js";
import { catalogFor, cloudOf } from "../clouds/index.js";
import type { Cloud } from "../clouds/cloud.js";
import { desiredStateOf, planMachines, serviceOf } from "./machines.js";
import { estimate } from "./cost.js";
import { billingNote } from "./managed-service.js";
import { DEFAULT_SPARK_VERSION } from "./cloudinit/workloads.js";

export interface PlanOptions {
  /** Session (stack) name; default: the formation's name. */
  session?: string;
  /** Desired power state per machine, as kept in the session's state; default: running. */
  desired?: Readonly<Record<string, PowerState>>;
  /** Machines deleted outside formations, as the session records them: planned, but neither emitted nor priced. */
  removed?: readonly string[];
  /** Machines deleted on purpose (`delete --machine`): not planned at all, and their names never reused. */
  deleted?: readonly string[];
}

export const SESSION_NAME = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;

export function sessionLabels(f: Formation, session: string): Record<string, string> {
  return {
    ...(f.metadata.labels as Record<string, string> | undefined),
    "formations-session": session,
    "formations-formation": f.metadata.name,
    "formations-kind": f.kind.toLowerCase(),
    "managed-by": "formations",
  };
}

/** Shared storage: a volume where machines are containers, else the cloud's file service or NFS from the head node. */
function planStorage(f: Formation, cloud: Cloud): PlannedStorage | undefined {
  if (f.kind !== "HPCCluster") return undefined;
  const s = f.spec.sharedStorage ?? {};
  const kind = cloud.planning.machines === "containers" ? "volume" : cloud.catalog.managedStorage ? "managed" : "head-nfs";
  return { sizeGb: s.sizeGb ?? 100, mountPath: s.mountPath ?? "/shared", kind };
}

function planBigData(f: Formation, cloud: Cloud): PlannedBigData | undefined {
  if (f.kind !== "EMRCluster") return undefined;
  // `managed: false` asks for Spark on the session's own machines even where a managed service exists.
  const managed = cloud.catalog.managedBigData && f.spec.managed !== false;
  const release = f.spec.release ?? (managed || !cloud.catalog.managedBigData ? cloud.planning.bigDataRelease : `spark-${DEFAULT_SPARK_VERSION}`);
  return { managed, release, applications: f.spec.applications ?? ["spark"] };
}

function planContainer(f: Formation, machines: readonly PlannedMachine[]): PlannedContainer | undefined {
  if (f.kind !== "Docker") return undefined;
  const c = f.spec.container;
  const service = serviceOf(f, cloudOf(f.cloud.provider));
  const runner = machines.find((m) => m.service);
  return {
    image: c.image,
    command: c.command ?? [],
    env: (c.env ?? {}) as Record<string, string>,
    ports: (c.ports ?? []).map((p) => ({ container: p.container, host: p.host ?? p.container, protocol: p.protocol ?? "tcp" })),
    volumes: (c.volumes ?? []).map((v) => ({
      ...(v.name ? { name: v.name } : {}),
      ...(v.hostPath ? { hostPath: v.hostPath } : {}),
      mountPath: v.mountPath,
      readOnly: v.readOnly ?? false,
    })),
    ...(c.cpus !== undefined ? { cpus: c.cpus } : {}),
    ...(c.memoryMb !== undefined ? { memoryMb: c.memoryMb } : {}),
    ...(service && runner ? { service: { ...service, vcpus: runner.vcpus ?? 0, memoryMb: Math.round((runner.memoryGb ?? 0) * 1024) } } : {}),
  };
}

function planSecrets(f: Formation, plan: Pick<SessionPlan, "machines">): PlannedSecret[] {
  const secrets: PlannedSecret[] = [];
  if (f.kind === "HPCCluster") secrets.push({ name: "munge-key", length: 128 });
  if (f.kind === "VirtualLab") secrets.push({ name: "gateway-password", length: 24 });
  if (plan.machines.some((m) => m.image.os === "windows")) secrets.push({ name: "admin-password", length: 24 });
  return secrets;
}

export function planSession(f: Formation, opts: PlanOptions = {}): SessionPlan {
  const session = opts.session ?? f.metadata.name;
  if (!SESSION_NAME.test(session))
    throw new Error(`invalid session name '${session}': use lower-case letters, digits and dashes, starting with a letter, at most 40 characters`);
  const cloud = cloudOf(f.cloud.provider);
  const pricing = f.cloud.pricing;
  const catalog = catalogFor(f.cloud.provider, pricing);
  const notes: string[] = [];
  const machines = planMachines(f, cloud, opts.desired ?? {}, notes, opts.removed, opts.deleted);
  const bigData = planBigData(f, cloud);
  if (bigData?.managed) for (const m of machines) if (m.role === "master" || m.role === "worker") m.managedBy = "bigdata";
  const storage = planStorage(f, cloud);
  if (storage?.kind === "managed" && catalog.sharedStorageMinGb && storage.sizeGb < catalog.sharedStorageMinGb) {
    notes.push(`shared storage: ${f.cloud.provider} bills at least ${catalog.sharedStorageMinGb} GB; ${storage.sizeGb} GB was asked`);
  }
  const spotInterruption = f.lifecycle?.spotInterruption ?? "stop";
  if (spotInterruption === "hibernate") {
    for (const m of machines)
      if (m.spot && !m.hibernation)
        notes.push(
          `${m.name}: ${m.instanceType} cannot hibernate on ${f.cloud.provider}${m.hibernationRule ? ` (${m.hibernationRule})` : ""}; a reclaimed spot machine will be stopped instead`,
        );
  }
  const managedNodes = machines.filter((m) => m.managedBy === "bigdata").length;
  if (bigData && !bigData.managed && !/^spark-\d+\.\d+\.\d+$/.test(bigData.release))
    notes.push(
      `release '${bigData.release}' is not a Spark release ('spark-${DEFAULT_SPARK_VERSION}'): Spark ${DEFAULT_SPARK_VERSION} is installed on the machines`,
    );
  const bill = billingNote(
    f.cloud.provider,
    machines.filter((m) => m.managedBy === "bigdata"),
  );
  if (bill) notes.push(bill);
  const container = planContainer(f, machines);
  const plan: SessionPlan = {
    session,
    formation: f.metadata.name,
    kind: f.kind,
    provider: f.cloud.provider,
    ...(f.cloud.region ? { region: f.cloud.region } : {}),
    ...(f.cloud.zone ? { zone: f.cloud.zone } : {}),
    ...(f.cloud.project ? { project: f.cloud.project } : {}),
    // Only a Docker engine is named by a host (the schema allows `cloud.host` on docker alone).
    ...(f.cloud.host ? { dockerHost: f.cloud.host } : {}),
    ...(pricing ? { pricing } : {}),
    labels: sessionLabels(f, session),
    network: {
      ...(f.cloud.network ? { existing: { id: f.cloud.network.id, ...(f.cloud.network.subnet ? { subnet: f.cloud.network.subnet } : {}) } } : {}),
      cidr: "10.42.0.0/16",
      subnetCidr: "10.42.0.0/20",
      privateSubnetCidr: "10.42.16.0/20",
    },
    sshPublicKeys: f.access?.sshPublicKeys ?? [],
    allowFrom: f.access?.allowFrom ?? [],
    machines,
    ...(storage ? { storage } : {}),
    ...(bigData ? { bigData } : {}),
    ...(f.kind === "VirtualLab" ? { gateway: { protocol: f.spec.target.protocol } } : {}),
    ...(container ? { container } : {}),
    ...(f.lifecycle?.autoStop ? { autoStop: { idleMinutes: f.lifecycle.autoStop.idleMinutes } } : {}),
    ...(f.lifecycle?.autoStop && cloud.planning.machines === "vms"
      ? { idleAgent: { oneTimeSpot: cloud.planning.shutdownDeletesOneTimeSpot ? "report-only" : "shutdown" } }
      : {}),
    spotInterruption,
    secrets: [],
    cost: estimate(catalog, machines, storage, managedNodes, !f.cloud.network && machines.some((m) => !m.public)),
    notes,
  };
  plan.secrets = planSecrets(f, plan);
  // What only the cloud can say (its spot market, its storage, its schedules), after the planner's own notes.
  for (const n of cloud.notes?.(plan) ?? []) if (!notes.includes(n)) notes.push(n);
  return plan;
}

/**
 * The plan with other desired power states: what changes between two updates of a session when
 * an action records a new desired state. Only each machine's `desiredState` depends on them, so
 * the plan is not made again (its notes stay those of the first plan).
 */
export function withDesiredStates(plan: SessionPlan, desired: Readonly<Record<string, PowerState>>, removed: readonly string[] = []): SessionPlan {
  const machines = plan.machines.map(({ removed: _was, ...m }): PlannedMachine => ({
    ...m,
    desiredState: desiredStateOf(desired, m.name),
    ...(removed.includes(m.name) ? { removed: true as const } : {}),
  }));
  return { ...plan, machines };
}

export type * from "./types.js";
export { tierOf } from "./tiers.js";
