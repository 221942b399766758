/**
 * What `show` and `sessions` report about a session, shaped from its stored record, its outputs
 * and its tags. Pure: no engine calls here. Machine states are the ones the session records
 * (set by up, the actions and refresh's drift), not a live query of the cloud.
 */
import { SUMMARY_TAGS, tagsToLabels } from "./naming.js";
import { ledgerJson, microsToUsd } from "../../cost/index.js";
import { sessionLedger } from "../../cost/session-ledger.js";
import { catalogFor } from "../../clouds/index.js";
import type { SessionRecord } from "./session-record.js";
import { machinesOf } from "./stack-state.js";
import { refusals } from "./refusals.js";
import { plannedSession, type StoredSession } from "./stored-session.js";
import type { MachineDetails, MachineState, SessionDetails, SessionListing } from "./details.js";

export type * from "./details.js";

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Details of a stored session (its record, outputs and plan); `journalTail` entries of the journal are kept. */
export function sessionDetails(stored: StoredSession, now: Date, journalTail = 20): SessionDetails {
  const { session, record, outputs, formation, plan } = stored;
  const deployed = new Map(machinesOf(outputs).map((m) => [m.name, m]));
  const machines: MachineDetails[] = plan.machines.map((m) => {
    const o = deployed.get(m.name);
    // A managed cluster's nodes are not in the outputs (the service runs them): they exist when the session does.
    const state: MachineState = record.removed[m.name] ? "terminated" : !o?.cloudId && !(m.managedBy && deployed.size > 0) ? "pending" : m.desiredState;
    const refused = refusals(plan.provider, m);
    return {
      name: m.name,
      role: m.role,
      state,
      ...(o?.cloudId ? { cloudId: o.cloudId } : {}),
      ...(str(o?.privateIp) ? { privateIp: str(o?.privateIp) } : {}),
      ...(str(o?.publicIp) ? { publicIp: str(o?.publicIp) } : {}),
      ...(str(o?.user) ? { user: str(o?.user) } : {}),
      ...(str(o?.connect) ? { connect: str(o?.connect) } : {}),
      os: m.image.os,
      ...(m.role === "target" && plan.gateway ? { protocol: plan.gateway.protocol } : {}),
      instanceType: m.instanceType,
      spot: m.spot,
      hibernation: m.hibernation,
      hourlyUsd: m.hourlyUsd,
      ...(Object.keys(refused).length ? { refused } : {}),
    };
  });
  const { ledger, error, warnings, since } = sessionLedger(catalogFor(plan.provider, plan.pricing), plan, record.journal, now);
  const billed = new Map((ledger?.machines ?? []).map((l) => [l.machine, l]));
  for (const m of machines) {
    const l = billed.get(m.name);
    if (l) Object.assign(m, { accruedUsd: microsToUsd(l.accruedMicros), burnUsdPerHour: microsToUsd(l.burnPerHourMicros) });
  }
  const running = round(machines.filter((m) => m.state === "running").reduce((s, m) => s + m.hourlyUsd, 0));
  const cost: SessionDetails["cost"] = ledger
    ? {
        hourlyUsd: microsToUsd(ledger.burnPerHourMicros),
        soFarUsd: microsToUsd(ledger.totalMicros),
        ...(since ? { since } : {}),
        byState: {
          running: microsToUsd(ledger.byState.running),
          stopped: microsToUsd(ledger.byState.stopped),
          hibernated: microsToUsd(ledger.byState.hibernated),
        },
        ...(warnings.length ? { warnings } : {}),
        ledger: ledgerJson(ledger),
      }
    : { hourlyUsd: running, soFarUsd: 0, ...(since ? { since } : {}), ...(error ? { error } : {}) };
  const lc = formation.lifecycle;
  return {
    session,
    formation: formation.metadata.name,
    kind: formation.kind,
    provider: formation.cloud.provider,
    file: record.file,
    labels: { ...((formation.metadata.labels ?? {}) as Record<string, string>) },
    cloud: {
      ...(plan.region ? { region: plan.region } : {}),
      ...(plan.zone ? { zone: plan.zone } : {}),
      ...(plan.project ? { project: plan.project } : {}),
      ...(plan.dockerHost ? { dockerHost: plan.dockerHost } : {}),
    },
    machines,
    cost,
    lifecycle: {
      ...(lc?.autoStop ? { autoStop: { idleMinutes: lc.autoStop.idleMinutes } } : {}),
      ...(lc?.budget ? { budget: { usd: lc.budget.usd, action: lc.budget.action ?? "notify" } } : {}),
    },
    snapshots: record.snapshots,
    journal: record.journal.slice(-journalTail),
  };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/** A `sessions` row from the stack's tags (the summary formations writes on every up). */
export function listingFromTags(session: string, tags: Readonly<Record<string, string>>): SessionListing | undefined {
  if (!tags[SUMMARY_TAGS.kind]) return undefined;
  const num = (k: string) => {
    const n = Number(tags[k]);
    return Number.isFinite(n) ? n : undefined;
  };
  return {
    session,
    formation: tags[SUMMARY_TAGS.formation],
    kind: tags[SUMMARY_TAGS.kind],
    provider: tags[SUMMARY_TAGS.provider],
    machines: num(SUMMARY_TAGS.machines),
    hourlyUsd: num(SUMMARY_TAGS.hourlyUsd),
    labels: tagsToLabels(tags),
  };
}

/** A `sessions` row from the session's record, when its stack has no tags (older file backends). */
export function listingFromRecord(session: string, record: SessionRecord): SessionListing {
  const { formation: f, plan } = plannedSession(session, record);
  return {
    session,
    formation: f.metadata.name,
    kind: f.kind,
    provider: f.cloud.provider,
    machines: plan.machines.length,
    hourlyUsd: plan.cost.hourlyUsd,
    labels: { ...((f.metadata.labels ?? {}) as Record<string, string>) },
  };
}
