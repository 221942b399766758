/**
 * Progress as typed events: the engine's own (resource steps, diagnostics, summary), reduced to
 * what a person or a pipeline needs, plus ours (operation start and end, journal entries, drift,
 * cancellation). `Sessions` hands these to `onEvent`; `--json` prints exactly these objects, one
 * per line, so a pipeline sees what a library caller sees.
 */
import type { EngineEvent } from "./engine.js";
import type { JournalEntry } from "./session-record.js";

export type Action = "up" | "preview" | "refresh" | "destroy";

interface Base {
  session: string;
  /** ISO time the event happened. */
  at: string;
}

export type SessionEvent =
  | (Base & { type: "operation-start"; action: Action; actor: string })
  | (Base & {
      type: "operation-end";
      action: Action;
      result: "ok" | "failed" | "cancelled" | "declined";
      durationMs: number;
      changes?: Record<string, number>;
      error?: string;
    })
  /** A resource step begins (planning: true during a preview). */
  | (Base & { type: "resource-start"; urn: string; resourceType: string; name: string; op: string; planning: boolean })
  | (Base & { type: "resource-done"; urn: string; resourceType: string; name: string; op: string; planning: boolean })
  | (Base & { type: "resource-failed"; urn: string; resourceType: string; name: string; op: string })
  | (Base & { type: "diagnostic"; severity: "info" | "warning" | "error"; message: string; urn?: string })
  /** The engine's summary: resource changes by kind. */
  | (Base & { type: "summary"; changes: Record<string, number>; durationSeconds: number })
  | (Base & { type: "journal"; entry: JournalEntry })
  | (Base & { type: "drift"; machine: string; from: string; to: string; observed: string })
  | (Base & { type: "cancel-requested"; action: Action });

export type SessionEventType = SessionEvent["type"];

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, "g");

/** The resource's name: the last `::` part of its URN. */
export function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

function isoOf(unixSeconds: number | undefined): string {
  return new Date(unixSeconds ? unixSeconds * 1000 : Date.now()).toISOString();
}

/**
 * Our event for one engine event, or undefined for those we do not surface (stdout echoes,
 * prelude, the root stack's own steps, ephemeral and debug diagnostics).
 */
export function fromEngineEvent(session: string, e: EngineEvent): SessionEvent | undefined {
  const at = isoOf(e.timestamp);
  const step = e.resourcePreEvent ?? e.resOutputsEvent ?? e.resOpFailedEvent;
  if (step) {
    const m = step.metadata;
    // The root stack resource is bookkeeping, not something the user asked for.
    if (m.type === "pulumi:pulumi:Stack" || m.type.startsWith("pulumi:providers:")) return undefined;
    const base = { session, at, urn: m.urn, resourceType: m.type, name: urnName(m.urn), op: m.op };
    if (e.resourcePreEvent) return { ...base, type: "resource-start", planning: Boolean(e.resourcePreEvent.planning) };
    if (e.resOutputsEvent) return { ...base, type: "resource-done", planning: Boolean(e.resOutputsEvent.planning) };
    return { ...base, type: "resource-failed" };
  }
  if (e.diagnosticEvent) {
    const d = e.diagnosticEvent;
    // Debug diagnostics are the SDK's own tracing ("Registering resource: ...", one per resource);
    // the real engine sends them though the Automation API's typings leave "debug" out.
    if (d.ephemeral || (d.severity as string) === "debug") return undefined;
    const message = d.message.replace(ANSI, "").trim();
    if (!message) return undefined;
    const severity = d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "info";
    return { type: "diagnostic", session, at, severity, message, ...(d.urn ? { urn: d.urn } : {}) };
  }
  if (e.summaryEvent) return { type: "summary", session, at, changes: { ...e.summaryEvent.resourceChanges }, durationSeconds: e.summaryEvent.durationSeconds };
  return undefined;
}

/** A safe listener: a throwing `onEvent` must never break the operation it observes. */
export function safeListener(listener: ((e: SessionEvent) => void) | undefined): (e: SessionEvent) => void {
  if (!listener) return () => {};
  return (e) => {
    try {
      listener(e);
    } catch {
      // The caller's renderer failed; the operation goes on and its result still tells the truth.
    }
  };
}
