/**
 * What `show` and `sessions` report about a session, shaped from its stored record, its outputs
 * and its tags. Pure: no engine calls here. Machine states are the ones the session records
 * (set by up, the actions and refresh's drift), not a live query of the cloud.
 */
import { loadFormationText } from "../format/load.js";
import { planSession } from "../plan/index.js";
import { SUMMARY_TAGS, tagsToLabels } from "./naming.js";
import { ledgerJson, microsToUsd, type ChargedAs, type IdleVerdict, type LedgerJson } from "../cost/index.js";
import { sessionLedger } from "./ledger.js";
import type { JournalEntry, SessionRecord, SnapshotEntry } from "./record.js";
import { machinesOf } from "./state.js";
import { refusals } from "./actions/strategy.js";
import type { ActionName } from "./actions/types.js";

/** The contract's machine states, plus `interrupted` (spot capacity reclaimed), which only a live read (`show --live`) reports. */
export type MachineState = "pending" | "running" | "stopped" | "hibernated" | "terminated" | "interrupted";

export interface MachineDetails {
  name: string;
  role: string;
  /** As recorded: the desired state, `terminated` when removed outside formations, `pending` when never created. */
  state: MachineState;
  cloudId?: string;
  privateIp?: string;
  publicIp?: string;
  user?: string;
  /** How to connect (`ssh ubuntu@203.0.113.10`, a gateway URL, `docker exec ...`). */
  connect?: string;
  /** The machine's operating system (from its image). */
  os: "linux" | "windows";
  /** A VirtualLab target's desktop protocol. */
  protocol?: "ssh" | "rdp" | "vnc";
  instanceType?: string;
  spot?: boolean;
  hibernation?: boolean;
  /** Catalog price per hour while running. */
  hourlyUsd: number;
  /** USD this machine has cost so far, from the ledger (exact to the micro-dollar). */
  accruedUsd?: number;
  /** USD per hour it costs now (disk only while stopped), from the ledger. */
  burnUsdPerHour?: number;
  /** The idle agent's last verdict, when it could be read (filled by `withVerdicts`, not by `show` itself). */
  idle?: IdleReading;
  /** Actions this machine can never be asked, with the reason (a managed node; hibernation not enabled). */
  refused?: Partial<Record<ActionName, string>>;
}

/** What `show` knows of a machine's idle agent. */
export interface IdleReading {
  /** The last verdict, when one was read. */
  verdict?: IdleVerdict;
  /** Why there is none: auto-stop off, no agent on this machine, not readable on this provider... */
  unavailable?: string;
  /** The verdict was read from the serial console, which shows the agent's changes only (so `at` is when it changed). */
  changesOnly?: boolean;
}

/** The session's lifecycle rules, as `enforce` reads them. */
export interface LifecycleDetails {
  autoStop?: { idleMinutes: number };
  budget?: { usd: number; action: "notify" | "stop" | "hibernate" };
}

export interface SessionDetails {
  session: string;
  formation: string;
  kind: string;
  provider: string;
  /** The file the formation came from, as given to `up` (provenance). */
  file: string;
  labels: Record<string, string>;
  /** Where the session runs (the formation's `cloud`, without credentials). */
  cloud: { region?: string; zone?: string; project?: string; dockerHost?: string };
  machines: MachineDetails[];
  cost: {
    /** What the session's machines cost per hour now (running: compute + disk; stopped: disk), from the ledger. */
    hourlyUsd: number;
    /** USD accrued so far by the session's machines, from the ledger (launch prices x time in each state). */
    soFarUsd: number;
    /** The first successful up: what the amounts count from. */
    since?: string;
    /** USD accrued per charged state (pending counts as running). */
    byState?: Record<ChargedAs, number>;
    /** What makes the amounts less than exact. */
    warnings?: string[];
    /** Set when the journal cannot be billed; the amounts are then the catalog's (running machines only) and 0. */
    error?: string;
    /** The whole ledger in USD: per machine (including machines gone since), per state (`formations cost`). */
    ledger?: LedgerJson;
  };
  lifecycle: LifecycleDetails;
  snapshots: SnapshotEntry[];
  /** The latest journal entries, oldest first. */
  journal: JournalEntry[];
}

export interface SessionListing {
  session: string;
  formation?: string;
  kind?: string;
  provider?: string;
  machines?: number;
  hourlyUsd?: number;
  labels: Record<string, string>;
  lastUpdate?: string;
  updateInProgress?: boolean;
  resourceCount?: number;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Details of a session from its record and (plain) outputs; `journalTail` entries of the journal are kept. */
export function sessionDetails(session: string, record: SessionRecord, outputs: Record<string, unknown>, now: Date, journalTail = 20): SessionDetails {
  const formation = loadFormationText(record.formation, record.file || "<session>");
  const plan = planSession(formation, { session, desired: record.desired });
  const deployed = new Map(machinesOf(outputs).map((m) => [m.name, m]));
  const machines: MachineDetails[] = plan.machines.map((m) => {
    const o = deployed.get(m.name);
    const state: MachineState = record.removed[m.name] ? "terminated" : !o?.cloudId ? "pending" : m.desiredState;
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
  const { ledger, error, warnings, since } = sessionLedger(plan, record.journal, now);
  const billed = new Map((ledger?.machines ?? []).map((l) => [l.machine, l]));
  for (const m of machines) {
    const l = billed.get(m.name);
    if (l) Object.assign(m, { accruedUsd: microsToUsd(l.accruedMicros), burnUsdPerHour: microsToUsd(l.burnPerHourMicros) });
  }
  const running = round(machines.filter((m) => m.state === "running").reduce((s, m) => s + m.hourlyUsd, 0));
  const cost: SessionDetails["cost"] = ledger
    ? { hourlyUsd: microsToUsd(ledger.burnPerHourMicros), soFarUsd: microsToUsd(ledger.totalMicros), ...(since ? { since } : {}), byState: { running: microsToUsd(ledger.byState.running), stopped: microsToUsd(ledger.byState.stopped), hibernated: microsToUsd(ledger.byState.hibernated) }, ...(warnings.length ? { warnings } : {}), ledger: ledgerJson(ledger) }
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
  const f = loadFormationText(record.formation, record.file || "<session>");
  const plan = planSession(f, { session, desired: record.desired });
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
