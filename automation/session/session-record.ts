/**
 * The session record: everything needed to act on a session later, kept in its stack. It is
 * written twice, on purpose:
 *
 * - as stack config (`formations:formation`, `formations:file`, `formations:desired`,
 *   `formations:removed`, `formations:snapshots`, `formations:journal`, `formations:deleted`), which the Pulumi CLI
 *   and the root Pulumi.yaml program read;
 * - as root stack outputs (`formationsText`, a secret, and `formationsRecord`), because stack
 *   config lives in the workspace's Pulumi.<stack>.yaml on one disk while outputs live in the
 *   backend's state: a pipeline on another machine reads the record back from there with only
 *   the backend URL and the passphrase.
 *
 * Parsing is defensive: state written by an older or newer version must never crash a read.
 */
import type { JournalEntry } from "../../cost/journal.js";
import type { PowerState } from "../../plan/types.js";
import type { ConfigEntry, OutputValue } from "./engine.js";

export const CONFIG_KEYS = {
  formation: "formations:formation",
  file: "formations:file",
  desired: "formations:desired",
  removed: "formations:removed",
  snapshots: "formations:snapshots",
  journal: "formations:journal",
  deleted: "formations:deleted",
} as const;

/** Root stack outputs that mirror the record in the backend's state. */
export const OUTPUT_TEXT = "formationsText";
export const OUTPUT_RECORD = "formationsRecord";

/** Journal entries kept per session: the oldest are dropped past this (the record travels on every operation). */
export const JOURNAL_LIMIT = 500;

/** A machine deleted outside the engine: the engine must not recreate it until someone starts it again. */
export interface RemovedMachine {
  /** When a refresh found it gone. */
  at: string;
  /** The URNs of its resources, excluded from later updates. */
  urns: string[];
}

/**
 * A machine deleted on purpose (`formations delete <session> --machine NAME`): never planned
 * again, and its name never reused (a Pool of 3 without machine-2 is machine-1 and machine-3).
 */
export interface DeletedMachine {
  at: string;
  /** Who deleted it. */
  by?: string;
}

/** A machine image taken from a machine (by the actions layer); it outlives the session. */
export interface SnapshotEntry {
  machine: string;
  /** The image's name. */
  name: string;
  /** The provider's image id (AMI, managed image, Docker image id), once known. */
  id?: string;
  at: string;
  [extra: string]: unknown;
}

/** One line of the action journal: defined once, where the ledger reads it (cost/journal.ts). */
export type { JournalEntry };

export interface SessionRecord {
  /** The formation's YAML text, as it was applied. */
  formation: string;
  /** The file it came from (provenance only: the text above is what counts). */
  file: string;
  /** Desired power state per machine; absent means running. */
  desired: Record<string, PowerState>;
  removed: Record<string, RemovedMachine>;
  snapshots: SnapshotEntry[];
  journal: JournalEntry[];
  /** Machines deleted on purpose, by name (absent in records written before per-machine delete). */
  deleted: Record<string, DeletedMachine>;
}

export function emptyRecord(formation: string, file: string): SessionRecord {
  return { formation, file, desired: {}, removed: {}, snapshots: [], journal: [], deleted: {} };
}

const POWER = new Set(["running", "stopped", "hibernated"]);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A value that is there but cannot be read: a torn write, or a hand edit gone wrong. */
const TORN = Symbol("torn");

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return TORN;
  }
}

/** Whether a part of the record has the shape it is written with (entries are checked one by one later). */
const SHAPES: Record<"desired" | "removed" | "snapshots" | "journal" | "deleted", (v: unknown) => boolean> = {
  desired: isObject,
  removed: isObject,
  snapshots: Array.isArray,
  journal: Array.isArray,
  deleted: isObject,
};
type Part = keyof typeof SHAPES;
const PARTS = Object.keys(SHAPES) as Part[];

/** A record read back, with the parts that were present but damaged (torn JSON, wrong shape). */
export interface ReadRecord {
  record: SessionRecord | undefined;
  /** Where each damaged part was read from (`formations:journal`, `formationsRecord.journal`). */
  damaged: string[];
}

function desiredOf(v: unknown): Record<string, PowerState> {
  if (!isObject(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, PowerState] => POWER.has(e[1] as string)));
}

function removedOf(v: unknown): Record<string, RemovedMachine> {
  if (!isObject(v)) return {};
  const out: Record<string, RemovedMachine> = {};
  for (const [k, r] of Object.entries(v)) {
    if (isObject(r) && typeof r.at === "string" && Array.isArray(r.urns)) out[k] = { at: r.at, urns: r.urns.filter((u): u is string => typeof u === "string") };
  }
  return out;
}

function listOf<T>(v: unknown, ok: (x: Record<string, unknown>) => boolean): T[] {
  return Array.isArray(v) ? (v.filter((x) => isObject(x) && ok(x)) as T[]) : [];
}

function deletedOf(v: unknown): Record<string, DeletedMachine> {
  if (!isObject(v)) return {};
  const out: Record<string, DeletedMachine> = {};
  for (const [k, d] of Object.entries(v)) if (isObject(d) && typeof d.at === "string") out[k] = { at: d.at, ...(typeof d.by === "string" ? { by: d.by } : {}) };
  return out;
}

const snapshotsOf = (v: unknown) => listOf<SnapshotEntry>(v, (x) => typeof x.machine === "string" && typeof x.name === "string");
const journalOf = (v: unknown) => listOf<JournalEntry>(v, (x) => typeof x.at === "string" && typeof x.action === "string");

/** The record as stack config. The formation text is a secret: a Docker formation's `env` may hold one. */
export function recordToConfig(r: SessionRecord): Record<string, ConfigEntry> {
  return {
    [CONFIG_KEYS.formation]: { value: r.formation, secret: true },
    [CONFIG_KEYS.file]: { value: r.file },
    [CONFIG_KEYS.desired]: { value: JSON.stringify(r.desired) },
    [CONFIG_KEYS.removed]: { value: JSON.stringify(r.removed) },
    [CONFIG_KEYS.snapshots]: { value: JSON.stringify(r.snapshots) },
    [CONFIG_KEYS.journal]: { value: JSON.stringify(r.journal) },
    [CONFIG_KEYS.deleted]: { value: JSON.stringify(r.deleted) },
  };
}

/**
 * The record from stack config. A part that is there but unreadable (a truncated journal) is
 * reported in `damaged`, never read as empty: the next write would make the loss permanent.
 */
export function readRecordConfig(config: Record<string, ConfigEntry>): ReadRecord {
  const text = config[CONFIG_KEYS.formation]?.value;
  if (!text) return { record: undefined, damaged: [] };
  const parts = Object.fromEntries(PARTS.map((k) => [k, parseJson(config[CONFIG_KEYS[k]]?.value)])) as Record<Part, unknown>;
  const damaged = PARTS.filter((k) => parts[k] === TORN || (parts[k] !== undefined && !SHAPES[k](parts[k]))).map((k) => CONFIG_KEYS[k]);
  return { record: build(text, config[CONFIG_KEYS.file]?.value ?? "", parts), damaged };
}

/** The record from stack config, read defensively (damaged parts read as empty: see readRecordConfig). */
export function recordFromConfig(config: Record<string, ConfigEntry>): SessionRecord | undefined {
  return readRecordConfig(config).record;
}

function build(formation: string, file: string, parts: Record<Part, unknown>): SessionRecord {
  return {
    formation,
    file,
    desired: desiredOf(parts.desired),
    removed: removedOf(parts.removed),
    snapshots: snapshotsOf(parts.snapshots),
    journal: journalOf(parts.journal),
    deleted: deletedOf(parts.deleted),
  };
}

/** The part of the record kept as a plain (non-secret) output. */
export function recordOutput(r: SessionRecord): Record<string, unknown> {
  return { file: r.file, desired: r.desired, removed: r.removed, snapshots: r.snapshots, journal: r.journal, deleted: r.deleted };
}

/** The record from the root stack's outputs in the state; damaged parts reported as in readRecordConfig. */
export function readRecordOutputs(outputs: Record<string, OutputValue>): ReadRecord {
  const text = outputs[OUTPUT_TEXT]?.value;
  const rec = outputs[OUTPUT_RECORD]?.value;
  if (typeof text !== "string" || !text) return { record: undefined, damaged: [] };
  if (!isObject(rec)) return { record: undefined, damaged: rec === undefined ? [] : [OUTPUT_RECORD] };
  const parts = Object.fromEntries(PARTS.map((k) => [k, rec[k]])) as Record<Part, unknown>;
  const damaged = PARTS.filter((k) => parts[k] !== undefined && !SHAPES[k](parts[k])).map((k) => `${OUTPUT_RECORD}.${k}`);
  return { record: build(text, typeof rec.file === "string" ? rec.file : "", parts), damaged };
}

export function recordFromOutputs(outputs: Record<string, OutputValue>): SessionRecord | undefined {
  return readRecordOutputs(outputs).record;
}

/** The newer of two records (by the last journal entry): config and state may disagree after a crash. */
export function newest(a: SessionRecord | undefined, b: SessionRecord | undefined): SessionRecord | undefined {
  if (!a || !b) return a ?? b;
  const last = (r: SessionRecord) => r.journal.at(-1)?.at ?? "";
  return last(b) > last(a) ? b : a;
}

/** Appends journal entries, keeping the newest JOURNAL_LIMIT. */
export function withJournal(r: SessionRecord, ...entries: JournalEntry[]): SessionRecord {
  return { ...r, journal: [...r.journal, ...entries].slice(-JOURNAL_LIMIT) };
}

/** One canonical text per entry (keys sorted at every level), so an entry read back from the state matches the one written. */
function entryKey(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(entryKey).join(",")}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${entryKey(v[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

/**
 * The journal to write when the state already holds `stored` (written meanwhile by another
 * process: a second workspace, a pipeline) and this writer holds `mine` (what it read earlier,
 * plus its own new entries): every entry of the state, then those of mine the state lacks. An
 * entry older than the state's oldest is one the limit dropped there, not a new one. So two
 * writers that read the same record and append one entry each both keep theirs.
 */
export function mergeJournals(stored: readonly JournalEntry[], mine: readonly JournalEntry[]): JournalEntry[] {
  const seen = new Set(stored.map(entryKey));
  const oldest = stored[0]?.at;
  const added = mine.filter((e) => !seen.has(entryKey(e)) && (oldest === undefined || e.at >= oldest));
  return [...stored, ...added].slice(-JOURNAL_LIMIT);
}

/** Snapshots of both, each image once (by name and time): an image taken elsewhere meanwhile is never forgotten. */
export function mergeSnapshots(stored: readonly SnapshotEntry[], mine: readonly SnapshotEntry[]): SnapshotEntry[] {
  const key = (s: SnapshotEntry) => `${s.name}\u0000${s.at}`;
  const seen = new Set(mine.map(key));
  return [...mine, ...stored.filter((s) => !seen.has(key(s)))];
}
