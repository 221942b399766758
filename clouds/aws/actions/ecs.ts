/**
 * Lifecycle actions on a Docker formation's ECS service (`spec.ecs`), through @aws-sdk/client-ecs,
 * imported on the first call. The machine is the service: its providerId is the service ARN
 * (`arn:aws:ecs:<region>:<account>:service/<cluster>/<name>`), which is how the AWS driver tells it
 * from an EC2 instance.
 *
 * start and stop scale the service's desired count to 1 and to 0 (ECS stops the task gracefully:
 * SIGTERM, then SIGKILL after the task's stop timeout); shutdown is stop; reboot replaces the task
 * (a new deployment); terminate deletes the service. What ECS cannot do is refused with the
 * reason: hibernate (a task keeps no memory) and snapshot (no task is committed to an image; on
 * Fargate there is not even a host to do it on).
 */
import type * as EcsSdk from "@aws-sdk/client-ecs";
import type { ECSClient, Service } from "@aws-sdk/client-ecs";
import { classifyAwsError } from "./states.js";
import { pollUntil, label } from "./ec2.js";
import {
  ActionError,
  type ActionResult,
  type ActionTarget,
  type MachineState,
  type ObservedState,
  type SessionActionName,
} from "../../../automation/actions/types.js";

type Sdk = typeof EcsSdk;

/** An ECS service ARN, the providerId of a machine run by ECS. */
export const ECS_SERVICE_ARN = /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):\d{12}:service\/([^/]+)\/([^/]+)$/;

export function isEcsService(t: ActionTarget): boolean {
  return ECS_SERVICE_ARN.test(t.providerId ?? "");
}

/** The cluster and region a service ARN names. */
export function serviceRef(arn: string): { region: string; cluster: string; service: string } {
  const m = ECS_SERVICE_ARN.exec(arn);
  if (!m) throw new ActionError("other", `'${arn}' is not an ECS service ARN`);
  return { region: m[1]!, cluster: m[2]!, service: m[3]! };
}

/** What the driver reads of a service, and its state. */
export interface SeenService {
  service: Service | undefined;
  state: MachineState;
}

/**
 * A service's state: terminated when ECS no longer has it (or it is being deleted), stopped when it
 * wants no task and runs none, running when its task runs, pending while it scales either way.
 */
export function fromEcsService(s: Service | undefined): MachineState {
  if (!s || s.status === "INACTIVE" || s.status === "DRAINING") return "terminated";
  const desired = s.desiredCount ?? 0;
  const running = s.runningCount ?? 0;
  const pending = s.pendingCount ?? 0;
  if (desired === 0) return running === 0 && pending === 0 ? "stopped" : "pending";
  return running >= desired ? "running" : "pending";
}

/** The one-line reason snapshot is refused, by launch type. */
export function snapshotRefusal(s: Service | undefined, what: string): string {
  const fargate = s?.launchType === "FARGATE" || s?.capacityProviderStrategy?.some((c) => c.capacityProvider?.startsWith("FARGATE")) === true;
  const where = fargate
    ? "a Fargate task runs on AWS's capacity with no host to commit it on (no `docker commit`), and its storage does not outlive it"
    : "ECS does not commit a task's container to an image";
  return `${what} runs on ECS: snapshot is not possible: ${where}. What the task runs is already an image: build and push a new tag, then set container.image`;
}

export interface EcsDriverOptions {
  region?: string;
  pollMs: number;
  waitMs: number;
}

export class EcsDriver {
  private sdk?: Promise<Sdk>;
  private readonly clients = new Map<string, ECSClient>();

  constructor(private readonly opts: EcsDriverOptions) {}

  /** The SDK module, imported once on first use. */
  load(): Promise<Sdk> {
    this.sdk ??= import("@aws-sdk/client-ecs");
    return this.sdk;
  }

  private async call<R>(
    t: ActionTarget,
    f: (sdk: Sdk, c: ECSClient, ref: { cluster: string; service: string }) => Promise<R>,
    states: { from?: ObservedState } = {},
  ): Promise<R> {
    const ref = serviceRef(t.providerId!);
    try {
      const sdk = await this.load();
      const region = ref.region || t.region || this.opts.region;
      let c = this.clients.get(region ?? "");
      if (!c) {
        // One attempt per call: the batch layer owns retries (as for EC2).
        c = new sdk.ECSClient({ maxAttempts: 1, ...(region ? { region } : {}) });
        this.clients.set(region ?? "", c);
      }
      return await f(sdk, c, ref);
    } catch (err) {
      throw classifyEcsError(err, label(t), states);
    }
  }

  async describe(t: ActionTarget): Promise<SeenService> {
    const out = await this.call(t, (sdk, c, ref) => c.send(new sdk.DescribeServicesCommand({ cluster: ref.cluster, services: [t.providerId!] })));
    const service = out.services?.find((s) => s.serviceArn === t.providerId);
    return { service, state: fromEcsService(service) };
  }

  async state(t: ActionTarget): Promise<MachineState> {
    return (await this.describe(t)).state;
  }

  start(t: ActionTarget): Promise<ActionResult> {
    return this.scale(t, "start", 1);
  }

  stop(t: ActionTarget, force = false): Promise<ActionResult> {
    return this.scale(t, "stop", 0, force ? "ECS has no forced stop: the task gets SIGTERM, then SIGKILL after its stop timeout (30 s by default)" : undefined);
  }

  shutdown(t: ActionTarget): Promise<ActionResult> {
    return this.scale(t, "shutdown", 0);
  }

  async hibernate(t: ActionTarget): Promise<ActionResult> {
    const { state } = await this.describe(t);
    throw new ActionError("invalid-state", `${label(t)} runs on ECS: a task keeps no memory, so it cannot hibernate; use stop, which scales the service to 0`, {
      from: state,
    });
  }

  async reboot(t: ActionTarget): Promise<ActionResult> {
    const { state } = await this.present(t, "reboot");
    if (state !== "running") throw new ActionError("invalid-state", `${label(t)} is ${state}: nothing to reboot (use start)`, { from: state });
    await this.call(t, (sdk, c, ref) => c.send(new sdk.UpdateServiceCommand({ cluster: ref.cluster, service: t.providerId!, forceNewDeployment: true })), {
      from: state,
    });
    const after = await this.wait(t, (s) => s.state === "running" && (s.service?.deployments?.length ?? 0) <= 1);
    return {
      ...base(t, "reboot"),
      outcome: "done",
      from: state,
      to: after.state,
      fallback: "ECS restarts a task by replacing it: a new task started from the image (the old one's memory and storage are gone)",
    };
  }

  async snapshot(t: ActionTarget): Promise<ActionResult & { imageId: string }> {
    const { service, state } = await this.describe(t);
    throw new ActionError("other", snapshotRefusal(service, label(t)), { from: state });
  }

  async terminate(t: ActionTarget): Promise<ActionResult> {
    const { state } = await this.describe(t);
    if (state === "terminated") return { ...base(t, "terminate"), outcome: "no-op", from: state, to: "terminated" };
    // force: ECS scales the service to 0 and deletes it in one call.
    await this.call(t, (sdk, c, ref) => c.send(new sdk.DeleteServiceCommand({ cluster: ref.cluster, service: t.providerId!, force: true })), { from: state });
    const after = await this.wait(t, (s) => s.state === "terminated");
    return { ...base(t, "terminate"), outcome: "done", from: state, to: after.state };
  }

  private async present(t: ActionTarget, action: SessionActionName): Promise<SeenService> {
    const seen = await this.describe(t);
    if (seen.state === "terminated")
      throw new ActionError("not-found", `ECS service ${t.providerId} of ${label(t)} does not exist (deleted outside formations?): cannot ${action} it`, {
        from: "terminated",
      });
    return seen;
  }

  /** Sets the desired count (nothing is sent when it already is that), then waits for the tasks to follow, bounded. */
  private async scale(t: ActionTarget, action: "start" | "stop" | "shutdown", count: 0 | 1, fallback?: string): Promise<ActionResult> {
    const { service, state } = await this.present(t, action);
    const target: MachineState = count === 1 ? "running" : "stopped";
    if ((service?.desiredCount ?? 0) === count && state === target)
      return { ...base(t, action), outcome: "no-op", from: state, to: state, ...(fallback ? { fallback } : {}) };
    if ((service?.desiredCount ?? 0) !== count) {
      await this.call(t, (sdk, c, ref) => c.send(new sdk.UpdateServiceCommand({ cluster: ref.cluster, service: t.providerId!, desiredCount: count })), {
        from: state,
      });
    }
    const after = await this.wait(t, (s) => s.state === target);
    return { ...base(t, action), outcome: "done", from: state, to: after.state, ...(fallback ? { fallback } : {}) };
  }

  private async wait(t: ActionTarget, done: (s: SeenService) => boolean): Promise<SeenService> {
    const { value } = await pollUntil(() => this.describe(t), done, Date.now() + this.opts.waitMs, this.opts.pollMs);
    return value;
  }
}

const base = (t: ActionTarget, action: ActionResult["action"]) => ({ session: t.session, machine: t.machine, action });

const NOT_FOUND = new Set(["ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException"]);
const THROTTLING = new Set(["ThrottlingException", "TooManyRequestsException", "Throttling"]);

/** ECS's errors as ActionErrors; the rest as EC2's are (connections, credentials, region). */
export function classifyEcsError(err: unknown, what: string, states: { from?: ObservedState } = {}): ActionError {
  if (err instanceof ActionError) return err;
  const e = (typeof err === "object" && err !== null ? err : {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? "";
  const msg = (e.message ?? String(err)).replace(/\s+/g, " ").trim();
  if (NOT_FOUND.has(name))
    return new ActionError(
      "not-found",
      `ECS service of ${what} does not exist (deleted outside formations?): ${msg}`,
      { from: "terminated", to: "terminated" },
      { cause: err },
    );
  if (THROTTLING.has(name) || e.$metadata?.httpStatusCode === 429)
    return new ActionError("throttled", `ECS is throttling requests (${name || 429}) while acting on ${what}`, states, { cause: err });
  if (name === "ServerException")
    return new ActionError("transient", `ECS had a passing failure (ServerException) while acting on ${what}`, states, { cause: err });
  if (name === "AccessDeniedException")
    return new ActionError("other", `ECS denied it for ${what} (AccessDeniedException): the credentials lack the permission`, states, { cause: err });
  if (name === "ClientException" || name === "InvalidParameterException")
    return new ActionError("other", `ECS refused it for ${what}: ${msg}`, states, { cause: err });
  // Connections, credentials and the region fail as they do for EC2; the message names ECS.
  const e2 = classifyAwsError(err, what, states);
  return new ActionError(e2.kind, e2.message.replace(/\bEC2\b/g, "ECS"), { from: e2.from, to: e2.to }, { cause: err });
}
