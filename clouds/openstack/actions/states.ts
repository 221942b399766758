/**
 * Nova's server statuses, normalised. Pure: no calls.
 */
import { ActionError, type MachineState } from "../../../automation/actions/types.js";
import type { NovaServer } from "./nova.js";

/** Statuses of the compute API's server object, plus `MISSING` for a server Nova does not know. */
export type NovaStatus =
  | "ACTIVE"
  | "BUILD"
  | "DELETED"
  | "ERROR"
  | "HARD_REBOOT"
  | "MIGRATING"
  | "PASSWORD"
  | "PAUSED"
  | "REBOOT"
  | "REBUILD"
  | "RESCUE"
  | "RESIZE"
  | "REVERT_RESIZE"
  | "SHELVED"
  | "SHELVED_OFFLOADED"
  | "SHUTOFF"
  | "SOFT_DELETED"
  | "SUSPENDED"
  | "UNKNOWN"
  | "VERIFY_RESIZE"
  | "MISSING";

/**
 * Nova's status, normalised. Shelved servers are `hibernated`: shelving is OpenStack's closest to
 * hibernation (the OS is shut down, memory is not kept, the hypervisor is freed, start boots it
 * again). SUSPENDED (memory saved to disk) and PAUSED (memory kept in place) are hibernated too:
 * both resume where they left off. ERROR is not a state an action can start from: it throws
 * with Nova's fault message, which says why.
 */
export function fromNovaStatus(status: string | undefined, fault?: NovaServer["fault"], what = "the server"): MachineState {
  const problem = novaProblem(status, fault, what);
  if (problem) throw problem;
  switch (status as NovaStatus | undefined) {
    case "ACTIVE":
    case "PASSWORD":
    case "RESCUE":
      return "running";
    case "SHUTOFF":
      return "stopped";
    case "SHELVED":
    case "SHELVED_OFFLOADED":
    case "SUSPENDED":
    case "PAUSED":
      return "hibernated";
    case "BUILD":
    case "REBOOT":
    case "HARD_REBOOT":
    case "RESIZE":
    case "VERIFY_RESIZE":
    case "REVERT_RESIZE":
    case "MIGRATING":
    case "REBUILD":
      return "pending";
    case "DELETED":
    case "SOFT_DELETED":
    case "MISSING":
    case undefined:
      return "terminated";
    default:
      throw new Error(`unknown Nova server status '${status}'`);
  }
}

/** Why no action but a delete can start from this status (ERROR with Nova's fault, UNKNOWN), or undefined. */
export function novaProblem(status: string | undefined, fault: NovaServer["fault"] | undefined, what: string): ActionError | undefined {
  if (status === "ERROR") {
    const why = fault?.message ? `: ${fault.message.replace(/\s+/g, " ").trim()}` : " (Nova gives no fault message)";
    return new ActionError("other", `${what} is in ERROR${why}: fix the cause, then terminate it or run up again`, { from: "unknown" });
  }
  if (status === "UNKNOWN")
    return new ActionError("transient", `Nova has lost touch with the host of ${what} (status UNKNOWN): try again later`, { from: "unknown" });
  return undefined;
}

/** Statuses a server passes through on its own. */
const MOVING: ReadonlySet<string> = new Set(["BUILD", "REBOOT", "HARD_REBOOT", "RESIZE", "REVERT_RESIZE", "MIGRATING", "REBUILD"]);

/** Whether Nova is still working on the server (a moving status, or a task under way): an action waits first. */
export function isBusy(s: NovaServer): boolean {
  return MOVING.has(s.status ?? "") || Boolean(s["OS-EXT-STS:task_state"]);
}

/** The server's state for a result: `unknown` for ERROR and UNKNOWN, which have no place among the states. */
export function observed(s: NovaServer | undefined): MachineState | "unknown" {
  if (s?.status === "ERROR" || s?.status === "UNKNOWN") return "unknown";
  return fromNovaStatus(s?.status);
}
