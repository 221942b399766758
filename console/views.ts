/**
 * What the page shows, shaped from the library's own answers (`show`, `connect`'s artifacts):
 * a Sessions row, a session's Machines with their menus and connection details, its Images.
 * Pure, and nothing here holds a secret: `show` carries none, connection artifacts are commands
 * and an .rdp file without a password, and `withoutSecrets` drops any field named like one
 * before an answer leaves the server (defence in depth for what later versions may add).
 */
import { connectionArtifacts, sshConfigSnippet, type ConnectionArtifacts } from "../connect/artifacts.js";
import { puttyCommands } from "../connect/putty.js";
import { connectMachines } from "../connect/session.js";
import type { JournalEntry, SnapshotEntry } from "../automation/session/session-record.js";
import type { MachineDetails, MachineState, SessionDetails } from "../automation/session/show.js";
import { machineMenu, type MenuItem } from "./menu.js";

export interface SessionRow {
  session: string;
  formation: string;
  kind: string;
  provider: string;
  labels: Record<string, string>;
  machines: number;
  /** Machines per state (pending, running, stopped, hibernated, terminated, interrupted). */
  states: Partial<Record<MachineState, number>>;
  cost: {
    /** USD accrued when `at` was computed; the page adds `hourlyUsd` per hour since then. */
    soFarUsd: number;
    hourlyUsd: number;
    at: string;
    since?: string;
    warnings: string[];
  };
  snapshots: number;
}

/** How to reach one machine, as `formations connect` would print it (no password anywhere). */
export interface ConnectInfo {
  ssh?: string;
  sshConfig?: string;
  dockerExec?: string;
  tunnel?: string;
  /** The lab's browser gateway. */
  url?: string;
  /** An .rdp file can be downloaded (GET .../rdp). */
  rdp: boolean;
  putty?: string;
  plink?: string;
  notes: string[];
  /** Why there is none of each kind, for the page to say. */
  missing: Partial<Record<"ssh" | "rdp" | "url" | "putty", string>>;
}

export interface MachineRow {
  name: string;
  role: string;
  state: MachineState;
  size?: string;
  address?: string;
  os: "linux" | "windows";
  protocol?: string;
  spot?: boolean;
  hourlyUsd: number;
  accruedUsd: number;
  burnUsdPerHour: number;
  menu: MenuItem[];
  connect?: ConnectInfo;
}

export interface SessionPage {
  /** When the read began: a page keeps the newest read, so a slow read never overwrites a fresher one. */
  readAt: string;
  row: SessionRow;
  cloud: SessionDetails["cloud"];
  lifecycle: SessionDetails["lifecycle"];
  machines: MachineRow[];
  snapshots: SnapshotEntry[];
  journal: JournalEntry[];
}

export function sessionRow(d: SessionDetails, now: Date): SessionRow {
  const states: SessionRow["states"] = {};
  for (const m of d.machines) states[m.state] = (states[m.state] ?? 0) + 1;
  return {
    session: d.session,
    formation: d.formation,
    kind: d.kind,
    provider: d.provider,
    labels: d.labels,
    machines: d.machines.length,
    states,
    cost: {
      soFarUsd: d.cost.soFarUsd,
      hourlyUsd: d.cost.hourlyUsd,
      at: d.cost.ledger?.now ?? now.toISOString(),
      ...(d.cost.since ? { since: d.cost.since } : {}),
      warnings: [...(d.cost.warnings ?? []), ...(d.cost.error ? [d.cost.error] : [])],
    },
    snapshots: d.snapshots.length,
  };
}

function connectInfo(a: ConnectionArtifacts, putty: ReturnType<typeof puttyCommands>, m: MachineDetails, kind: string): ConnectInfo {
  const missing: ConnectInfo["missing"] = {};
  if (!a.ssh && !a.dockerExec)
    missing.ssh = m.os === "windows" ? "a Windows machine is reached with Remote Desktop" : "this machine is a desktop reached through the lab's gateway";
  if (!a.rdpFile)
    missing.rdp =
      a.dockerExec && !a.ssh
        ? "a container has no Remote Desktop of its own"
        : m.protocol === "vnc"
          ? "this desktop speaks VNC, not RDP"
          : "this machine has no Remote Desktop (it is reached with SSH)";
  if (!a.url) missing.url = kind === "VirtualLab" ? "the gateway has no address yet" : "only a VirtualLab has a browser gateway";
  if (!putty)
    missing.putty =
      a.dockerExec && !a.ssh ? "a container is entered with docker exec, not SSH" : "PuTTY is for SSH, and this machine is reached with Remote Desktop";
  return {
    ...(a.ssh ? { ssh: a.ssh } : {}),
    ...(a.sshConfig ? { sshConfig: a.sshConfig } : {}),
    ...(a.dockerExec ? { dockerExec: a.dockerExec } : {}),
    ...(a.tunnel ? { tunnel: a.tunnel } : {}),
    ...(a.url ? { url: a.url } : {}),
    rdp: a.rdpFile !== undefined,
    ...(putty ? { putty: putty.putty, plink: putty.plink } : {}),
    notes: [...a.notes, ...(putty?.notes ?? [])],
    missing,
  };
}

/** The Machines view of a session, read at `readAt`: each machine with its menu and how to reach it. */
export function sessionPage(d: SessionDetails, now: Date, readAt: Date = now): SessionPage {
  const reachable = new Map(connectMachines(d).map((c) => [c.machine, c]));
  const machines = d.machines.map((m): MachineRow => {
    const c = reachable.get(m.name);
    let connect: ConnectInfo | undefined;
    if (c) {
      try {
        connect = connectInfo(connectionArtifacts(c), puttyCommands(c), m, d.kind);
      } catch {
        connect = undefined; // no address yet: the menu's Connect says why
      }
    }
    return {
      name: m.name,
      role: m.role,
      state: m.state,
      ...(m.instanceType ? { size: m.instanceType } : {}),
      ...(m.publicIp || m.privateIp ? { address: m.publicIp ?? m.privateIp } : {}),
      os: m.os,
      ...(m.protocol ? { protocol: m.protocol } : {}),
      ...(m.spot ? { spot: true } : {}),
      hourlyUsd: m.hourlyUsd,
      accruedUsd: m.accruedUsd ?? 0,
      burnUsdPerHour: m.burnUsdPerHour ?? 0,
      menu: machineMenu(m, d.provider, { session: d.session, machines: d.machines }).map((i) => {
        if (i.id === "connect" && i.enabled && !connect) return { ...i, enabled: false, reason: `${m.name} has no address yet: Refresh reads it again` };
        if (i.id === "connect-putty" && i.enabled && !connect?.putty)
          return { ...i, enabled: false, reason: connect?.missing.putty ?? `${m.name} has no address yet: Refresh reads it again` };
        return i;
      }),
      ...(connect ? { connect } : {}),
    };
  });
  return {
    readAt: readAt.toISOString(),
    row: sessionRow(d, now),
    cloud: d.cloud,
    lifecycle: d.lifecycle,
    machines,
    snapshots: d.snapshots,
    journal: d.journal,
  };
}

/** The .rdp file of one machine (no password: the client asks), or why there is none. */
export function rdpFileOf(d: SessionDetails, machine: string): { file: string } | { error: string } {
  const c = connectMachines(d).find((m) => m.machine === machine);
  if (!c) return { error: `${d.session}/${machine} has no address (not created, or removed)` };
  const a = connectionArtifacts(c);
  return a.rdpFile ? { file: a.rdpFile } : { error: `${d.session}/${machine} has no Remote Desktop` };
}

/** Every SSH host of the session as one `~/.ssh/config` snippet. */
export function sshConfigOf(d: SessionDetails): string {
  return sshConfigSnippet(connectMachines(d));
}

const SECRET_KEY = /pass(word|phrase)|secret|private.?key|api.?key|credential|^token$/i;

/** A copy of `value` without any field named like a secret (the page never needs one). */
export function withoutSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutSecrets) as T;
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !SECRET_KEY.test(k))
      .map(([k, v]) => [k, withoutSecrets(v)]),
  ) as T;
}
