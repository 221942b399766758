/** Docker's container states, in the actions' terms. Pure: no engine is called here. */
import type { MachineState } from "../../../plan/types.js";

/** Raw Docker container states (`State.Status` of `docker inspect`), plus `missing` for no container. */
export type DockerRawState = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead" | "missing";

/**
 * Docker's raw state, normalised. A paused container is `hibernated` (its memory is kept, it
 * resumes where it left off); `created` and `restarting` are on their way to running; `dead` is a
 * container that failed to stop cleanly and is as off as `exited`.
 */
export function fromDockerState(raw: string | undefined): MachineState {
  switch (raw as DockerRawState | undefined) {
    case "created":
    case "restarting":
      return "pending";
    case "running":
      return "running";
    case "paused":
      return "hibernated";
    case "exited":
    case "dead":
      return "stopped";
    case "removing":
    case "missing":
    case undefined:
      return "terminated";
    default:
      // A state newer engines may add: say so rather than pretend it is one we know.
      throw new Error(`unknown Docker container state '${raw}'`);
  }
}
