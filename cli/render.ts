/**
 * Rendering session events for people and pipelines: JSON lines (`--json`, the very objects
 * `onEvent` receives), plain lines (not a terminal: CI logs), and the frames of the live view
 * (render-live.ts draws them on a terminal). Pure functions, so each form is tested as text.
 */
import type { SessionEvent } from "../automation/session/events.js";

const PAST: Record<string, string> = {
  create: "created",
  update: "updated",
  delete: "deleted",
  replace: "replaced",
  "create-replacement": "created replacement",
  "delete-replaced": "deleted replaced",
  refresh: "refreshed",
  read: "read",
  import: "imported",
  discard: "discarded",
  same: "unchanged",
};

const ING: Record<string, string> = {
  create: "creating",
  update: "updating",
  delete: "deleting",
  replace: "replacing",
  "create-replacement": "creating replacement",
  "delete-replaced": "deleting replaced",
  refresh: "refreshing",
  import: "importing",
  discard: "discarding",
};

const SIGN: Record<string, string> = {
  create: "+",
  update: "~",
  delete: "-",
  replace: "+-",
  "create-replacement": "+-",
  "delete-replaced": "-",
  refresh: "~",
  import: "=",
  read: ">",
  discard: "-",
};

/** Step kinds that change nothing: not worth a line. */
const QUIET = new Set(["same", "read"]);

export function jsonLine(e: SessionEvent): string {
  return JSON.stringify(e);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** `3 created, 1 updated, 4 unchanged` from the engine's change counts. */
export function changesText(changes: Readonly<Record<string, number>> | undefined): string {
  if (!changes) return "no changes";
  const parts = Object.entries(changes)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => (a === "same" ? 1 : b === "same" ? -1 : a.localeCompare(b)))
    .map(([op, n]) => `${n} ${PAST[op] ?? op}`);
  return parts.length ? parts.join(", ") : "no changes";
}

/** `3 to create, 1 to update, 4 unchanged`: a preview's change counts. */
export function previewText(changes: Readonly<Record<string, number>> | undefined): string {
  if (!changes) return "no changes";
  const parts = Object.entries(changes)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => (a === "same" ? 1 : b === "same" ? -1 : a.localeCompare(b)))
    .map(([op, n]) => (op === "same" ? `${n} unchanged` : `${n} to ${op}`));
  return parts.length ? parts.join(", ") : "no changes";
}

/** One line per event worth a line in a log, or undefined. */
export function plainLine(e: SessionEvent): string | undefined {
  const p = `${e.session}:`;
  switch (e.type) {
    case "operation-start":
      return `${p} ${e.action} started by ${e.actor}`;
    case "operation-end":
      if (e.result === "ok") return `${p} ${e.action} done in ${seconds(e.durationMs)}: ${changesText(e.changes)}`;
      if (e.result === "declined") return `${p} ${e.action} not confirmed: nothing changed`;
      return `${p} ${e.action} ${e.result} after ${seconds(e.durationMs)}${e.error ? `: ${e.error}` : ""}`;
    case "resource-start":
      if (QUIET.has(e.op)) return undefined;
      return e.planning ? `${p} ${SIGN[e.op] ?? "*"} ${e.op} ${e.name} (${e.resourceType})` : `${p} ${SIGN[e.op] ?? "*"} ${ING[e.op] ?? e.op} ${e.name}`;
    case "resource-done":
      if (e.planning || QUIET.has(e.op)) return undefined;
      return `${p} ${SIGN[e.op] ?? "*"} ${PAST[e.op] ?? e.op} ${e.name}`;
    case "resource-failed":
      return `${p} x failed to ${e.op} ${e.name} (${e.resourceType})`;
    case "diagnostic":
      return e.severity === "info" ? undefined : `${p} ${e.severity}: ${e.message}`;
    case "drift":
      return `${p} drift: ${e.machine} ${e.from} -> ${e.to} (found ${e.observed})`;
    case "cancel-requested":
      return `${p} cancelling ${e.action}: the engine finishes its in-flight steps and saves the state`;
    case "summary":
    case "journal":
      return undefined;
  }
}

interface Row {
  name: string;
  op: string;
  status: "running" | "done" | "failed";
}

interface SessionView {
  action: string;
  rows: Map<string, Row>;
  end?: string;
  warnings: string[];
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * The live view's model: per session, one row per resource in flight or finished. Frames show
 * every running row and the latest finished ones, so a thousand-machine pool stays one screen.
 */
export class LiveModel {
  private readonly sessions = new Map<string, SessionView>();

  constructor(private readonly maxRows = 12) {}

  apply(e: SessionEvent): void {
    let v = this.sessions.get(e.session);
    if (e.type === "operation-start" || !v) {
      v = { action: e.type === "operation-start" ? e.action : "", rows: new Map(), warnings: [] };
      this.sessions.set(e.session, v);
    }
    switch (e.type) {
      case "resource-start":
        if (!QUIET.has(e.op)) v.rows.set(e.urn, { name: e.name, op: e.op, status: "running" });
        break;
      case "resource-done": {
        const row = v.rows.get(e.urn);
        if (row) row.status = "done";
        break;
      }
      case "resource-failed":
        v.rows.set(e.urn, { name: e.name, op: e.op, status: "failed" });
        break;
      case "diagnostic":
        if (e.severity !== "info") v.warnings = [...v.warnings, `${e.severity}: ${e.message.split("\n")[0]}`].slice(-3);
        break;
      case "operation-end":
        v.end = plainLine(e)?.slice(e.session.length + 2);
        break;
      default:
        break;
    }
  }

  frame(tick = 0): string {
    const lines: string[] = [];
    for (const [session, v] of this.sessions) {
      const rows = [...v.rows.values()];
      const running = rows.filter((r) => r.status === "running");
      const finished = rows.filter((r) => r.status !== "running");
      const done = finished.filter((r) => r.status === "done").length;
      lines.push(
        `${v.end ? (v.end.includes(" done ") ? "✔" : "✖") : SPINNER[tick % SPINNER.length]} ${session} ${v.end ?? `${v.action}: ${done}/${rows.length} resources`}`,
      );
      if (v.end) continue;
      const shown = [...finished.slice(-Math.max(0, this.maxRows - running.length)), ...running.slice(0, this.maxRows)];
      for (const r of shown)
        lines.push(`    ${r.status === "running" ? "…" : r.status === "done" ? "✔" : "✖"} ${PAST[r.op] && r.status === "done" ? PAST[r.op] : r.op} ${r.name}`);
      for (const w of v.warnings) lines.push(`    ${w}`);
    }
    return lines.join("\n");
  }
}
