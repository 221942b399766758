/**
 * GCE's instance statuses, normalised, and the facts about an instance that decide what an
 * action may do with it (spot, one-time spot, GPUs, local SSDs), plus machine-image names under
 * GCE's naming rules. Pure functions: no calls.
 */
import type { ActionTarget, MachineState } from "../../../automation/actions/types.js";
import type { GceInstance } from "./api.js";
import { stamp } from "../../../automation/actions/rest.js";

/** Statuses of `instances.get` (compute v1), plus `MISSING` for an instance GCE does not know. */
export type GceStatus =
  | "PROVISIONING"
  | "STAGING"
  | "PENDING"
  | "RUNNING"
  | "REPAIRING"
  | "PENDING_STOP"
  | "STOPPING"
  | "DEPROVISIONING"
  | "STOPPED"
  | "TERMINATED"
  | "SUSPENDING"
  | "SUSPENDED"
  | "MISSING";

/**
 * GCE's status, normalised. TERMINATED is GCE's word for a stopped instance (its disks are
 * kept); a spot instance GCE stopped to reclaim capacity is `interrupted` when the operation log
 * says so (`preempted`). Being repaired is on its way back, so `pending`.
 */
export function fromGceStatus(status: string | undefined, opts: { preempted?: boolean } = {}): MachineState {
  switch (status as GceStatus | undefined) {
    case "PROVISIONING":
    case "STAGING":
    case "PENDING":
    case "REPAIRING":
      return "pending";
    case "RUNNING":
      return "running";
    case "PENDING_STOP":
    case "STOPPING":
    case "DEPROVISIONING":
    case "STOPPED":
      return "stopped";
    case "TERMINATED":
      return opts.preempted ? "interrupted" : "stopped";
    case "SUSPENDING":
    case "SUSPENDED":
      return "hibernated";
    case "MISSING":
    case undefined:
      return "terminated";
    default:
      // A status a newer API may add: say so rather than guess.
      throw new Error(`unknown GCE instance status '${status}'`);
  }
}

/** Statuses an instance passes through on its own: an action waits for them to settle first. */
export const GCE_TRANSITIONAL: ReadonlySet<string> = new Set([
  "PROVISIONING",
  "STAGING",
  "PENDING",
  "REPAIRING",
  "PENDING_STOP",
  "STOPPING",
  "DEPROVISIONING",
  "SUSPENDING",
]);

/** Spot (or legacy preemptible) capacity. */
export function isSpot(inst: GceInstance): boolean {
  return inst.scheduling?.provisioningModel === "SPOT" || inst.scheduling?.preemptible === true;
}

/**
 * A spot VM GCE deletes when it reclaims it (`lifecycle.spotInterruption: terminate`): the
 * formation asked for a machine that is never kept stopped, so stopping it means keeping its
 * image and deleting it.
 */
export function isOneTimeSpot(inst: GceInstance): boolean {
  return isSpot(inst) && inst.scheduling?.instanceTerminationAction === "DELETE";
}

export function hasGpus(inst: GceInstance): boolean {
  return (inst.guestAccelerators ?? []).some((a) => (a.acceleratorCount ?? 0) > 0);
}

/** Local SSDs: stop and suspend must be told to discard them (`discardLocalSsd`), or GCE refuses. */
export function hasLocalSsd(inst: GceInstance): boolean {
  return (inst.disks ?? []).some((d) => d.type === "SCRATCH");
}

/** Why GCE cannot suspend this instance, or undefined when it can. */
export function cannotSuspend(inst: GceInstance): string | undefined {
  if (hasGpus(inst)) return "GCE cannot suspend a VM with GPUs";
  if (inst.confidentialInstanceConfig?.enableConfidentialCompute) return "GCE cannot suspend a Confidential VM";
  return undefined;
}

/** GCE resource names: a lowercase letter, then letters, digits and hyphens, at most 63, not ending in a hyphen. */
export const GCE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** `<session>-<machine>-<yyyymmddhhmmss>`, made a valid GCE name (the stamp is always kept). */
export function machineImageName(t: Pick<ActionTarget, "session" | "machine">, now: Date): string {
  const suffix = `-${stamp(now)}`;
  let prefix = `${t.session}-${t.machine}`.toLowerCase().replace(/[^-a-z0-9]/g, "-");
  if (!/^[a-z]/.test(prefix)) prefix = `f-${prefix}`;
  return `${prefix.slice(0, 63 - suffix.length)}${suffix}`.replace(/-+/g, "-");
}

/** The labels the driver's snapshot puts on every machine image it takes (the marks `images delete` checks). */
export const SNAPSHOT_LABELS = { session: "formations-session", machine: "formations-machine" } as const;

/** A label value under GCE's rules (lowercase letters, digits, _ and -, at most 63). */
export function labelValue(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "-")
    .slice(0, 63);
}
