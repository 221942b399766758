/**
 * The AWS driver: every lifecycle action on EC2 instances, by instance id, through the AWS SDK v3
 * (loaded on first use); a target whose providerId is an ECS service ARN (a Docker formation on
 * ECS) goes to the ECS driver (ecs.ts) instead. Each action reads the instance first and sends nothing when it already is
 * where the action leads; after a state change it waits, within a bound, for EC2 to report the
 * target state, and otherwise returns the state it saw on the way (e.g. `pending` while stopping).
 *
 * EC2 specifics: force stop is `Force` + `SkipOsShutdown` (no graceful OS shutdown, and a stuck
 * stop is forced through); hibernate is StopInstances with `Hibernate`, refused before any call
 * when the instance was not launched with hibernation, and reported as a fallback when EC2 stopped
 * it instead; a snapshot is an AMI made without reboot; a one-time spot instance, which EC2 never
 * lets anyone stop, is imaged and then terminated by `stop` and `shutdown`.
 */
import type { EC2Client } from "@aws-sdk/client-ec2";
import { CRASH_CONSISTENT, createImage, Ec2Api, instanceId, label, pollUntil, type Sdk, type Seen } from "./ec2.js";
import { stamp } from "../../../automation/actions/rest.js";
import { EcsDriver, isEcsService } from "./ecs.js";
import {
  ActionError,
  type ActionDriver,
  type ActionName,
  type ActionResult,
  type ActionTarget,
  type MachineState,
  type SessionActionName,
} from "../../../automation/actions/types.js";

/** Options of the AWS driver. */
export interface AwsDriverOptions {
  /** Region for targets that carry none; default: the SDK's own (AWS_REGION, then the profile). */
  region?: string;
  /** Between two state reads while waiting, in ms; default 5 000 (tests pass 0). */
  pollMs?: number;
  /** How long one wait for a state lasts before the action returns what it saw, in ms; default 120 000 (within batch.ts's 300 s per target). */
  waitMs?: number;
  /** Clock for default snapshot names (tests pass a fixed one). */
  now?: () => Date;
}

/** What one mutating call returns besides the state: an image made on the way, or a fallback learnt while acting. */
interface Extra {
  imageId?: string;
  fallback?: string;
}

/** What to do, decided from the instance as read before acting. */
type Step =
  | { kind: "no-op" }
  | { kind: "fail"; error: ActionError }
  | {
      kind: "run";
      run: (sdk: Sdk, c: EC2Client, id: string) => Promise<Extra | void>;
      /** The state to wait for after the call; without it the action reads once and returns. */
      settled?: (s: Seen) => boolean;
      /** Known before acting: what EC2 does instead of what was asked. */
      fallback?: string;
      /** Read after acting: a fallback EC2 took on its own. */
      explain?: (after: Seen) => string | undefined;
    };

/** Raw states of an instance that is gone or going: nothing but terminate applies. */
const GONE = new Set(["shutting-down", "terminated", "missing"]);

export class AwsDriver implements ActionDriver {
  readonly provider = "aws" as const;
  /** The EC2 calls (exposed for tests and for the session layer's listing). */
  readonly api: Ec2Api;
  private readonly pollMs: number;
  private readonly waitMs: number;

  constructor(private readonly opts: AwsDriverOptions = {}) {
    this.api = new Ec2Api(opts.region);
    this.pollMs = opts.pollMs ?? 5_000;
    this.waitMs = opts.waitMs ?? 120_000;
  }

  /** The driver of machines that are ECS services (a Docker formation's `spec.ecs`); its SDK loads on its first call. */
  private ecsDriver?: EcsDriver;

  /** The ECS driver when the target is an ECS service (its providerId is the service ARN), else undefined. */
  private ecs(t: ActionTarget): EcsDriver | undefined {
    if (!isEcsService(t)) return undefined;
    return (this.ecsDriver ??= new EcsDriver({ ...(this.opts.region ? { region: this.opts.region } : {}), pollMs: this.pollMs, waitMs: this.waitMs }));
  }

  async state(t: ActionTarget): Promise<MachineState> {
    const ecs = this.ecs(t);
    if (ecs) return ecs.state(t);
    return (await this.api.describe(t)).state;
  }

  start(t: ActionTarget): Promise<ActionResult> {
    const ecs = this.ecs(t);
    if (ecs) return ecs.start(t);
    return this.act(t, "start", (s) => {
      if (s.raw === "running" || s.raw === "pending") return { kind: "no-op" };
      if (s.raw === "stopping") return busy(t, s);
      // A hibernated instance resumes where it left off: StartInstances is the same call.
      return { kind: "run", run: (sdk, c, id) => sent(c.send(new sdk.StartInstancesCommand({ InstanceIds: [id] }))), settled: (a) => a.raw === "running" };
    });
  }

  stop(t: ActionTarget, force = false): Promise<ActionResult> {
    const ecs = this.ecs(t);
    if (ecs) return ecs.stop(t, force);
    return this.halt(t, "stop", force);
  }

  /** A graceful OS shutdown that leaves the instance stopped: EC2's plain stop. */
  shutdown(t: ActionTarget): Promise<ActionResult> {
    const ecs = this.ecs(t);
    if (ecs) return ecs.shutdown(t);
    return this.halt(t, "shutdown", false);
  }

  async hibernate(t: ActionTarget, force = false): Promise<ActionResult> {
    const ecs = this.ecs(t);
    if (ecs) return ecs.hibernate(t);
    // Honest before any call: the plan knows whether hibernation was enabled at launch.
    if (t.hibernation === false) throw cannotHibernate(t, "it was not launched with hibernation (its type, image or root volume does not allow it)");
    return this.act(
      t,
      "hibernate",
      async (s) => {
        if (s.state === "hibernated") return { kind: "no-op" };
        if (!s.instance?.HibernationOptions?.Configured)
          return { kind: "fail", error: cannotHibernate(t, "EC2 says hibernation was not enabled when it was launched", s.state) };
        if (s.raw === "stopping") return busy(t, s);
        if (s.raw === "stopped")
          return {
            kind: "fail",
            error: new ActionError("invalid-state", `${label(t)} is stopped: there is no memory to keep (start it first, or leave it stopped)`, {
              from: s.state,
            }),
          };
        if (await this.api.oneTimeSpot(t, s.instance, s.state))
          return {
            kind: "fail",
            error: cannotHibernate(
              t,
              "it is a one-time spot instance, which EC2 never stops; terminate it, or stop (which images it, then terminates it)",
              s.state,
            ),
          };
        return {
          kind: "run",
          run: (sdk, c, id) => sent(c.send(new sdk.StopInstancesCommand({ InstanceIds: [id], Hibernate: true }))),
          settled: (a) => a.raw === "stopped",
          ...(force ? { fallback: "EC2 has no forced hibernation: hibernated as without --force" } : {}),
          // EC2 falls back to a plain stop when the guest cannot hibernate (e.g. still booting): say so.
          explain: (a) =>
            a.raw === "stopped" && a.state !== "hibernated" ? "EC2 could not hibernate it and stopped it instead: its memory was not kept" : undefined,
        };
      },
      true,
    );
  }

  reboot(t: ActionTarget, force = false): Promise<ActionResult> {
    const ecs = this.ecs(t);
    if (ecs) return ecs.reboot(t);
    return this.act(
      t,
      "reboot",
      (s) => {
        if (s.raw !== "running")
          return { kind: "fail", error: new ActionError("invalid-state", `${label(t)} is ${s.state}: nothing to reboot (use start)`, { from: s.state }) };
        return {
          kind: "run",
          run: (sdk, c, id) => sent(c.send(new sdk.RebootInstancesCommand({ InstanceIds: [id] }))),
          ...(force ? { fallback: "EC2 has no hard reset: rebooted gracefully (EC2 forces it if the OS has not shut down within a few minutes)" } : {}),
        };
      },
      true,
    );
  }

  async snapshot(t: ActionTarget, name?: string): Promise<ActionResult & { imageId: string }> {
    const ecs = this.ecs(t);
    if (ecs) return ecs.snapshot(t);
    const s = await this.api.describe(t);
    if (GONE.has(s.raw)) throw gone(t, s, "nothing to snapshot");
    const imageId = await this.api.call(t, (sdk, c) => createImage(sdk, c, t, instanceId(t), this.imageName(t, name)), { from: s.state });
    return { ...base(t, "snapshot"), outcome: "done", from: s.state, to: s.state, imageId, ...(s.raw === "running" ? { fallback: CRASH_CONSISTENT } : {}) };
  }

  terminate(t: ActionTarget): Promise<ActionResult> {
    const ecs = this.ecs(t);
    if (ecs) return ecs.terminate(t);
    // Root volumes go with the instance (DeleteOnTermination); shared storage is never an instance's volume.
    return this.act(t, "terminate", async (s) => {
      // A persistent spot request whose instance is terminated launches a new one: cancel it first.
      const request = await this.api.spotRequest(t, s.instance, s.state);
      const open = request?.Type === "persistent" && !["cancelled", "closed"].includes(request.State ?? "");
      const cancel = open ? request.SpotInstanceRequestId : undefined;
      return {
        kind: "run",
        run: async (sdk, c, id) => {
          if (cancel) await c.send(new sdk.CancelSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [cancel] }));
          await c.send(new sdk.TerminateInstancesCommand({ InstanceIds: [id] }));
        },
        settled: (a) => a.state === "terminated" || GONE.has(a.raw),
      };
    });
  }

  retryable(error: unknown): boolean {
    return error instanceof ActionError && (error.kind === "throttled" || error.kind === "transient");
  }

  /** stop and shutdown: a plain (or forced) stop, or image-then-terminate for a one-time spot instance. */
  private halt(t: ActionTarget, action: "stop" | "shutdown", force: boolean): Promise<ActionResult> {
    return this.act(
      t,
      action,
      async (s) => {
        if (s.raw === "stopped") return { kind: "no-op" };
        // Already on its way; --force is what gets a stop stuck in `stopping` through.
        if (s.raw === "stopping" && !force) return { kind: "no-op" };
        if (await this.api.oneTimeSpot(t, s.instance, s.state)) return this.retire(t, s);
        const input = { InstanceIds: [instanceId(t)], ...(force ? { Force: true, SkipOsShutdown: true } : {}) };
        return { kind: "run", run: (sdk, c) => sent(c.send(new sdk.StopInstancesCommand(input))), settled: (a) => a.raw === "stopped" };
      },
      true,
    );
  }

  /**
   * A one-time spot instance cannot be stopped, and must not be left running: image it (no reboot),
   * wait within the bound until EC2 has started the image's snapshots (their data is then fixed at
   * that point in time), then terminate it. The result names the image and says what happened.
   */
  private retire(t: ActionTarget, s: Seen): Step {
    return {
      kind: "run",
      run: async (sdk, c, id) => {
        const imageId = await createImage(sdk, c, t, id, this.imageName(t));
        const snapshotted = await pollUntil(
          () => this.api.image(t, imageId),
          (img) => img?.State === "available" || (!!img?.BlockDeviceMappings?.length && img.BlockDeviceMappings.every((b) => !b.Ebs || !!b.Ebs.SnapshotId)),
          Date.now() + this.waitMs,
          this.pollMs,
        );
        await c.send(new sdk.TerminateInstancesCommand({ InstanceIds: [id] }));
        const caveat = snapshotted.reached ? "" : ` (EC2 had not started its snapshots within ${this.waitMs / 1000} s: check the image before relying on it)`;
        return {
          imageId,
          fallback: `a one-time spot instance cannot be stopped: imaged as ${imageId} (${s.raw === "running" ? "crash-consistent, " : ""}no reboot), then terminated${caveat}`,
        };
      },
      settled: (a) => a.state === "terminated" || GONE.has(a.raw),
    };
  }

  /** Read, decide, act, wait: the shape of every state-changing action. */
  private async act(t: ActionTarget, action: SessionActionName, decide: (s: Seen) => Step | Promise<Step>, settleFirst = false): Promise<ActionResult> {
    let seen = await this.api.describe(t);
    // A launching instance accepts neither stop nor hibernate nor reboot: let it finish first.
    if (settleFirst && seen.raw === "pending") seen = (await this.wait(t, (a) => a.raw !== "pending")).value;
    const from = seen.state;
    if (GONE.has(seen.raw)) {
      if (action === "terminate") return { ...base(t, action), outcome: "no-op", from, to: from };
      throw gone(t, seen, `cannot ${action} it`);
    }
    const step = await decide(seen);
    if (step.kind === "no-op") return { ...base(t, action), outcome: "no-op", from, to: from };
    if (step.kind === "fail") throw step.error;
    let extra: Extra | void;
    try {
      extra = await this.api.call(t, (sdk, c) => step.run(sdk, c, instanceId(t)), { from });
    } catch (err) {
      // A lost race (someone else got there first): if the instance is where we wanted it, nothing was needed.
      if (err instanceof ActionError && err.kind === "invalid-state" && step.settled) {
        const now = await this.api.describe(t).catch(() => undefined);
        if (now && step.settled(now)) return { ...base(t, action), outcome: "no-op", from, to: now.state };
      }
      throw err;
    }
    const after = step.settled ? (await this.wait(t, step.settled)).value : await this.api.describe(t);
    const fallback = extra?.fallback ?? step.fallback ?? step.explain?.(after);
    return {
      ...base(t, action),
      outcome: "done",
      from,
      to: after.state,
      ...(extra?.imageId ? { imageId: extra.imageId } : {}),
      ...(fallback ? { fallback } : {}),
    };
  }

  private wait(t: ActionTarget, done: (s: Seen) => boolean) {
    return pollUntil(() => this.api.describe(t), done, Date.now() + this.waitMs, this.pollMs);
  }

  private imageName(t: ActionTarget, name?: string): string {
    return name ?? `${t.session}-${t.machine}-${stamp((this.opts.now ?? (() => new Date()))())}`;
  }
}

/** Awaits a command and drops its output: the state is read afterwards, from EC2 itself. */
async function sent(call: Promise<unknown>): Promise<void> {
  await call;
}

const base = (t: ActionTarget, action: ActionName) => ({ session: t.session, machine: t.machine, action });
const busy = (t: ActionTarget, s: Seen): Step => ({
  kind: "fail",
  error: new ActionError("transient", `${label(t)} is ${s.raw}; try again when it settles`, { from: s.state }),
});
const gone = (t: ActionTarget, s: Seen, what: string) =>
  new ActionError("not-found", `EC2 instance ${t.providerId} of ${label(t)} is ${s.raw === "missing" ? "gone" : s.raw}: ${what}`, { from: s.state });
const cannotHibernate = (t: ActionTarget, why: string, from?: MachineState) =>
  new ActionError("invalid-state", `${label(t)} cannot hibernate: ${why}; use stop`, from ? { from } : {});
