/**
 * The OpenStack driver: lifecycle actions on Nova servers over the compute REST API
 * (nova.ts, Keystone in keystone.ts). Each action reads the server (a server Nova
 * is still working on is left to settle), does nothing when it already is where the action
 * leads, posts one server action, then reads again until Nova is done (bounded) and reports
 * what Nova says.
 *
 * Nova's vocabulary: start is os-start (unshelve, resume or unpause when the server is shelved,
 * suspended or paused); stop is os-stop (Nova has no forced stop: it powers the guest off after
 * its shutdown timeout); hibernate is shelve, OpenStack's closest (memory is not kept, and the
 * result says so); reboot is SOFT, force reboot HARD; snapshot is createImage (a Glance image).
 */
import type { Provider } from "../../../format/types.js";
import { imageIdOf, NovaApi, type NovaApiOptions, type NovaServer, type ServerAction } from "./nova.js";
import { fromNovaStatus, isBusy, novaProblem, observed } from "./states.js";
import { pollUntil, stamp, type WaitOptions } from "../../../automation/actions/rest.js";
import {
  ActionError,
  TARGET_STATE,
  type ActionDriver,
  type ActionResult,
  type ActionTarget,
  type MachineState,
  type ObservedState,
  type SessionActionName,
} from "../../../automation/actions/types.js";

export interface OpenStackDriverOptions extends NovaApiOptions {
  /** The provider whose machines these are: an OpenStack-based cloud (OVHcloud) drives Nova the same way; default openstack. */
  provider?: Provider;
  /** Region when the target names none; else the cloud's region_name / OS_REGION_NAME. */
  region?: string;
  /** How long an action waits for Nova to finish, in ms; default 240 000 (under the batch's 300 s per target). */
  waitMs?: number;
  /** Between two reads while waiting, in ms; default 2 000. */
  pollMs?: number;
  /** Clock for default image names (tests pass a fixed one). */
  now?: () => Date;
}

type Decision =
  | { kind: "no-op"; fallback?: string }
  | { kind: "fail"; error: ActionError }
  | { kind: "run"; body: ServerAction | "delete"; until: (s: NovaServer | undefined) => boolean; fallback?: string };

/** Said whenever hibernate shelves: the user asked for memory to be kept, and it is not. */
export const SHELVE_NOTE =
  "OpenStack cannot hibernate (keep memory): shelved instead, its closest (the OS shut down, the hypervisor freed, the disk kept; start unshelves and boots it)";

export class OpenStackDriver implements ActionDriver {
  readonly provider: Provider;
  readonly api: NovaApi;
  private readonly waitMs: number;
  private readonly pollMs: number;

  constructor(private readonly opts: OpenStackDriverOptions = {}) {
    this.provider = opts.provider ?? "openstack";
    this.api = new NovaApi(opts);
    this.waitMs = opts.waitMs ?? 240_000;
    this.pollMs = opts.pollMs ?? 2_000;
  }

  async state(t: ActionTarget): Promise<MachineState> {
    const { server } = await this.read(t);
    return fromNovaStatus(server?.status, server?.fault, `server ${name(t)}`);
  }

  start(t: ActionTarget): Promise<ActionResult> {
    return this.act(t, "start", (s, from) => {
      const to = { until: idleIn("ACTIVE") };
      switch (s.status) {
        case "ACTIVE":
          return { kind: "no-op" };
        case "SHUTOFF":
          return { kind: "run", body: { "os-start": null }, ...to };
        case "SHELVED":
        case "SHELVED_OFFLOADED":
          return { kind: "run", body: { unshelve: null }, ...to };
        case "SUSPENDED":
          return { kind: "run", body: { resume: null }, ...to };
        case "PAUSED":
          return { kind: "run", body: { unpause: null }, ...to };
        default:
          return invalid(`${name(t)} is ${s.status} (${from}): Nova cannot start it from there`, from);
      }
    });
  }

  stop(t: ActionTarget, force = false): Promise<ActionResult> {
    return this.halt(t, "stop", force);
  }

  /** A graceful stop: os-stop asks the guest to shut down first. */
  shutdown(t: ActionTarget): Promise<ActionResult> {
    return this.halt(t, "shutdown", false);
  }

  hibernate(t: ActionTarget, force = false): Promise<ActionResult> {
    return this.act(t, "hibernate", (s, from) => {
      if (from === "hibernated") return { kind: "no-op" };
      if (s.status !== "ACTIVE" && s.status !== "SHUTOFF") return invalid(`${name(t)} is ${s.status}: Nova cannot shelve it from there`, from);
      const fallback = force ? `${SHELVE_NOTE}; Nova has no forced shelve` : SHELVE_NOTE;
      return { kind: "run", body: { shelve: null }, until: idleIn("SHELVED", "SHELVED_OFFLOADED"), fallback };
    });
  }

  reboot(t: ActionTarget, force = false): Promise<ActionResult> {
    return this.act(t, "reboot", (s, from) => {
      if (s.status !== "ACTIVE") return invalid(`${name(t)} is ${from}: nothing to reboot (use start)`, from);
      return { kind: "run", body: { reboot: { type: force ? "HARD" : "SOFT" } }, until: idleIn("ACTIVE") };
    });
  }

  async snapshot(t: ActionTarget, imageName?: string): Promise<ActionResult & { imageId: string }> {
    const { id, server } = await this.read(t);
    if (!id || !server || observed(server) === "terminated") throw gone(t, "nothing to snapshot");
    const from = this.checked(t, server);
    const ref = imageName ?? `${name(t)}-${stamp((this.opts.now ?? (() => new Date()))())}`;
    const body: ServerAction = { createImage: { name: ref, metadata: { "formations-snapshot-of": `${t.session}/${t.machine}` } } };
    const res = await this.api.action(id, this.region(t), body, `server ${name(t)}`, from);
    const imageId = imageIdOf(res);
    if (!imageId) throw new ActionError("other", `Nova accepted the snapshot of ${name(t)} but named no image: look for '${ref}' in the image list`, { from });
    return { ...base(t, "snapshot"), outcome: "done", from, to: from, imageId };
  }

  terminate(t: ActionTarget): Promise<ActionResult> {
    return this.act(t, "terminate", () => ({ kind: "run", body: "delete", until: (s) => !s || observed(s) === "terminated" }));
  }

  retryable(error: unknown): boolean {
    return error instanceof ActionError && (error.kind === "throttled" || error.kind === "transient");
  }

  private halt(t: ActionTarget, action: "stop" | "shutdown", force: boolean): Promise<ActionResult> {
    return this.act(t, action, (s) => {
      if (s.status === "SHUTOFF") return { kind: "no-op" };
      // Shelved is already off, disk kept: unshelving it to stop it would boot it for nothing.
      if (s.status === "SHELVED" || s.status === "SHELVED_OFFLOADED")
        return { kind: "no-op", fallback: "already shelved (not running, disk kept): left shelved" };
      const fallback = force ? "Nova has no forced stop: os-stop (Nova powers the guest off when its shutdown timeout passes)" : undefined;
      return { kind: "run", body: { "os-stop": null }, until: idleIn("SHUTOFF"), ...(fallback ? { fallback } : {}) };
    });
  }

  /** Read, settle, decide, act, wait, read again: the shape of every state-changing action. */
  private async act(t: ActionTarget, action: SessionActionName, decide: (s: NovaServer, from: ObservedState) => Decision): Promise<ActionResult> {
    const region = this.region(t);
    const what = `server ${name(t)}`;
    const wait: WaitOptions = { deadline: Date.now() + this.waitMs, pollMs: this.pollMs };
    const { id, server: first } = await this.read(t);
    let s = first;
    const from0 = observed(s);
    if (id && s && isBusy(s)) s = await this.settle(t, id, wait, from0);
    if (!id || !s || observed(s) === "terminated") {
      if (action === "terminate") return { ...base(t, action), outcome: "no-op", from: from0, to: "terminated" };
      throw gone(t, `cannot ${action} it`);
    }
    // An errored server can only be deleted; anything else fails with Nova's reason.
    if (action !== "terminate") this.checked(t, s);
    const from = from0;
    // Decided on the settled server: a shelving that finished meanwhile makes hibernate a no-op.
    const d = decide(s, observed(s));
    if (d.kind === "no-op") return { ...base(t, action), outcome: "no-op", from, to: observed(s), ...(d.fallback ? { fallback: d.fallback } : {}) };
    if (d.kind === "fail") throw d.error;
    try {
      if (d.body === "delete") await this.api.delete(id, region, what, from);
      else await this.api.action(id, region, d.body, what, from);
    } catch (err) {
      // 409 after a lost race (someone else got there first): if the server is where we wanted it, nothing was needed.
      if (!(err instanceof ActionError && err.kind === "invalid-state")) throw err;
      const now = await this.state(t).catch(() => undefined);
      if (action !== "reboot" && now === TARGET_STATE[action]) return { ...base(t, action), outcome: "no-op", from, to: now };
      throw err;
    }
    // A server that goes to ERROR on the way fails the action at once (a delete goes on regardless).
    const failing = (v: NovaServer | undefined) => action !== "terminate" && (v?.status === "ERROR" || v?.status === "UNKNOWN");
    const { value, reached } = await pollUntil(
      () => this.api.server(id, region, what),
      (v) => d.until(v) || failing(v),
      wait,
    );
    const problem = failing(value) && value && novaProblem(value.status, value.fault, what);
    if (problem) throw new ActionError(problem.kind, problem.message, { from, to: "unknown" });
    // When the wait ran out with Nova still at work, the machine is on its way: pending.
    const to = !reached && value && isBusy(value) ? "pending" : observed(value);
    return { ...base(t, action), outcome: "done", from, to, ...(d.fallback ? { fallback: d.fallback } : {}) };
  }

  /** The normalised state of a server an action may start from; ERROR and UNKNOWN throw Nova's reason. */
  private checked(t: ActionTarget, s: NovaServer): MachineState {
    return fromNovaStatus(s.status, s.fault, `server ${name(t)}`);
  }

  private async settle(t: ActionTarget, id: string, wait: WaitOptions, from: ObservedState): Promise<NovaServer | undefined> {
    const { value, reached } = await pollUntil(
      () => this.api.server(id, this.region(t), `server ${name(t)}`),
      (v) => !v || !isBusy(v),
      wait,
    );
    if (!reached) {
      const doing = value?.["OS-EXT-STS:task_state"] ?? value?.status;
      throw new ActionError("timeout", `${name(t)} is still ${doing} after ${this.waitMs / 1000} s: try again when it settles`, { from });
    }
    return value;
  }

  /** The server a target names: its providerId (server id), else the one server with the adapter's name. */
  private async read(t: ActionTarget): Promise<{ id?: string; server?: NovaServer }> {
    const region = this.region(t);
    const id = t.providerId ?? (await this.api.findByName(name(t), region));
    if (!id) return {};
    return { id, server: await this.api.server(id, region, `server ${name(t)}`) };
  }

  private region(t: ActionTarget): string | undefined {
    return t.region ?? this.opts.region;
  }
}

/** The server name the OpenStack adapter gives a machine. */
const name = (t: ActionTarget) => `${t.session}-${t.machine}`;
const base = (t: ActionTarget, action: ActionResult["action"]) => ({ session: t.session, machine: t.machine, action });
const gone = (t: ActionTarget, what: string) =>
  new ActionError("not-found", `server ${name(t)} does not exist (deleted outside formations?): ${what}`, { from: "terminated" });
const invalid = (message: string, from: ObservedState): Decision => ({ kind: "fail", error: new ActionError("invalid-state", message, { from }) });
/** Nova is done with the server and it is in one of `statuses`. */
const idleIn =
  (...statuses: string[]) =>
  (s: NovaServer | undefined) =>
    !!s && statuses.includes(s.status ?? "") && !s["OS-EXT-STS:task_state"];
