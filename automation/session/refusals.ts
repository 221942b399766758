/**
 * What a machine can never be asked, whatever its state, and why: every action of a node the
 * managed big-data service runs itself, and hibernate where it was not enabled at launch (or the
 * cloud refuses it: GCE spot or GPU machines). From the plan and the cloud's facts alone, so
 * `show` can say it (a console disables the action and gives the reason before anyone clicks)
 * and the actions layer refuses with the same words (actions/strategy.ts).
 */
import { cloudOf } from "../../clouds/index.js";
import { managedNodeRefusal } from "../../plan/managed-service.js";
import type { Provider } from "../../format/types.js";
import type { PlannedMachine } from "../../plan/types.js";

/** The actions of one machine (the actions layer's ActionName). */
export type MachineAction = "start" | "stop" | "hibernate" | "reboot" | "shutdown" | "snapshot" | "terminate";

const ALL: readonly MachineAction[] = ["start", "stop", "hibernate", "reboot", "shutdown", "snapshot", "terminate"];

/** Why `hibernate` cannot be asked of this machine; undefined when it can. */
export function hibernationRefusal(provider: Provider, p: PlannedMachine): string | undefined {
  const actions = cloudOf(provider).actions;
  if (!actions.hibernationAtLaunch) return undefined;
  if (!p.hibernation) {
    // Plans recorded before the rules were named carry no reason: the generic one then.
    const why = p.hibernationRule ?? (p.image.os === "windows" ? "its image is Windows" : `${p.instanceType} does not support it on ${provider}`);
    return `${p.name} was not launched with hibernation (${why})`;
  }
  return actions.hibernateRefusal?.(p);
}

/** Every action this machine can never be asked, with the reason. */
export function refusals(provider: Provider, p: PlannedMachine): Partial<Record<MachineAction, string>> {
  if (p.managedBy) {
    const why = managedNodeRefusal(provider, p.name);
    return Object.fromEntries(ALL.map((a) => [a, why]));
  }
  const hibernate = hibernationRefusal(provider, p);
  return hibernate ? { hibernate } : {};
}
