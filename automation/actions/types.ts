/**
 * Lifecycle actions, provider-neutral: the machine states every provider's raw state maps to, the
 * targets actions apply to, one result per target, and the driver interface each provider
 * implements. Nothing here talks to a cloud or an engine.
 */
import type { Provider } from "../../format/types.js";
import type { MachineState, Role } from "../../plan/types.js";
import { UserError } from "../../user-error.js";

/** The contract's machine states, plus `interrupted` for spot capacity reclaimed by the cloud (plan/types.ts). */
export type { MachineState };

/**
 * A state as reported in a result: `unknown` when it could not be read (e.g. the engine did not
 * answer), never a guess.
 */
export type ObservedState = MachineState | "unknown";

/** Actions on one machine. `delete` of a session is `terminate` of each of its machines plus the stack. */
export type ActionName = "start" | "stop" | "hibernate" | "reboot" | "shutdown" | "snapshot" | "terminate";

/** Actions that also apply to a whole session (a snapshot names one machine). */
export type SessionActionName = Exclude<ActionName, "snapshot">;

/** The state each action drives a machine to (a snapshot leaves the state as it was). */
export const TARGET_STATE: Readonly<Record<SessionActionName, MachineState>> = {
  start: "running",
  stop: "stopped",
  hibernate: "hibernated",
  reboot: "running",
  shutdown: "stopped",
  terminate: "terminated",
};

/** One machine of a session, as an action sees it. */
export interface ActionTarget {
  /** Session (Pulumi stack) the machine belongs to. */
  session: string;
  /** Session-unique machine name, as users pass it to `--machine` (head, compute-3...). */
  machine: string;
  /** Role of the machine in its formation; decides the order of cluster actions. */
  role: Role;
  /** The provider's id (instance id, container id); when absent the driver derives it from the name. */
  providerId?: string;
  /** Region of the machine, where the provider's API needs one (e.g. the OpenStack catalog's region). */
  region?: string;
  /** Zone of the machine, for zonal APIs (GCE instances). */
  zone?: string;
  /** Project the machine lives in, where the provider scopes by one (GCP project). */
  project?: string;
  /**
   * Hibernation enabled at launch (the plan's `hibernation`). `false` makes `hibernate` fail before
   * any call; absent means unknown, and the driver checks what the provider can tell it.
   */
  hibernation?: boolean;
  /** Runs on spot capacity (the plan's `spot`); drivers also read it from the provider where they can. */
  spot?: boolean;
  /**
   * Launched from a one-time spot request (the plan's `spot` with `spotInterruption: terminate`):
   * it can never be stopped, only imaged and terminated. `true` is known from the plan before any
   * call; absent means unknown, and the driver asks the provider (EC2: the instance's spot request).
   */
  oneTimeSpot?: boolean;
}

/** Per-call options of an action. */
export interface ActionOptions {
  /** Without a graceful shutdown (stop, reboot) or forced where the provider has it (hibernate). */
  force?: boolean;
  /** Image name for `snapshot`; default `<session>-<machine>-<timestamp>`. */
  name?: string;
}

/** What an action did to one target. Exactly one per target, whatever happened. */
export interface ActionResult {
  /** Session of the machine. */
  session: string;
  /** Machine name. */
  machine: string;
  action: ActionName;
  /** done: changed the machine; no-op: it already was in the target state; failed: see `error`. */
  outcome: "done" | "no-op" | "failed";
  /** State before the action. */
  from: ObservedState;
  /** State after the action (unchanged when it failed before changing anything). */
  to: ObservedState;
  /** Why it failed, one line, saying what to do where there is something to do. */
  error?: string;
  /** Set when the provider did something other than what was asked (e.g. a plain stop instead of hibernate). */
  fallback?: string;
  /** The image created by `snapshot`. */
  imageId?: string;
  /** Attempts made (more than 1 after retries on throttling or transient errors). */
  attempts?: number;
}

/** Classes of failure: they decide whether a batch retries and what the user is told. */
export type ErrorKind =
  /** The machine does not exist (removed outside formations, or never created). */
  | "not-found"
  /** The engine or cloud API did not answer at all. */
  | "unreachable"
  /** The API asked us to slow down (rate limit). */
  | "throttled"
  /** A passing condition (connection reset, machine between states): worth retrying. */
  | "transient"
  /** The machine is in a state where the action makes no sense (reboot a stopped machine). */
  | "invalid-state"
  /** The action took longer than the per-target timeout. */
  | "timeout"
  | "other";

/** A classified failure of one action on one target (exit 3). Drivers throw it; batches turn it into a result. */
export class ActionError extends UserError {
  override readonly name = "ActionError";
  /** State read before the action, if it was read. */
  readonly from: ObservedState;
  /** State after the failure: as before unless the action got part of the way. */
  readonly to: ObservedState;
  constructor(
    /** Class of the failure. */
    readonly kind: ErrorKind,
    message: string,
    states: { from?: ObservedState; to?: ObservedState } = {},
    options?: { cause?: unknown },
  ) {
    super(message, 3, undefined, options);
    this.from = states.from ?? "unknown";
    this.to = states.to ?? this.from;
  }
}

/**
 * A provider's way to act on its machines. Methods return a result when the action was done or
 * was a no-op, and throw {@link ActionError} when it failed; `batch.ts` turns throws into results,
 * so callers that want one result per target never see an exception. Every method is safe to
 * repeat: acting on a machine already in the target state changes nothing and returns `no-op`.
 */
export interface ActionDriver {
  readonly provider: Provider;
  /** The machine's normalised state; `terminated` when it no longer exists. */
  state(target: ActionTarget): Promise<MachineState>;
  start(target: ActionTarget): Promise<ActionResult>;
  stop(target: ActionTarget, force?: boolean): Promise<ActionResult>;
  hibernate(target: ActionTarget, force?: boolean): Promise<ActionResult>;
  reboot(target: ActionTarget, force?: boolean): Promise<ActionResult>;
  shutdown(target: ActionTarget): Promise<ActionResult>;
  /** A machine image that outlives the session; its id is returned as soon as the provider gives one. */
  snapshot(target: ActionTarget, name?: string): Promise<ActionResult & { imageId: string }>;
  terminate(target: ActionTarget): Promise<ActionResult>;
  /**
   * Every machine the cloud holds labelled with `session`, in any state, as targets (with the
   * provider's id): how machines an interrupted create left behind, unknown to the engine's
   * state, are found. Absent where the cloud cannot list by label.
   */
  inventory?(session: string): Promise<ActionTarget[]>;
  /** Whether a failure is worth retrying (throttling, transient errors): the batch's retry predicate. */
  retryable(error: unknown): boolean;
  /**
   * The session's managed big-data cluster, acted on as a whole (Dataproc stops and starts a
   * cluster, not its nodes). Absent where the service cannot be stopped (EMR, HDInsight).
   */
  readonly cluster?: ClusterDriver;
  /**
   * Runs a command on the machine and returns its exit code and output (`docker exec` on Docker);
   * absent where the driver cannot (the cloud's API runs no command): callers say what was not done.
   */
  run?(target: ActionTarget, argv: readonly string[]): Promise<CommandResult>;
  /**
   * Whether the provider's engine went away (refused, reset, restarted) at or after `since`
   * (epoch ms): a result read before a restart may have been undone by it (Docker's restart
   * policy brings back a container whose stop the dying engine never recorded), so the caller
   * reads those machines again. Absent where no such restart can undo an action (the clouds).
   */
  interruptedSince?(since: number): boolean;
  /**
   * When `error` (an engine operation's failure) says the provider's engine could not be reached
   * (the Docker provider's ping failed: the engine was restarting), waits, bounded, until it
   * answers again: true when it does, so the operation is worth making once more. False for any
   * other error. Absent where no such engine sits between formations and the machines.
   */
  awaitEngine?(error: unknown): Promise<boolean>;
}

/** Where a session's managed cluster lives. */
export interface ClusterRef {
  session: string;
  /** The cluster's name (the adapter names it after the session). */
  name: string;
  region?: string;
  project?: string;
}

/** What a cluster action did: as a machine's result, for the cluster as a whole. */
export interface ClusterResult {
  outcome: "done" | "no-op";
  from: ObservedState;
  to: ObservedState;
}

/** Start and stop of a managed cluster as a whole; throws {@link ActionError} when it fails. */
export interface ClusterDriver {
  state(ref: ClusterRef): Promise<MachineState>;
  start(ref: ClusterRef): Promise<ClusterResult>;
  stop(ref: ClusterRef): Promise<ClusterResult>;
}

/** What a command run on a machine did. */
export interface CommandResult {
  exitCode: number;
  /** Its standard output and error, together. */
  output: string;
}

/** Calls the driver method for `action`: one switch, so the batch and cluster code stay generic. */
export function invoke(driver: ActionDriver, target: ActionTarget, action: ActionName, opts: ActionOptions = {}): Promise<ActionResult> {
  switch (action) {
    case "start":
      return driver.start(target);
    case "stop":
      return driver.stop(target, opts.force);
    case "hibernate":
      return driver.hibernate(target, opts.force);
    case "reboot":
      return driver.reboot(target, opts.force);
    case "shutdown":
      return driver.shutdown(target);
    case "snapshot":
      return driver.snapshot(target, opts.name);
    case "terminate":
      return driver.terminate(target);
  }
}

/** Where a session's machines live, as a driver needs to find them. */
export interface DriverContext {
  /** Region (aws, azure location, gcp, openstack catalog region). */
  region?: string;
  zone?: string;
  /** GCP project. */
  project?: string;
  /** Docker engine URL (the formation's `cloud.host`); default DOCKER_HOST. */
  host?: string;
}

/** Gives the driver for a provider (default: the provider's cloud, clouds/index.ts); tests pass a test double through `Sessions({ drivers })`. */
export type DriverSource = (provider: Provider, ctx: DriverContext) => ActionDriver | Promise<ActionDriver>;

/** An image the catalog holds, as a cloud's image store needs to find it. */
export interface StoredImage {
  /** The provider's image id (AMI id, machine image name, gallery image version id, Glance id, Docker image id). */
  imageId: string;
  /** The image's name (a Docker reference on Docker). */
  name: string;
  region?: string;
}

/** What deleting an image did. */
export interface ImageRemoval {
  /** What was deleted, in the provider's words and in the order it was (the image, and each snapshot or disk that stored it). */
  deleted: string[];
  /** The provider had no such image any more (deleted outside formations): nothing was deleted. */
  gone?: boolean;
}

/**
 * A cloud's machine images: how big one is (its storage bill) and how to delete it with what
 * stores it (an AMI's EBS snapshots, a Glance image's Cinder snapshots, a Docker image's layers).
 * Refusals (an image still in use) throw an {@link ActionError} whose message says what uses it.
 * Every store also refuses an image without the marks formations' snapshot left on it (tags,
 * labels, an image property; on AWS the AMI's EBS snapshots too): a {@link UserError} with exit 1,
 * before any deleting call, naming the image and the missing mark, its hint the cloud's own command.
 * A failure halfway says what was deleted and what was not, and nothing is sent after it.
 */
export interface ImageStore {
  /** The image's stored size in GB, when the provider says; undefined when it does not. */
  sizeGb(image: StoredImage): Promise<number | undefined>;
  remove(image: StoredImage): Promise<ImageRemoval>;
}
