/**
 * Drift: what a refresh found about each machine, and what the session records about it, so
 * the next `up` respects what happened outside the engine (an idle alarm stopped a machine, a
 * console click deleted one) instead of silently restarting or recreating it. Pure: the state
 * before and after the refresh in, changes out.
 */
import type { PowerState } from "../../plan/types.js";
import type { StateResource } from "./engine.js";
import { withJournal, type JournalEntry, type SessionRecord } from "./session-record.js";

/** A machine's state as the provider reports it; `unknown` when its resource says nothing we understand. */
export type Observed = "running" | "stopped" | "hibernated" | "terminated" | "unknown";

/** Provider status words → our states (EC2 instanceState, GCE status, OpenStack powerState/status, Azure power states, Docker). */
const WORDS: Record<string, Observed> = {
  running: "running",
  pending: "running",
  active: "running",
  provisioning: "running",
  staging: "running",
  starting: "running",
  "vm running": "running",
  stopped: "stopped",
  stopping: "stopped",
  shutoff: "stopped",
  terminated: "terminated", // EC2: deleted; GCE's TERMINATED is a stopped instance (see observedState)
  "vm stopped": "stopped",
  "vm deallocated": "stopped",
  deallocated: "stopped",
  exited: "stopped",
  created: "stopped",
  hibernated: "hibernated",
  suspended: "hibernated",
  suspending: "hibernated",
  paused: "hibernated",
  shelved: "hibernated",
  shelved_offloaded: "hibernated",
  "shutting-down": "terminated",
  deleted: "terminated",
  soft_deleted: "terminated",
};

const FIELDS = ["instanceState", "state", "status", "currentStatus", "powerState", "vmState"];

/** What a machine's resource says about its power state. */
export function observedState(resource: StateResource | undefined): Observed {
  if (!resource) return "terminated";
  const out = resource.outputs ?? {};
  for (const f of FIELDS) {
    const v = out[f];
    const word =
      typeof v === "string"
        ? v
        : typeof v === "object" && v !== null && typeof (v as { status?: unknown }).status === "string"
          ? (v as { status: string }).status
          : undefined;
    const state = word ? WORDS[word.toLowerCase()] : undefined;
    if (state === "terminated" && resource.type.startsWith("gcp:")) return "stopped";
    if (state) return state;
  }
  return "unknown";
}

export interface MachineRef {
  name: string;
  /** The provider's id of the machine, from the session's `machines` output. */
  cloudId: string;
}

export interface DriftChange {
  machine: string;
  from: PowerState;
  /** The new desired state, or `removed` for a machine deleted outside the engine. */
  to: PowerState | "removed";
  observed: Observed;
  /** The machine's resources before the refresh (its own and its children), for `removed`. */
  urns: string[];
}

/** A resource and every resource parented (transitively) under it. */
function withChildren(root: StateResource, all: readonly StateResource[]): string[] {
  const urns = [root.urn];
  for (let i = 0; i < urns.length; i++) for (const r of all) if (r.parent === urns[i] && !urns.includes(r.urn)) urns.push(r.urn);
  return urns;
}

/** A machine's resource before the refresh, and after (undefined: gone). */
function resourcesOfMachine(m: MachineRef, before: readonly StateResource[], after: readonly StateResource[]): { was?: StateResource; now?: StateResource } {
  if (!m.cloudId) return {};
  const was = before.find((r) => r.custom !== false && r.id === m.cloudId);
  return was ? { was, now: after.find((r) => r.urn === was.urn && r.id === m.cloudId) } : {};
}

/**
 * Machines that still exist but whose refreshed resource says nothing about their power (a
 * Docker container's has no status): their state must be read from the provider itself.
 */
export function machinesSilentOnPower(machines: readonly MachineRef[], before: readonly StateResource[], after: readonly StateResource[]): string[] {
  return machines
    .filter((m) => {
      const { was, now } = resourcesOfMachine(m, before, after);
      return was !== undefined && now !== undefined && observedState(now) === "unknown";
    })
    .map((m) => m.name);
}

/**
 * Compares each machine's desired state with what the refreshed state shows, or, where the state
 * is silent, with what `live` read from the provider. Machines whose resource is unknown before
 * the refresh (never created, or managed by a big-data service) and machines whose state we
 * cannot read are left alone.
 */
export function detectDrift(
  machines: readonly MachineRef[],
  desired: Readonly<Record<string, PowerState>>,
  before: readonly StateResource[],
  after: readonly StateResource[],
  live: Readonly<Record<string, Observed>> = {},
): DriftChange[] {
  const changes: DriftChange[] = [];
  for (const m of machines) {
    const { was, now } = resourcesOfMachine(m, before, after);
    if (!was) continue;
    const fromState = observedState(now);
    const observed = fromState === "unknown" ? (live[m.name] ?? "unknown") : fromState;
    const from = desired[m.name] ?? "running";
    if (observed === "terminated") changes.push({ machine: m.name, from, to: "removed", observed, urns: withChildren(was, before) });
    // A hibernated machine reads as stopped on most providers: that is not drift.
    else if (observed === "stopped" && from === "running") changes.push({ machine: m.name, from, to: "stopped", observed, urns: [was.urn] });
    else if (observed === "hibernated" && from === "running") changes.push({ machine: m.name, from, to: "hibernated", observed, urns: [was.urn] });
    else if (observed === "running" && from !== "running") changes.push({ machine: m.name, from, to: "running", observed, urns: [was.urn] });
  }
  return changes;
}

/** The record with the drift applied: desired states updated, removed machines remembered, one journal entry each. */
export function applyDrift(record: SessionRecord, changes: readonly DriftChange[], at: string, actor: string): SessionRecord {
  const desired = { ...record.desired };
  const removed = { ...record.removed };
  const entries: JournalEntry[] = [];
  for (const c of changes) {
    if (c.to === "removed") {
      delete desired[c.machine];
      removed[c.machine] = { at, urns: c.urns };
    } else {
      desired[c.machine] = c.to;
      delete removed[c.machine];
    }
    entries.push({
      at,
      actor,
      action: "drift",
      machine: c.machine,
      from: c.from,
      to: c.to === "removed" ? "terminated" : c.to,
      result: "recorded",
      detail: `found ${c.observed} outside formations`,
    });
  }
  return withJournal({ ...record, desired, removed }, ...entries);
}

/** Every URN the engine must leave alone in the next update: machines removed outside it. */
export function excludedUrns(record: SessionRecord): string[] {
  return [...new Set(Object.values(record.removed).flatMap((r) => r.urns))];
}
