/**
 * The plain-data plan of a session: what `emit` turns into Pulumi resources. Built by pure
 * functions from a validated formation; nothing here imports `@pulumi/*`.
 */
import type { Kind, Provider } from "../format/types.js";

/** What a machine does in its formation; decides its software, its rules and its start order. */
export type Role = "machine" | "member" | "host" | "proxy" | "target" | "master" | "worker" | "head" | "compute";

/** Desired power state kept per machine in the session (the contract's machine states, minus transients). */
export type PowerState = "running" | "stopped" | "hibernated";

/**
 * A machine's state as the contract names it, plus `interrupted` (spot capacity the cloud took
 * back). Every layer reads these words: the planner's power states are a subset, the actions
 * normalise each provider's raw states to them, the ledger charges by them.
 */
export type MachineState = "pending" | "running" | "stopped" | "hibernated" | "terminated" | "interrupted";

export type Os = "linux" | "windows";

/** Where inbound traffic may come from: never "anywhere" unless `cidrs` says so explicitly. */
export type Source =
  | { kind: "cidrs"; cidrs: readonly string[] }
  | { kind: "role"; role: Role }
  /** Every machine of the session (cluster members talk freely to each other). */
  | { kind: "session" };

export interface InboundRule {
  protocol: "tcp" | "udp" | "all";
  /** First port (0 with protocol "all"). */
  fromPort: number;
  /** Last port, inclusive. */
  toPort: number;
  from: Source;
  description: string;
}

export interface ResolvedImage {
  /** The alias the formation named (ubuntu-22.04 ...), if it named one. */
  alias?: string;
  /** Provider image id (AMI, URN, image path, Glance name, Docker reference), or a lookup for the adapter. */
  id?: string;
  /** A lookup the adapter performs when the id depends on the region (e.g. the newest Canonical AMI). */
  lookup?: { owner: string; nameFilter: string };
  os: Os;
}

export interface PlannedMachine {
  /** Session-unique name users pass to `--machine` (head, compute-3, proxy, target, machine-2...). */
  name: string;
  role: Role;
  /** Start order: lower tiers start first and stop last (proxy 0, master/head 1, workers/compute 2). */
  tier: number;
  instanceType: string;
  /** vCPUs and memory of the instance type, when the catalog knows it (slurm.conf declares them). */
  vcpus?: number;
  memoryGb?: number;
  /** The portable size the formation asked for, if any. */
  size?: string;
  image: ResolvedImage;
  diskGb: number;
  spot: boolean;
  gpus?: { count: number; type: string };
  /** Needs an address reachable from `access.allowFrom` (only entry points, only when allowFrom is set). */
  public: boolean;
  inbound: InboundRule[];
  /** Hibernation enabled at launch (the size supports it, on a provider that has it). */
  hibernation: boolean;
  /** Why hibernation is off at launch on a cloud that has it: the rule that refused it (its family, its memory, Windows). */
  hibernationRule?: string;
  desiredState: PowerState;
  /**
   * Deleted outside formations (the session recorded it at a refresh): the next `up` neither
   * recreates it nor lists it among the session's machines, and it costs nothing.
   */
  removed?: true;
  /** Ports users connect to, for connection details (22 ssh, 3389 rdp, 443 gateway...). */
  connect: { protocol: "ssh" | "rdp" | "vnc" | "https"; port: number }[];
  /** Created by the managed big-data service (EMR, Dataproc, HDInsight), not as an instance of ours. */
  managedBy?: "bigdata";
  /**
   * Run by the cloud's managed container service (the Docker spec's key that asked for it, e.g.
   * `ecs`) rather than as a VM of ours: nothing to log in to, the container's published ports are
   * its only ports, and its price is the service's (planned, not looked up by instance type).
   */
  service?: string;
  /** Hourly price of this machine while running (compute + disk), from the catalog. */
  hourlyUsd: number;
}

export interface PlannedStorage {
  sizeGb: number;
  mountPath: string;
  /** managed: the provider's file service (EFS, Azure Files, Filestore, Manila); head-nfs: an NFS export from the head node; volume: a Docker volume. */
  kind: "managed" | "head-nfs" | "volume";
}

export interface PlannedBigData {
  /** A managed service (EMR, Dataproc, HDInsight) rather than Spark installed on machines. */
  managed: boolean;
  release: string;
  applications: readonly string[];
}

export interface PlannedContainer {
  image: string;
  command: readonly string[];
  env: Readonly<Record<string, string>>;
  ports: { container: number; host: number; protocol: "tcp" | "udp" }[];
  volumes: { name?: string; hostPath?: string; mountPath: string; readOnly: boolean }[];
  cpus?: number;
  memoryMb?: number;
  /** Run by the cloud's managed container service instead of a host VM (clouds/cloud.ts `containerService`). */
  service?: PlannedService;
}

/** A container service's plan of the one container: the spec key and options given, and the task size it runs at. */
export interface PlannedService {
  /** The Docker spec's key that asked for it (`ecs`). */
  field: string;
  /** Its options as the formation gives them (`{ launchType: FARGATE }`). */
  options: Readonly<Record<string, unknown>>;
  /** The task's vCPUs and memory: the container's, rounded up to a size the service offers. */
  vcpus: number;
  memoryMb: number;
}

/** A secret the emitter generates once and keeps in state (never plain in inputs, outputs or logs). */
export interface PlannedSecret {
  name: "munge-key" | "gateway-password" | "admin-password";
  /** Length in characters (passwords) or bytes (keys). */
  length: number;
}

export interface CostLine {
  item: string;
  count: number;
  hourlyUsd: number;
}

export interface CostEstimate {
  hourlyUsd: number;
  lines: CostLine[];
  /** Where the prices come from and when they were read. */
  source: string;
}

export interface SessionPlan {
  session: string;
  formation: string;
  kind: Kind;
  provider: Provider;
  region?: string;
  zone?: string;
  project?: string;
  /** Docker engine URL (docker provider) when the formation names one; else the adapter uses DOCKER_HOST. */
  dockerHost?: string;
  /** What the formation says its machines cost (docker's `cloud.pricing`); the cloud's catalog turns it into prices. */
  pricing?: { cpuHourUsd?: number; memoryGbHourUsd?: number };
  /** Labels for every resource: the formation's plus formations-session/-formation/-kind/managed-by. */
  labels: Readonly<Record<string, string>>;
  network: {
    existing?: { id: string; subnet?: string };
    cidr: string;
    subnetCidr: string;
    /** Subnet of the machines without a public address (egress through NAT), where the provider separates them. */
    privateSubnetCidr?: string;
  };
  sshPublicKeys: readonly string[];
  allowFrom: readonly string[];
  machines: PlannedMachine[];
  storage?: PlannedStorage;
  bigData?: PlannedBigData;
  gateway?: { protocol: "rdp" | "vnc" | "ssh" };
  container?: PlannedContainer;
  autoStop?: { idleMinutes: number };
  /**
   * The idle agent on the session's Linux machines (autoStop on a cloud whose machines boot with
   * cloud-init), and how it stops a one-time spot machine: where a guest shutdown would delete
   * one (EC2), it only reports and lets `formations enforce` decide.
   */
  idleAgent?: { oneTimeSpot: "shutdown" | "report-only" };
  spotInterruption: "stop" | "hibernate" | "terminate";
  secrets: PlannedSecret[];
  cost: CostEstimate;
  /** Things the user should know (a fallback taken, a limit rounded up). */
  notes: string[];
}
