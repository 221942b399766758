/**
 * How each action reaches each machine. Declarative where the cloud's Pulumi resource holds the
 * power state (EC2 InstanceState, GCE desiredStatus, OpenStack powerState): the session's desired
 * state changes and `up` converges, so the engine's state never disagrees with the cloud. Through
 * the cloud's API (a driver) where it cannot: reboot everywhere, forced variants, snapshots,
 * terminations and whatever the cloud's resources do not hold. Also: what to refuse before any
 * call (hibernate where the machine cannot). Each cloud states its part (clouds/cloud.ts `actions`).
 */
import type { Provider } from "../../format/types.js";
import { cloudOf } from "../../clouds/index.js";
import type { SessionMachine } from "./targets.js";
import type { ActionName } from "./types.js";

export type Path = "declarative" | "driver";

/** The path for one machine. */
export function pathFor(provider: Provider, action: ActionName, m: SessionMachine, force: boolean): Path {
  // A machine removed outside formations comes back by `up` recreating it: no API can start it.
  if (action === "start" && m.recorded === "terminated") return "declarative";
  if (force) return "driver";
  // A one-time spot machine cannot be stopped: the driver images it and terminates it instead.
  if (m.oneTimeSpot && action !== "start") return "driver";
  return cloudOf(provider).actions.declarative.has(action) ? "declarative" : "driver";
}

/** What the cloud does instead of the action on the declarative path, reported with each result. */
export function declarativeFallback(provider: Provider, action: ActionName): string | undefined {
  return cloudOf(provider).actions.declarativeFallback?.[action];
}

/**
 * Why `hibernate` cannot be asked of this machine, checked before any call; undefined when it can.
 * Where hibernation is enabled at launch the plan knows whether it was, and the cloud may refuse
 * more (GCE: spot or GPU machines); elsewhere the cloud does its closest (Docker pauses,
 * OpenStack shelves, reported as a fallback).
 */
export function hibernateRefusal(provider: Provider, m: SessionMachine): string | undefined {
  const actions = cloudOf(provider).actions;
  const p = m.planned;
  if (!actions.hibernationAtLaunch) return undefined;
  if (!p.hibernation) {
    const why = p.image.os === "windows" ? "its image is Windows" : `${p.instanceType} does not support it on ${provider}`;
    return `${p.name} was not launched with hibernation (${why})`;
  }
  return actions.hibernateRefusal?.(p);
}

/** Why the declarative path cannot take this machine from its recorded state, before any update. */
export function declarativeRefusal(provider: Provider, action: ActionName, m: SessionMachine): string | undefined {
  return cloudOf(provider).actions.declarativeRefusal?.(action, m);
}
