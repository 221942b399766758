/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../automation/session/engine.js";
import { fromEngineEvent, safeListener, type SessionEvent } from "../../automation/session/events.js";
import { changesText, jsonLine, LiveModel, plainLine } from "../../cli/render.js";

const URN = "urn:pulumi:lab::formations::docker:index/container:Container::lab-machine-1";
const at = "2026-01-01T00:00:00.000Z";
const ev = (e: Omit<EngineEvent, "sequence" | "timestamp">): EngineEvent => ({ sequence: 1, timestamp: 1_767_225_600, ...e });
const meta = (op: string, urn = URN, type = "docker:index/container:Container") => ({ metadata: { op, urn, type } });

describe("engine events become typed session events", () => {
  it("maps resource steps with the resource's name and type", () => {
    expect(fromEngineEvent("lab", ev({ resourcePreEvent: { ...meta("create"), planning: false } }))).toEqual({
      type: "resource-start",
      session: "lab",
      at,
      urn: URN,
      resourceType: "docker:index/container:Container",
      name: "lab-machine-1",
      op: "create",
      planning: false,
    });
    expect(fromEngineEvent("lab", ev({ resOutputsEvent: meta("create") }))?.type).toBe("resource-done");
    expect(fromEngineEvent("lab", ev({ resOpFailedEvent: { ...meta("create"), status: 1, steps: 1 } }))?.type).toBe("resource-failed");
  });

  it("drops bookkeeping: the root stack, providers, ephemeral and empty diagnostics, stdout echoes", () => {
    expect(
      fromEngineEvent(
        "lab",
        ev({ resourcePreEvent: meta("create", "urn:pulumi:lab::formations::pulumi:pulumi:Stack::formations-lab", "pulumi:pulumi:Stack") }),
      ),
    ).toBeUndefined();
    expect(fromEngineEvent("lab", ev({ resourcePreEvent: meta("create", "urn:x::default", "pulumi:providers:docker") }))).toBeUndefined();
    expect(fromEngineEvent("lab", ev({ diagnosticEvent: { message: "x", severity: "info", ephemeral: true } }))).toBeUndefined();
    // The SDK's tracing, as the real engine sends it for every resource.
    expect(
      fromEngineEvent(
        "lab",
        ev({
          diagnosticEvent: {
            message: "Registering resource: t=pulumi:pulumi:Stack, name=formations-lab, custom=false, remote=false\n",
            severity: "debug" as "info",
          },
        }),
      ),
    ).toBeUndefined();
    expect(fromEngineEvent("lab", ev({ diagnosticEvent: { message: "\u001b[31m \u001b[0m", severity: "warning" } }))).toBeUndefined();
    expect(fromEngineEvent("lab", { sequence: 1, timestamp: 1 } as EngineEvent)).toBeUndefined();
  });

  it("strips colour codes from diagnostics and keeps the summary's counts", () => {
    expect(fromEngineEvent("lab", ev({ diagnosticEvent: { message: "\u001b[1merror:\u001b[0m boom\n", severity: "error", urn: URN } }))).toEqual({
      type: "diagnostic",
      session: "lab",
      at,
      severity: "error",
      message: "error: boom",
      urn: URN,
    });
    expect(fromEngineEvent("lab", ev({ summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges: { create: 2 } } }))).toEqual({
      type: "summary",
      session: "lab",
      at,
      changes: { create: 2 },
      durationSeconds: 3,
    });
  });

  it("a throwing listener never breaks the operation", () => {
    const listener = safeListener(() => {
      throw new Error("renderer crashed");
    });
    expect(() => listener({ type: "cancel-requested", session: "s", at, action: "up" })).not.toThrow();
  });
});

describe("plain lines (not a terminal)", () => {
  const start: SessionEvent = {
    type: "resource-start",
    session: "lab",
    at,
    urn: URN,
    resourceType: "docker:index/container:Container",
    name: "lab-machine-1",
    op: "create",
    planning: false,
  };

  it("one line per step worth a line, prefixed with the session", () => {
    expect(plainLine({ type: "operation-start", session: "lab", at, action: "up", actor: "alice@laptop" })).toBe("lab: up started by alice@laptop");
    expect(plainLine(start)).toBe("lab: + creating lab-machine-1");
    expect(plainLine({ ...start, type: "resource-done" })).toBe("lab: + created lab-machine-1");
    expect(plainLine({ ...start, planning: true })).toBe("lab: + create lab-machine-1 (docker:index/container:Container)");
    expect(plainLine({ ...start, op: "delete", type: "resource-failed" })).toBe("lab: x failed to delete lab-machine-1 (docker:index/container:Container)");
    expect(plainLine({ type: "diagnostic", session: "lab", at, severity: "warning", message: "slow" })).toBe("lab: warning: slow");
    expect(plainLine({ type: "drift", session: "lab", at, machine: "machine-2", from: "running", to: "stopped", observed: "stopped" })).toBe(
      "lab: drift: machine-2 running -> stopped (found stopped)",
    );
    expect(plainLine({ type: "operation-end", session: "lab", at, action: "up", result: "ok", durationMs: 12_345, changes: { create: 3, same: 1 } })).toBe(
      "lab: up done in 12.3s: 3 created, 1 unchanged",
    );
    expect(plainLine({ type: "operation-end", session: "lab", at, action: "destroy", result: "failed", durationMs: 500, error: "boom" })).toBe(
      "lab: destroy failed after 0.5s: boom",
    );
  });

  it("stays quiet for unchanged resources, info diagnostics, summaries and journal entries", () => {
    expect(plainLine({ ...start, op: "same" })).toBeUndefined();
    expect(plainLine({ type: "diagnostic", session: "lab", at, severity: "info", message: "hello" })).toBeUndefined();
    expect(plainLine({ type: "summary", session: "lab", at, changes: {}, durationSeconds: 1 })).toBeUndefined();
    expect(plainLine({ type: "journal", session: "lab", at, entry: { at, actor: "a", action: "up", result: "ok" } })).toBeUndefined();
  });

  it("summarises changes with unchanged last", () => {
    expect(changesText({ same: 4, update: 1, create: 2, delete: 0 })).toBe("2 created, 1 updated, 4 unchanged");
    expect(changesText({})).toBe("no changes");
    expect(changesText(undefined)).toBe("no changes");
  });
});

describe("JSON lines (--json)", () => {
  it("prints the very object onEvent receives, one per line", () => {
    const e: SessionEvent = { type: "journal", session: "lab", at, entry: { at, actor: "a", action: "up", result: "ok" } };
    const line = jsonLine(e);
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual(e);
  });
});

describe("the live view's frames", () => {
  it("shows each session's progress, running rows and warnings, then its outcome", () => {
    const m = new LiveModel();
    m.apply({ type: "operation-start", session: "lab", at, action: "up", actor: "a" });
    m.apply({ type: "resource-start", session: "lab", at, urn: "u1", resourceType: "t", name: "lab-net", op: "create", planning: false });
    m.apply({ type: "resource-start", session: "lab", at, urn: "u2", resourceType: "t", name: "lab-machine-1", op: "create", planning: false });
    m.apply({ type: "resource-done", session: "lab", at, urn: "u1", resourceType: "t", name: "lab-net", op: "create", planning: false });
    m.apply({ type: "diagnostic", session: "lab", at, severity: "warning", message: "slow pull\nmore" });
    expect(m.frame(0).split("\n")).toEqual(["⠋ lab up: 1/2 resources", "    ✔ created lab-net", "    … create lab-machine-1", "    warning: slow pull"]);
    m.apply({ type: "operation-end", session: "lab", at, action: "up", result: "ok", durationMs: 2000, changes: { create: 2 } });
    expect(m.frame(1)).toBe("✔ lab up done in 2.0s: 2 created");
  });

  it("keeps a big pool to one screen: every running row, then the latest finished", () => {
    const m = new LiveModel(5);
    m.apply({ type: "operation-start", session: "big", at, action: "up", actor: "a" });
    for (let i = 0; i < 100; i++)
      m.apply({ type: "resource-start", session: "big", at, urn: `u${i}`, resourceType: "t", name: `m-${i}`, op: "create", planning: false });
    for (let i = 0; i < 97; i++)
      m.apply({ type: "resource-done", session: "big", at, urn: `u${i}`, resourceType: "t", name: `m-${i}`, op: "create", planning: false });
    const lines = m.frame().split("\n");
    expect(lines[0]).toContain("97/100 resources");
    expect(lines).toHaveLength(6);
    expect(lines.filter((l) => l.includes("…"))).toHaveLength(3);
  });
});
