/**
 * What one cloud knows, behind one interface. Each folder under clouds/ exports one descriptor
 * that `satisfies Cloud`, and clouds/index.ts lists them by provider name, so a provider that
 * has no folder fails to compile. The descriptor is plain data and pure functions: validation,
 * planning and pricing read it without Pulumi or a cloud SDK. What needs an SDK (the adapter
 * that emits resources, the driver that acts on machines, the idle-verdict reader) is imported
 * when first asked for, so a command loads its own cloud's SDK and no other.
 *
 * This file and the contracts it names (components/adapter.ts, automation/actions/types.ts,
 * plan/types.ts, plan/catalog.ts) import nothing that reaches the table: a cloud's modules can
 * use them without importing each other in a circle.
 */
import type { Provider } from "../format/types.js";
import type { ProviderCatalog } from "../plan/catalog.js";
import type { MachineState, PlannedMachine, SessionPlan } from "../plan/types.js";
import type { CloudAdapter } from "../components/adapter.js";
import type { ActionDriver, ActionName, DriverContext, ImageStore } from "../automation/actions/types.js";
import type { MachineDetails, SessionDetails } from "../automation/session/details.js";
import type { IdleVerdict } from "../cost/idle.js";

export interface Cloud {
  readonly provider: Provider;
  /** Sizes, GPU shapes, images, prices and hibernation support: what planning and the cost ledger read. */
  readonly catalog: ProviderCatalog;
  /**
   * The catalog as one formation prices it, where the formation may set its own prices (docker's
   * `cloud.pricing`: a shared host's chargeback); absent, `catalog` is every formation's.
   */
  readonly pricedBy?: (pricing: NonNullable<SessionPlan["pricing"]>) => ProviderCatalog;
  /** How the planner shapes a session on this cloud. */
  readonly planning: CloudPlanning;
  /** What validation checks on this cloud beyond the schema (format/rules.ts applies them). */
  readonly checks: CloudChecks;
  /** What the user should know about a plan on this cloud that the neutral planner cannot say (added to its notes). */
  notes?(plan: SessionPlan): string[];
  /** The outputs this cloud's resources and calls give under Pulumi's mock runtime (`formations plan`, component tests). */
  readonly mocks: CloudMocks;
  /** The adapter that emits this cloud's resources (components/adapter.ts); imports its Pulumi SDK. */
  adapter(): Promise<CloudAdapter>;
  /** Lifecycle actions: which go through `up`, what is refused before any call, and the driver for the rest. */
  readonly actions: CloudActions;
  /** Where the idle agent's verdicts are read. */
  readonly idle: CloudIdle;
  /** The Pulumi packages its resources come from, and their resource plugins (`resource-<plugin>`): what `doctor` checks. */
  readonly pulumiPackages: readonly { readonly pkg: string; readonly plugin: string }[];
  /** A managed container service a Docker formation may run on instead of a host VM (ECS on aws). */
  readonly containerService?: ContainerService;
  /**
   * Whether credentials for this cloud can be found, and where from (`formations doctor`). Reads
   * the environment and files only (no network, no SDK): says where, never what.
   */
  credentials(probe: CredentialProbe): Promise<CredentialFinding>;
  /** What `doctor` calls that check, when it is not `credentials <provider>` (docker's is its engine). */
  readonly credentialsCheck?: string;
}

/**
 * A managed container service: the Docker spec's key that asks for it, and how it plans the one
 * container. Plain data and pure functions, like the rest of the descriptor.
 */
export interface ContainerService {
  /** The Docker spec's key that asks for it (`ecs`); a formation on another cloud that gives it is refused. */
  readonly field: string;
  /** Why these options cannot run the Docker spec as given (its `host`, ports, volumes, size), at its place; undefined when they can. */
  refusal?(
    options: Readonly<Record<string, unknown>>,
    spec: Readonly<Record<string, unknown>>,
  ): { pointer: string; atKey?: boolean; message: string; hint: string } | undefined;
  /**
   * The container as the service runs it: the task size (rounded up to one it offers), the label
   * shown where an instance type would be, the disk, the hourly price, and notes. `host` is the
   * instance type and disk the spec's `host` block resolved to (used where the service runs on VMs).
   */
  plan(
    options: Readonly<Record<string, unknown>>,
    container: { cpus?: number; memoryMb?: number },
    host: { instanceType: string; diskGb: number },
  ): ContainerServicePlan;
}

export interface ContainerServicePlan {
  /** What the plan shows as the machine's instance type (`fargate 1 vCPU / 2 GB`, or the container instance's type). */
  readonly instanceType: string;
  readonly vcpus: number;
  readonly memoryMb: number;
  /** Disk billed with it (0 where the service includes it). */
  readonly diskGb: number;
  /** While it runs. */
  readonly hourlyUsd: number;
  readonly notes: readonly string[];
}

/** What a credential check may read: the environment, the user's home and files (tests pass their own). */
export interface CredentialProbe {
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  /** The working directory (clouds.yaml is looked for there first). */
  readonly cwd: string;
  /** A file's text; undefined when it cannot be read. */
  read(path: string): Promise<string | undefined>;
}

/** Credentials found (where from), or not (with the one-line fix). Never a secret. */
export interface CredentialFinding {
  found: boolean;
  /** Where they come from: `environment (AWS_ACCESS_KEY_ID)`, `profile 'dev' in ~/.aws/credentials`, `gcloud login (...)`. */
  source?: string;
  /** The fix in one line, when not found; or what else to know when found (a missing subscription). */
  fix?: string;
}

export interface CloudPlanning {
  /**
   * What runs a formation's machines: VMs that boot with cloud-init (the idle agent can run on
   * them), or containers on a Docker engine (no cloud-init; shared storage is a volume; a Docker
   * formation's container is itself the machine, with no VM around it).
   */
  readonly machines: "vms" | "containers";
  /** The big-data release when a formation names none (EMR, Dataproc, HDInsight, or Spark where it runs on machines). */
  readonly bigDataRelease: string;
  /** A guest shutdown of a one-time spot machine deletes it (EC2): the idle agent only reports there. */
  readonly shutdownDeletesOneTimeSpot?: boolean;
}

export interface CloudChecks {
  /** Windows images run here. */
  readonly windows: boolean;
  /** Instance types must look like this (Docker's `<cpus>cpu-<memory>`), with the hint for one that does not. */
  readonly instanceType?: { readonly pattern: RegExp; readonly hint: string };
  /** This cloud's own image ids: such an id in a formation for another cloud is refused. */
  readonly imageId?: RegExp;
  /** Zones are named after their region here: an example zone of `region`, the hint for a zone outside it. */
  zoneOf?(region: string): string;
  /** Label keys and values must be lower case here: the cloud's name in the message. */
  readonly lowerCaseLabels?: string;
  /** The only regions this cloud has (OVHcloud's region codes): any other is refused, with these in the hint. */
  readonly regions?: readonly string[];
  /** There is no spot capacity here: `spot: true` is refused, with this reason and hint. */
  readonly noSpot?: { readonly reason: string; readonly hint: string };
}

/** Fake addresses of one mocked resource, for a cloud's mock outputs. */
export interface MockAddresses {
  /** Its private address. */
  readonly ip: string;
  /** A public address (documentation range), if it has one. */
  readonly publicIp: string;
}

export interface CloudMocks {
  /** Outputs this cloud's resource of `type` adds to its inputs; {} for a resource that is not this cloud's. */
  state(type: string, name: string, inputs: Record<string, unknown>, at: MockAddresses): Record<string, unknown>;
  /** The answer to one of this cloud's provider functions (`aws:ec2/getAmi:getAmi`); undefined when `token` is not one. */
  call(token: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined;
}

/** What the path rules need of a machine: its plan and the state its session records. */
export interface ActionSubject {
  planned: PlannedMachine;
  recorded: MachineState;
}

export interface CloudActions {
  /** Actions this cloud's Pulumi resources hold as a desired state (`up` converges them, without --force); the rest go through the driver. */
  readonly declarative: ReadonlySet<ActionName>;
  /** What the cloud does instead, reported with each result of the declarative path (OpenStack shelves for hibernate). */
  readonly declarativeFallback?: Partial<Record<ActionName, string>>;
  /**
   * The managed big-data service here (an EMRCluster's master and workers), and whether it can
   * be stopped: Dataproc stops and starts a cluster as a whole (through the driver's `cluster`);
   * EMR and HDInsight cannot, so a session stop is refused rather than leaving them billed.
   */
  readonly managedCluster?: { readonly service: string; readonly stoppable: boolean };
  /** Hibernation is enabled at launch here: the plan's `hibernation` decides whether `hibernate` may be asked at all. */
  readonly hibernationAtLaunch: boolean;
  /** Why a machine launched with hibernation still cannot hibernate (GCE: spot or GPUs); undefined when it can. */
  hibernateRefusal?(m: PlannedMachine): string | undefined;
  /** Why the declarative path cannot take a machine from its recorded state (GCE suspends a running instance only). */
  declarativeRefusal?(action: ActionName, m: ActionSubject): string | undefined;
  /** Machines are found by the name the adapter gives them rather than by the provider's id (Docker containers). */
  readonly byName?: boolean;
  /** The image reference a snapshot of `machine` gets and a formation launches from, chosen before the call (Docker); else the provider names it. */
  snapshotReference?(session: string, machine: string, now: Date): string;
  /** The driver that acts through the cloud's API; imports its SDK. */
  driver(ctx: DriverContext): Promise<ActionDriver>;
  /** Its machine images (size, delete), for the image catalog: every cloud that snapshots has one, so `images delete` works everywhere. */
  images(ctx: DriverContext): Promise<ImageStore>;
}

/**
 * Reads one machine's last idle verdict; undefined = no verdict there yet. Throws with a one-line
 * reason when it cannot read. `changesOnly`: the place read holds the agent's verdict changes
 * only (a serial console), not its latest run (the verdict file).
 */
export type VerdictSource = ((details: SessionDetails, machine: MachineDetails) => Promise<IdleVerdict | undefined>) & { changesOnly?: boolean };

export interface CloudIdle {
  /**
   * `always`: verdicts are read whenever a session is shown (a local engine call); `on-request`:
   * only when asked (`show --idle`, `enforce`), since each is a cloud API call per machine.
   */
  readonly read: "always" | "on-request";
  /** The reader; imports what it needs. */
  source(): Promise<VerdictSource>;
  /**
   * Where the machines run no agent of their own (Docker containers: no cloud-init, no systemd),
   * the watcher `enforce` runs instead: each call runs the idle agent once in the machine from
   * outside, then reads its verdict. Absent: the machines' own agents report.
   */
  watch?(): Promise<VerdictSource>;
}
