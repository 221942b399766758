/**
 * The cloud adapter: everything that differs between providers, behind one small interface.
 * Components (one per kind) are written once against it; each provider implements it in its own
 * folder (aws/, azure/, gcp/, openstack/, docker/) and is loaded only when a formation needs it.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Provider } from "../format/types.js";
import type { PlannedBigData, PlannedMachine, PlannedStorage, SessionPlan } from "../plan/types.js";

/** What every adapter call gets: the plan, the component to parent children to, and naming. */
export interface EmitContext {
  plan: SessionPlan;
  /** The kind's component: every resource an adapter creates is its child. */
  parent: pulumi.ComponentResource;
  /** `${component name}-${suffix}`: children are named after their parent. */
  name(suffix: string): string;
  /** Labels for a resource of this role (the session's labels plus formations-role). */
  labels(role?: string): Record<string, string>;
}

/** Secrets generated once per session and kept in state; always Pulumi secrets. */
export interface SessionSecrets {
  mungeKey?: pulumi.Output<string>;
  gatewayPassword?: pulumi.Output<string>;
  adminPassword?: pulumi.Output<string>;
}

/**
 * What a machine needs to know about the others to configure itself: the addresses of the
 * machines it talks to, the shared storage to mount, and the secrets of the session.
 */
export interface Bootstrap {
  /** HPC: the head node's private address (slurmctld, NFS server). */
  headAddress?: pulumi.Input<string>;
  /** Self-managed Spark: the master's private address. */
  masterAddress?: pulumi.Input<string>;
  /** VirtualLab: the target's private address, for the gateway. */
  targetAddress?: pulumi.Input<string>;
  /** Shared storage to mount (NFS server:path, or a Docker volume name). */
  storage?: StorageHandle;
  /** Names of the compute nodes (slurm.conf on the head lists them). */
  peers?: readonly string[];
  secrets: SessionSecrets;
}

export interface NetworkHandle {
  /** Provider-specific; only the adapter that made it reads it. */
  readonly provider: Provider;
}

export interface StorageHandle {
  /** What to mount: `fs-123.efs.eu-west-1.amazonaws.com:/`, a Docker volume name, ... */
  source: pulumi.Output<string>;
  mountPath: string;
  /** NFS (mounted over the network) or a Docker volume (bind-mounted by the engine). */
  type: "nfs" | "volume";
}

export interface MachineHandle {
  /** The provider's id of the machine (instance id, VM id, container id). */
  cloudId: pulumi.Output<string>;
  privateIp: pulumi.Output<string>;
  /** Present only when the machine is reachable from access.allowFrom. */
  publicIp?: pulumi.Output<string | undefined>;
  /** The login user for SSH (ubuntu, azureuser, root...). */
  user: string;
  /** How to connect, when the generic `ssh user@address` does not fit (e.g. `docker exec`). */
  connect?: pulumi.Output<string>;
}

export interface BigDataHandle {
  cloudId: pulumi.Output<string>;
  /** The master's private address (for the proxy and connection details). */
  masterAddress: pulumi.Output<string>;
}

export interface CloudAdapter<N extends NetworkHandle = NetworkHandle> {
  readonly provider: Provider;
  /** The session network (or the given one) and its default-deny firewall. */
  network(ctx: EmitContext): N;
  /**
   * A machine with its firewall rules (from `m.inbound`), its software for `m.role` (cloud-init
   * on VMs, the role's image on Docker), its desired power state (`m.desiredState`) and, with
   * `plan.autoStop`, its provider-native idle stop.
   */
  machine(ctx: EmitContext, net: N, m: PlannedMachine, boot: Bootstrap): MachineHandle;
  /** The provider's managed file system; undefined where the head node exports NFS instead. */
  sharedStorage(ctx: EmitContext, net: N, storage: PlannedStorage): StorageHandle | undefined;
  /** The managed big-data service (EMR, Dataproc, HDInsight); undefined where Spark runs on machines. */
  bigDataCluster(ctx: EmitContext, net: N, bigData: PlannedBigData, nodes: readonly PlannedMachine[], boot: Bootstrap): BigDataHandle | undefined;
}
