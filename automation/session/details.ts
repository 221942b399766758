/**
 * What `show` and `sessions` report about a session (the read model of the library and of
 * `--json`): its machines with their states, addresses and costs, its lifecycle rules, its
 * snapshots and journal. Types only, so the clouds' verdict readers can take them without
 * importing what builds them (show.ts).
 */
import type { ChargedAs, IdleVerdict, LedgerJson } from "../../cost/index.js";
import type { MachineState } from "../../plan/types.js";
import type { JournalEntry, SnapshotEntry } from "./session-record.js";

export type { MachineState };

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
