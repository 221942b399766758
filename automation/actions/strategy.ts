/**
 * How each action reaches each machine. Declarative where the provider's Pulumi resource holds
 * the power state (EC2 InstanceState, GCE desiredStatus, OpenStack powerState): the session's
 * desired state changes and `up` converges, so the engine's state never disagrees with the
 * cloud. Through the provider's API (a driver) where it cannot: reboot everywhere, EC2 hibernate,
 * every Azure power action, every Docker action, forced variants, snapshots and terminations.
 * Also: what to refuse before any call (hibernate where the machine cannot).
 */
import type { Provider } from "../../format/types.js";
import type { PlannedMachine } from "../../plan/types.js";
import type { SessionMachine } from "./targets.js";
import type { ActionName } from "./types.js";

export type Path = "declarative" | "driver";

/** Actions each provider's Pulumi resources can hold as a desired state (without --force). */
const DECLARATIVE: Readonly<Record<Provider, ReadonlySet<ActionName>>> = {
  aws: new Set(["start", "stop", "shutdown"]), // InstanceState knows running and stopped; hibernate is an API call
  gcp: new Set(["start", "stop", "shutdown", "hibernate"]), // desiredStatus RUNNING / TERMINATED / SUSPENDED
  openstack: new Set(["start", "stop", "shutdown", "hibernate"]), // powerState active / shutoff / shelved_offloaded
  // @pulumi/docker has no pause and `up` does not stop a running container: Docker's API does it all.
  docker: new Set(),
  azure: new Set(), // no declarative power state on Azure VMs (components/azure/README.md)
};

/** The path for one machine. */
export function pathFor(provider: Provider, action: ActionName, m: SessionMachine, force: boolean): Path {
  // A machine removed outside formations comes back by `up` recreating it: no API can start it.
  if (action === "start" && m.recorded === "terminated") return "declarative";
  if (force) return "driver";
  // A one-time spot machine cannot be stopped: the driver images it and terminates it instead.
  if (m.oneTimeSpot && action !== "start") return "driver";
  return DECLARATIVE[provider].has(action) ? "declarative" : "driver";
}

/** What the provider does instead of a real hibernate on the declarative path, reported with each result. */
export function declarativeFallback(provider: Provider, action: ActionName): string | undefined {
  if (provider === "openstack" && action === "hibernate") {
    return "OpenStack has no hibernation: the server was shelved (the OS shut down and memory was not kept; start boots it again)";
  }
  return undefined;
}

/**
 * Why `hibernate` cannot be asked of this machine, checked before any call; undefined when it can.
 * Docker pauses (always possible); OpenStack shelves (reported as a fallback); the clouds need
 * hibernation enabled at launch, which the plan knows, and GCE cannot suspend spot or GPU machines.
 */
export function hibernateRefusal(provider: Provider, m: Pick<SessionMachine, "planned">): string | undefined {
  const p = m.planned;
  if (provider === "docker" || provider === "openstack") return undefined;
  if (!p.hibernation) {
    const why = p.image.os === "windows" ? "its image is Windows" : `${p.instanceType} does not support it on ${provider}`;
    return `${p.name} was not launched with hibernation (${why})`;
  }
  if (provider === "gcp" && (p.spot || p.gpus)) return `${p.name} cannot be suspended on GCE (${p.spot ? "spot VM" : "it has GPUs"})`;
  return undefined;
}

/**
 * Why the declarative path cannot take this machine from its recorded state, before any update:
 * GCE suspends only a running instance (a stopped one has no memory to keep). OpenStack shelves
 * a stopped server as well as a running one.
 */
export function declarativeRefusal(provider: Provider, action: ActionName, m: SessionMachine): string | undefined {
  if (provider === "gcp" && action === "hibernate" && m.recorded === "stopped") {
    return `${m.planned.name} is stopped: there is no memory to keep, so nothing to suspend (start it first, or leave it stopped)`;
  }
  return undefined;
}

/**
 * What a machine can never be asked, whatever its state, with the reason: every action of a node
 * the managed big-data service runs itself, and hibernate where it was not enabled at launch.
 * `show` reports it so a console can disable the action and say why before anyone clicks.
 */
export function refusals(provider: Provider, planned: PlannedMachine): Partial<Record<ActionName, string>> {
  if (planned.managedBy) {
    const why = `${planned.name} is a node of the managed big-data service, which starts and stops it itself: act on the other machines, or destroy the session`;
    return Object.fromEntries((["start", "stop", "hibernate", "reboot", "shutdown", "snapshot", "terminate"] as const).map((a) => [a, why]));
  }
  const hibernate = hibernateRefusal(provider, { planned });
  return hibernate ? { hibernate } : {};
}
