/**
 * The Azure driver: every lifecycle action on VMs, by VM resource id, through `@azure/arm-compute`
 * (loaded on first use). Each action reads the VM and its instance view first and sends nothing
 * when it already is where the action leads; state changes are Azure long-running operations,
 * waited for within a bound (past it, the action returns the state it reads, e.g. `pending`).
 *
 * Azure specifics, decided here:
 * - `stop` means DEALLOCATE: a VM that is only powered off (`PowerState/stopped`) keeps its compute
 *   reserved and billed, so stop and shutdown deallocate, and they do so even when the VM is
 *   already powered off (that is not a no-op: it still costs). Deallocation shuts the OS down
 *   gracefully first. Force stop powers off without the OS shutdown (`skipShutdown`), then
 *   deallocates, so a forced stop is never left billed either.
 * - `hibernate` is deallocate with `hibernate=true`, only on a VM created with
 *   `additionalCapabilities.hibernationEnabled` (refused before any mutating call otherwise), and
 *   reported as a fallback when Azure deallocated without hibernating.
 * - Azure has no forced hibernate and no hard reset: `--force` does the graceful one and says so.
 * - A snapshot is a gallery image version captured from the VM (see image.ts for why).
 */
import type { ComputeManagementClient } from "@azure/arm-compute";
import { AzureArm, label, type ArmOptions, type Poller, type Seen } from "./arm.js";
import { captureImage, DEFAULT_IMAGE_GROUP } from "./image.js";
import type { VmRef } from "./states.js";
import {
  ActionError,
  type ActionDriver,
  type ActionName,
  type ActionResult,
  type ActionTarget,
  type MachineState,
  type SessionActionName,
} from "../../../automation/actions/types.js";

/** Options of the Azure driver. */
export interface AzureDriverOptions extends ArmOptions {
  /** Interval of long-running operation polls, in ms; default 5 000 (Azure's Retry-After may ask for longer; tests pass 0). */
  pollMs?: number;
  /** How long one operation is waited for before the action returns what it reads, in ms; default 120 000 (within batch.ts's 300 s per target). */
  waitMs?: number;
  /** Resource group of the snapshot galleries; default `formations-images`. */
  imageResourceGroup?: string;
  /** Clock for snapshot version names (tests pass a fixed one). */
  now?: () => Date;
}

/** One long-running operation: starts it given the client, the VM and the poll interval. */
type Op = (c: ComputeManagementClient, ref: VmRef, poll: { updateIntervalInMs: number }) => Promise<Poller>;

/** What to do, decided from the VM as read before acting. */
type Step =
  { kind: "no-op" } | { kind: "fail"; error: ActionError } | { kind: "run"; ops: Op[]; fallback?: string; explain?: (after: Seen) => string | undefined };

const deallocate: Op = (c, r, p) => c.virtualMachines.beginDeallocate(r.resourceGroup, r.name, p);

export class AzureDriver implements ActionDriver {
  readonly provider = "azure" as const;
  /** The Azure calls (exposed for tests and for the session layer). */
  readonly arm: AzureArm;
  private readonly pollMs: number;
  private readonly waitMs: number;

  constructor(private readonly opts: AzureDriverOptions = {}) {
    this.arm = new AzureArm(opts);
    this.pollMs = opts.pollMs ?? 5_000;
    this.waitMs = opts.waitMs ?? 120_000;
  }

  async state(t: ActionTarget): Promise<MachineState> {
    return (await this.arm.read(t)).state;
  }

  start(t: ActionTarget): Promise<ActionResult> {
    return this.act(t, "start", (s) => {
      if (s.raw === "running" || s.raw === "starting" || s.raw === "creating") return { kind: "no-op" };
      if (s.raw === "stopping" || s.raw === "deallocating") return busy(t, s);
      // A hibernated VM resumes where it left off: the same start.
      return { kind: "run", ops: [(c, r, p) => c.virtualMachines.beginStart(r.resourceGroup, r.name, p)] };
    });
  }

  stop(t: ActionTarget, force = false): Promise<ActionResult> {
    return this.halt(t, "stop", force);
  }

  /** A graceful OS shutdown, then the compute released: Azure's deallocate (a guest-only shutdown would leave it billed). */
  shutdown(t: ActionTarget): Promise<ActionResult> {
    return this.halt(t, "shutdown", false);
  }

  async hibernate(t: ActionTarget, force = false): Promise<ActionResult> {
    // Honest before any call: the plan knows whether hibernation was enabled at launch.
    if (t.hibernation === false) throw cannotHibernate(t, "it was not created with hibernation enabled (its size, image or spot priority does not allow it)");
    return this.act(t, "hibernate", (s) => {
      if (s.raw === "hibernated") return { kind: "no-op" };
      if (!s.vm?.additionalCapabilities?.hibernationEnabled)
        return { kind: "fail", error: cannotHibernate(t, "Azure says hibernation is not enabled on this VM", s.state) };
      if (s.raw !== "running") {
        if (s.state === "pending") return busy(t, s);
        return {
          kind: "fail",
          error: new ActionError("invalid-state", `${label(t)} is ${s.state}: there is no memory to keep (start it first, or leave it stopped)`, {
            from: s.state,
          }),
        };
      }
      return {
        kind: "run",
        ops: [(c, r, p) => c.virtualMachines.beginDeallocate(r.resourceGroup, r.name, { ...p, hibernate: true })],
        ...(force ? { fallback: "Azure has no forced hibernation: hibernated as without --force" } : {}),
        // Azure deallocates anyway when the guest fails to hibernate (e.g. its extension is not ready): say so.
        explain: (a) =>
          a.raw === "deallocated" ? "Azure deallocated it without hibernating (the guest did not hibernate): its memory was not kept" : undefined,
      };
    });
  }

  reboot(t: ActionTarget, force = false): Promise<ActionResult> {
    return this.act(t, "reboot", (s) => {
      if (s.raw !== "running")
        return { kind: "fail", error: new ActionError("invalid-state", `${label(t)} is ${s.state}: nothing to reboot (use start)`, { from: s.state }) };
      return {
        kind: "run",
        ops: [(c, r, p) => c.virtualMachines.beginRestart(r.resourceGroup, r.name, p)],
        ...(force ? { fallback: "Azure has no hard reset for VMs: restarted gracefully" } : {}),
      };
    });
  }

  async snapshot(t: ActionTarget, name?: string): Promise<ActionResult & { imageId: string }> {
    const s = await this.arm.read(t);
    if (s.state === "terminated") throw gone(t, s, "nothing to snapshot");
    const now = (this.opts.now ?? (() => new Date()))();
    const resourceGroup = this.opts.imageResourceGroup ?? DEFAULT_IMAGE_GROUP;
    const imageId = await captureImage(this.arm, t, s, { resourceGroup, ...(name ? { name } : {}), now, waitMs: this.waitMs, pollMs: this.pollMs });
    const crash = s.raw === "running" || s.state === "pending";
    const fallback = crash ? "captured while running: the image is crash-consistent (stop the machine first for a clean one)" : undefined;
    return { ...base(t, "snapshot"), outcome: "done", from: s.state, to: s.state, imageId, ...(fallback ? { fallback } : {}) };
  }

  terminate(t: ActionTarget): Promise<ActionResult> {
    // The OS disk goes with the VM (the adapter sets deleteOption Delete); shared storage is not the VM's.
    return this.act(t, "terminate", () => ({ kind: "run", ops: [(c, r, p) => c.virtualMachines.beginDelete(r.resourceGroup, r.name, p)] }));
  }

  retryable(error: unknown): boolean {
    return error instanceof ActionError && (error.kind === "throttled" || error.kind === "transient");
  }

  private halt(t: ActionTarget, action: "stop" | "shutdown", force: boolean): Promise<ActionResult> {
    return this.act(t, action, (s) => {
      if (s.raw === "deallocated" || s.raw === "hibernated" || s.raw === "deallocating") return { kind: "no-op" };
      if (s.raw === "stopping") return busy(t, s);
      // Powered off already: no shutdown to skip, only the billing to end.
      if (s.raw === "stopped" || !force) return { kind: "run", ops: [deallocate] };
      return { kind: "run", ops: [(c, r, p) => c.virtualMachines.beginPowerOff(r.resourceGroup, r.name, { ...p, skipShutdown: true }), deallocate] };
    });
  }

  /** Read, decide, run the operations in order (each within the bound), read again. */
  private async act(t: ActionTarget, action: SessionActionName, decide: (s: Seen) => Step): Promise<ActionResult> {
    const seen = await this.arm.read(t);
    const from = seen.state;
    if (from === "terminated") {
      if (action === "terminate") return { ...base(t, action), outcome: "no-op", from, to: from };
      throw gone(t, seen, `cannot ${action} it`);
    }
    const step = decide(seen);
    if (step.kind === "no-op") return { ...base(t, action), outcome: "no-op", from, to: from };
    if (step.kind === "fail") throw step.error;
    const deadline = Date.now() + this.waitMs;
    for (const op of step.ops) {
      const finished = await this.arm.run(t, (c, r) => op(c, r, { updateIntervalInMs: this.pollMs }), Math.max(0, deadline - Date.now()), from);
      if (!finished) break; // past the bound: report what Azure says now, mid-way
    }
    const after = await this.arm.read(t);
    const fallback = step.fallback ?? step.explain?.(after);
    return { ...base(t, action), outcome: "done", from, to: after.state, ...(fallback ? { fallback } : {}) };
  }
}

const base = (t: ActionTarget, action: ActionName) => ({ session: t.session, machine: t.machine, action });
const busy = (t: ActionTarget, s: Seen): Step => ({
  kind: "fail",
  error: new ActionError("transient", `${label(t)} is ${s.raw}; try again when it settles`, { from: s.state }),
});
const gone = (t: ActionTarget, s: Seen, what: string) =>
  new ActionError("not-found", `Azure VM of ${label(t)} is ${s.raw === "missing" ? "gone" : s.raw}: ${what}`, { from: s.state });
const cannotHibernate = (t: ActionTarget, why: string, from?: MachineState) =>
  new ActionError("invalid-state", `${label(t)} cannot hibernate: ${why}; use stop`, from ? { from } : {});
