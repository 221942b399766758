/**
 * A session's machines as actions see them: the plan (role, tier, spot, hibernation, where it
 * lives) joined with the session's outputs (the provider's id) and its record (the state it was
 * last left in). Pure: the stored record and outputs in, targets out.
 */
import type { Formation } from "../../format/types.js";
import type { PlannedMachine, SessionPlan } from "../../plan/types.js";
import { SessionError } from "../session/errors.js";
import type { SessionRecord } from "../session/session-record.js";
import { machinesOf } from "../session/stack-state.js";
import type { StoredSession } from "../session/stored-session.js";
import { cloudOf } from "../../clouds/index.js";
import { managedNodeRefusal } from "../../plan/managed-service.js";
import type { ActionTarget, DriverContext, MachineState } from "./types.js";

/** One machine of a session, with what its record says about it. */
export interface SessionMachine {
  /** What a driver acts on. */
  target: ActionTarget;
  planned: PlannedMachine;
  /** The recorded state: the desired state; `terminated` when removed outside formations; `pending` when never created. */
  recorded: MachineState;
  /** Spot capacity that is deleted, not stopped, when reclaimed: it cannot be stopped, only imaged and terminated. */
  oneTimeSpot: boolean;
}

/** Everything an action needs to know about a session, read once per action. */
export interface SessionView {
  session: string;
  formation: Formation;
  record: SessionRecord;
  plan: SessionPlan;
  machines: SessionMachine[];
}

/** The session's machines from a stored session (record, plain outputs and plan, read once by the caller). */
export function sessionView(stored: StoredSession): SessionView {
  const { session, record, outputs, formation, plan } = stored;
  const deployed = new Map(machinesOf(outputs).map((m) => [m.name, m]));
  const { byName, hibernationAtLaunch } = cloudOf(plan.provider).actions;
  const machines = plan.machines.map((m): SessionMachine => {
    const cloudId = deployed.get(m.name)?.cloudId;
    // A managed cluster's nodes are not in the outputs (the service runs them): they exist when the session does.
    const recorded: MachineState = record.removed[m.name] ? "terminated" : !cloudId && !(m.managedBy && deployed.size > 0) ? "pending" : m.desiredState;
    const target: ActionTarget = {
      session,
      machine: m.name,
      role: m.role,
      // Where machines are found by the name the adapter gives them (Docker containers), no id is passed.
      ...(cloudId && !byName ? { providerId: cloudId } : {}),
      ...(plan.region ? { region: plan.region } : {}),
      ...(plan.zone ? { zone: plan.zone } : {}),
      ...(plan.project ? { project: plan.project } : {}),
      // Where hibernation is enabled at launch, the plan says whether it was.
      ...(hibernationAtLaunch ? { hibernation: m.hibernation } : {}),
      spot: m.spot,
    };
    const oneTimeSpot = m.spot && plan.spotInterruption === "terminate";
    // The plan launched it from a one-time request: the driver need not find that request to know it.
    if (oneTimeSpot) target.oneTimeSpot = true;
    return { target, planned: m, recorded, oneTimeSpot };
  });
  return { session, formation, record, plan, machines };
}

/**
 * The machines an action applies to: the one named (exit 1 when there is none), or every
 * machine formations runs itself (those of a managed big-data service are the service's).
 */
export function selectMachines(view: SessionView, machine: string | undefined): { selected: SessionMachine[]; skipped: string[] } {
  if (machine !== undefined) {
    const m = view.machines.find((x) => x.planned.name === machine);
    if (!m)
      throw new SessionError(
        `no machine named '${machine}' in session '${view.session}' (machines: ${view.machines.map((x) => x.planned.name).join(", ")})`,
        1,
        view.session,
      );
    if (m.planned.managedBy) throw managed(view, [m.planned.name]);
    return { selected: [m], skipped: [] };
  }
  const own = view.machines.filter((m) => !m.planned.managedBy);
  const skipped = view.machines.filter((m) => m.planned.managedBy).map((m) => m.planned.name);
  return { selected: own, skipped };
}

function managed(view: SessionView, names: string[]): SessionError {
  return new SessionError(`${managedNodeRefusal(view.plan.provider, names.join(", "), view.session)} (session '${view.session}')`, 1, view.session);
}

/** Where the driver finds the session's machines. */
export function driverContext(plan: SessionPlan): DriverContext {
  return {
    ...(plan.region ? { region: plan.region } : {}),
    ...(plan.zone ? { zone: plan.zone } : {}),
    ...(plan.project ? { project: plan.project } : {}),
    ...(plan.dockerHost ? { host: plan.dockerHost } : {}),
  };
}
