/**
 * The GCP driver: lifecycle actions on GCE instances over the Compute REST API (api.ts).
 * Each action reads the instance first (an instance between states is left to settle), does
 * nothing when it already is where the action leads, acts, waits for the zonal operation
 * (bounded), then reads the instance again so the result reports what GCE says.
 *
 * GCE's own vocabulary: hibernate is suspend; there is no forced stop (a plain stop is made and
 * the result says so); reboot is a stop then a start (GCE has no guest reboot call) and a forced
 * reboot is reset; a snapshot is a machine image; a spot VM GCE deletes when it reclaims it is
 * saved as a machine image and deleted when stopped, never left running.
 */
import { describe, GceApi, type GceApiOptions, type GceInstance, type GceOperation, type InstanceRef } from "./api.js";
import {
  cannotSuspend,
  fromGceStatus,
  GCE_NAME,
  GCE_TRANSITIONAL,
  hasLocalSsd,
  isOneTimeSpot,
  isSpot,
  labelValue,
  machineImageName,
  SNAPSHOT_LABELS,
} from "./states.js";
import { Dataproc, type DataprocOptions } from "./dataproc.js";
import { pollUntil, type WaitOptions } from "../../../automation/actions/rest.js";
import {
  ActionError,
  TARGET_STATE,
  type ActionDriver,
  type ActionResult,
  type ActionTarget,
  type MachineState,
  type SessionActionName,
} from "../../../automation/actions/types.js";

export interface GcpDriverOptions extends GceApiOptions {
  /** Project when the target names none; else GOOGLE_CLOUD_PROJECT / CLOUDSDK_CORE_PROJECT, else the credentials'. */
  project?: string;
  /** Zone when the target names none. */
  zone?: string;
  /** How long an action waits for GCE to finish, in ms; default 240 000 (under the batch's 300 s per target). */
  waitMs?: number;
  /** Between two reads while waiting, in ms; default 2 000. */
  pollMs?: number;
  /** Clock for default machine-image names (tests pass a fixed one). */
  now?: () => Date;
  /** The Dataproc API's root, wait and poll (the token source and project are shared). */
  dataproc?: Pick<DataprocOptions, "endpoint" | "waitMs" | "pollMs">;
}

type Verb = "start" | "stop" | "suspend" | "resume" | "reset" | "delete";
interface Step {
  verb: Verb;
  query?: Record<string, string>;
}
type Decision = { kind: "no-op" } | { kind: "fail"; error: ActionError } | { kind: "run"; steps: Step[]; fallback?: string };

export class GcpDriver implements ActionDriver {
  readonly provider = "gcp" as const;
  readonly api: GceApi;
  /** The session's Dataproc cluster, stopped and started as a whole. */
  readonly cluster: Dataproc;
  private readonly waitMs: number;
  private readonly pollMs: number;

  constructor(private readonly opts: GcpDriverOptions = {}) {
    this.api = new GceApi(opts);
    this.cluster = new Dataproc({ ...(opts.auth ? { auth: opts.auth } : {}), ...(opts.project ? { project: opts.project } : {}), ...opts.dataproc });
    this.waitMs = opts.waitMs ?? 240_000;
    this.pollMs = opts.pollMs ?? 2_000;
  }

  /**
   * The instance a target names: its providerId (`projects/P/zones/Z/instances/N`, a self-link,
   * or a bare name) completed by the target's and the driver's project and zone.
   */
  async ref(t: ActionTarget): Promise<InstanceRef> {
    const m = /(?:^|\/)projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(t.providerId ?? "");
    if (m) return { project: m[1]!, zone: m[2]!, name: m[3]! };
    const name = t.providerId ?? `${t.session}-${t.machine}`; // the name the GCP adapter gives it
    const zone = t.zone ?? this.opts.zone;
    if (!zone) throw new ActionError("other", `no zone for ${t.session}/${t.machine}: GCE instances are zonal (set cloud.zone in the formation)`);
    const env = process.env.GOOGLE_CLOUD_PROJECT ?? process.env.CLOUDSDK_CORE_PROJECT ?? process.env.GCLOUD_PROJECT;
    const project = t.project ?? this.opts.project ?? env ?? (await this.api.defaultProject());
    if (!project) throw new ActionError("other", `no project for ${t.session}/${t.machine}: set cloud.project in the formation, or GOOGLE_CLOUD_PROJECT`);
    return { project, zone, name };
  }

  async state(t: ActionTarget): Promise<MachineState> {
    const ref = await this.ref(t);
    return this.normalise(ref, await this.api.instance(ref));
  }

  start(t: ActionTarget): Promise<ActionResult> {
    return this.act(t, "start", (inst) => {
      if (inst.status === "RUNNING") return { kind: "no-op" };
      if (inst.status === "SUSPENDED") return run({ verb: "resume" });
      return run({ verb: "start" });
    });
  }

  stop(t: ActionTarget, force = false): Promise<ActionResult> {
    return this.halt(t, "stop", force);
  }

  /** A graceful stop: GCE sends the guest an ACPI shutdown before powering it off. */
  shutdown(t: ActionTarget): Promise<ActionResult> {
    return this.halt(t, "shutdown", false);
  }

  async hibernate(t: ActionTarget, force = false): Promise<ActionResult> {
    // Honest before any call: the plan knows whether hibernation was enabled at launch.
    if (t.hibernation === false) {
      throw new ActionError("invalid-state", `${t.session}/${t.machine} was not launched with hibernation (its size or image cannot suspend on GCE): use stop`);
    }
    return this.act(t, "hibernate", (inst, from) => {
      if (inst.status === "SUSPENDED") return { kind: "no-op" };
      if (inst.status !== "RUNNING")
        return invalid(`${t.session}/${t.machine} is ${from}: there is no memory to keep, so nothing to suspend (start it first, or leave it stopped)`, from);
      const why = cannotSuspend(inst);
      if (why) return invalid(`${t.session}/${t.machine}: ${why}: use stop`, from);
      const notes = [force ? "GCE has no forced suspend: suspended as without --force" : "", localSsdNote(inst)];
      return run({ verb: "suspend", ...discard(inst) }, notes);
    });
  }

  reboot(t: ActionTarget, force = false): Promise<ActionResult> {
    return this.act(t, "reboot", (inst, from) => {
      if (inst.status !== "RUNNING") return invalid(`${t.session}/${t.machine} is ${from}: nothing to reboot (use start)`, from);
      if (force) return run({ verb: "reset" });
      // GCE has no call that asks the guest to reboot: a clean reboot is a stop (ACPI shutdown) and a start.
      const notes = ["GCE has no graceful reboot call: stopped (clean shutdown) and started again; an ephemeral external IP may change", localSsdNote(inst)];
      return run([{ verb: "stop", ...discard(inst) }, { verb: "start" }], notes);
    });
  }

  async snapshot(t: ActionTarget, imageName?: string): Promise<ActionResult & { imageId: string }> {
    const ref = await this.ref(t);
    const inst = await this.api.instance(ref);
    if (!inst) throw gone(ref, "nothing to snapshot");
    const from = await this.normalise(ref, inst);
    const { imageId } = await this.machineImage(t, ref, from, imageName);
    return { ...base(t, "snapshot"), outcome: "done", from, to: from, imageId };
  }

  terminate(t: ActionTarget): Promise<ActionResult> {
    return this.act(t, "terminate", () => run({ verb: "delete" }));
  }

  retryable(error: unknown): boolean {
    return error instanceof ActionError && (error.kind === "throttled" || error.kind === "transient");
  }

  private halt(t: ActionTarget, action: "stop" | "shutdown", force: boolean): Promise<ActionResult> {
    return this.act(
      t,
      action,
      (inst) => {
        if (inst.status === "TERMINATED" || inst.status === "STOPPED") return { kind: "no-op" };
        const notes = [force ? "GCE has no forced stop: a plain stop (GCE powers the guest off if it does not shut down in time)" : "", localSsdNote(inst)];
        return run({ verb: "stop", ...discard(inst) }, notes);
      },
      // Checked on the settled instance: a one-time spot VM is imaged and deleted instead.
      (inst) => isOneTimeSpot(inst) && inst.status !== "TERMINATED" && inst.status !== "STOPPED",
    );
  }

  /** Read, settle, decide, act, wait, read again: the shape of every state-changing action. */
  private async act(
    t: ActionTarget,
    action: SessionActionName,
    decide: (inst: GceInstance, from: MachineState) => Decision,
    retire?: (inst: GceInstance) => boolean,
  ): Promise<ActionResult> {
    const ref = await this.ref(t);
    const wait: WaitOptions = { deadline: Date.now() + this.waitMs, pollMs: this.pollMs };
    let inst = await this.api.instance(ref);
    const from = await this.normalise(ref, inst);
    if (inst && GCE_TRANSITIONAL.has(inst.status ?? "")) inst = await this.settle(ref, inst, wait, from);
    if (!inst) {
      if (action === "terminate") return { ...base(t, action), outcome: "no-op", from, to: "terminated" };
      throw gone(ref, `cannot ${action} it`);
    }
    if (retire?.(inst)) return this.retire(t, ref, action, from, wait);
    const d = decide(inst, from);
    if (d.kind === "no-op") return { ...base(t, action), outcome: "no-op", from, to: await this.normalise(ref, inst) };
    if (d.kind === "fail") throw d.error;
    for (const [i, step] of d.steps.entries()) {
      let op: GceOperation;
      try {
        op = step.verb === "delete" ? await this.api.delete(ref, from) : await this.api.act(ref, step.verb, from, step.query);
      } catch (err) {
        // A lost race (someone else got there first): if the instance is where we wanted it, nothing was needed.
        if (!(err instanceof ActionError && err.kind === "invalid-state")) throw err;
        const now = await this.state(t).catch(() => undefined);
        if (action !== "reboot" && now === TARGET_STATE[action]) return { ...base(t, action), outcome: "no-op", from, to: now };
        throw err;
      }
      const { done } = await this.api.wait(op, ref, describe(ref), wait, from);
      if (!done && i < d.steps.length - 1) {
        throw new ActionError(
          "timeout",
          `${describe(ref)}: ${step.verb} did not finish within ${this.waitMs / 1000} s, so the next step was not taken: run it again`,
          { from, to: "pending" },
        );
      }
    }
    // When the wait ran out, this reports the state it is passing through.
    const to = await this.normalise(ref, await this.api.instance(ref));
    return { ...base(t, action), outcome: "done", from, to, ...(d.fallback ? { fallback: d.fallback } : {}) };
  }

  /** Waits for an instance between states to settle; undefined if it disappeared meanwhile. */
  private async settle(ref: InstanceRef, inst: GceInstance, wait: WaitOptions, from: MachineState): Promise<GceInstance | undefined> {
    const { value, reached } = await pollUntil(
      () => this.api.instance(ref),
      (i) => !i || !GCE_TRANSITIONAL.has(i.status ?? ""),
      wait,
    );
    if (!reached)
      throw new ActionError("timeout", `${describe(ref)} is still ${value?.status ?? inst.status} after ${this.waitMs / 1000} s: try again when it settles`, {
        from,
      });
    return value;
  }

  /** The one-time spot stop: a machine image first (waited for, so it is complete), then the delete. */
  private async retire(t: ActionTarget, ref: InstanceRef, action: SessionActionName, from: MachineState, wait: WaitOptions): Promise<ActionResult> {
    const { op, imageId } = await this.machineImage(t, ref, from);
    const made = await this.api.wait(op, { project: ref.project }, describe(ref), wait, from);
    if (!made.done) {
      throw new ActionError(
        "timeout",
        `${describe(ref)}: machine image ${imageId} was not ready within ${this.waitMs / 1000} s, so the spot VM was not deleted yet: run ${action} again`,
        { from },
      );
    }
    const del = await this.api.delete(ref, from);
    await this.api.wait(del, ref, describe(ref), wait, from);
    const to = await this.normalise(ref, await this.api.instance(ref));
    const fallback = `a spot VM GCE deletes when it reclaims it is never kept stopped: saved as machine image ${imageId}, then deleted (launch from that image to get it back)`;
    return { ...base(t, action), outcome: "done", from, to, imageId, fallback };
  }

  private async machineImage(t: ActionTarget, ref: InstanceRef, from: MachineState, imageName?: string): Promise<{ op: GceOperation; imageId: string }> {
    const name = imageName ?? machineImageName(t, (this.opts.now ?? (() => new Date()))());
    if (!GCE_NAME.test(name)) {
      throw new ActionError(
        "other",
        `'${name}' is not a valid GCE machine image name: use lowercase letters, digits and hyphens, starting with a letter, at most 63`,
        { from },
      );
    }
    const labels = { [SNAPSHOT_LABELS.session]: labelValue(t.session), [SNAPSHOT_LABELS.machine]: labelValue(t.machine) };
    const op = await this.api.insertMachineImage(ref, { name, description: `formations snapshot of ${t.session}/${t.machine}`, labels }, from);
    return { op, imageId: `projects/${ref.project}/global/machineImages/${name}` };
  }

  /** The normalised state; a stopped spot VM is looked up in the operation log to tell a reclaim apart. */
  private async normalise(ref: InstanceRef, inst: GceInstance | undefined): Promise<MachineState> {
    if (!inst) return "terminated";
    const preempted = inst.status === "TERMINATED" && isSpot(inst) ? await this.api.preemptedSinceStart(ref, inst) : false;
    return fromGceStatus(inst.status, { preempted });
  }
}

const base = (t: ActionTarget, action: ActionResult["action"]) => ({ session: t.session, machine: t.machine, action });
const gone = (ref: InstanceRef, what: string) =>
  new ActionError("not-found", `${describe(ref)} does not exist (deleted outside formations?): ${what}`, { from: "terminated" });
const invalid = (message: string, from: MachineState): Decision => ({ kind: "fail", error: new ActionError("invalid-state", message, { from }) });
const run = (steps: Step | Step[], notes: string[] = []): Decision => {
  const fallback = notes.filter(Boolean).join("; ");
  return { kind: "run", steps: Array.isArray(steps) ? steps : [steps], ...(fallback ? { fallback } : {}) };
};
/** GCE refuses to stop or suspend an instance with local SSDs unless told what to do with their data. */
const discard = (inst: GceInstance): { query?: Record<string, string> } => (hasLocalSsd(inst) ? { query: { discardLocalSsd: "true" } } : {});
const localSsdNote = (inst: GceInstance) => (hasLocalSsd(inst) ? "the local SSD contents were discarded (GCE keeps only persistent disks)" : "");
