/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * writeRecord on a stack whose config is private to this process (the PulumiEngine's own
 * temporary workspace): the record goes into the state only, and into config only when the state
 * cannot take it (pending operations, nothing deployed yet, a failed import), so it is never lost
 * within the process. A stub stack stands in for the engine and counts its calls; the real engine
 * runs this path in every e2e test.
 */
import { describe, expect, it } from "vitest";
import type { ConfigEntry, Deployment, EngineStack } from "../../../automation/session/engine.js";
import { writeRecord } from "../../../automation/session/record-store.js";
import { CONFIG_KEYS, emptyRecord, withJournal } from "../../../automation/session/session-record.js";

const ROOT = { urn: "urn:pulumi:s::formations::pulumi:pulumi:Stack::formations-s", type: "pulumi:pulumi:Stack", outputs: {} };

class StubStack {
  readonly name = "s";
  calls: string[] = [];
  config: Record<string, ConfigEntry> = {};
  state: Deployment;
  failImport = false;
  constructor(
    readonly privateConfig: boolean,
    deployment: Partial<Deployment["deployment"]> = { resources: [ROOT] },
  ) {
    this.state = { version: 3, deployment };
  }
  async setConfig(values: Record<string, ConfigEntry>) {
    this.calls.push("setConfig");
    this.config = { ...this.config, ...values };
  }
  async exportState() {
    this.calls.push("export");
    return structuredClone(this.state);
  }
  async importState(d: Deployment) {
    this.calls.push("import");
    if (this.failImport) throw new Error("import failed: disk full");
    this.state = structuredClone(d);
  }
}

const record = withJournal(emptyRecord("kind: Pool\n", "pool.yaml"), { at: "2026-12-02T10:00:00.000Z", actor: "me", action: "up", result: "ok" });
const stack = (s: StubStack) => s as unknown as EngineStack;

describe("writeRecord with a private config", () => {
  it("writes the state only: export, import, read back, no config call", async () => {
    const s = new StubStack(true);
    await writeRecord(stack(s), record);
    expect(s.calls).toEqual(["export", "import", "export"]);
    expect(JSON.stringify(s.state)).toContain("formationsRecord");
    expect(s.config).toEqual({});
  });

  it("under the session lock (exclusive) the import is not read back: export, import", async () => {
    const s = new StubStack(true);
    await writeRecord(stack(s), record, undefined, { exclusive: true });
    expect(s.calls).toEqual(["export", "import"]);
    expect(JSON.stringify(s.state)).toContain("2026-12-02T10:00:00.000Z");
  });

  it("a shared config is still mirrored first, as before", async () => {
    const s = new StubStack(false);
    await writeRecord(stack(s), record);
    expect(s.calls).toEqual(["setConfig", "export", "import", "export"]);
    expect(s.config[CONFIG_KEYS.journal]?.value).toContain("2026-12-02T10:00:00.000Z");
  });

  it("pending operations leave the state alone: the record is kept in config instead", async () => {
    const s = new StubStack(true, { resources: [ROOT], pending_operations: [{ resource: { urn: "urn:x", type: "t" }, type: "creating" }] } as never);
    await writeRecord(stack(s), record);
    expect(s.calls).toEqual(["export", "setConfig"]);
    expect(s.config[CONFIG_KEYS.journal]?.value).toContain("2026-12-02T10:00:00.000Z");
  });

  it("nothing deployed yet (no root stack): the record is kept in config", async () => {
    const s = new StubStack(true, { resources: [] });
    await writeRecord(stack(s), record);
    expect(s.calls).toEqual(["export", "setConfig"]);
  });

  it("a failed import keeps the record in config and still fails", async () => {
    const s = new StubStack(true);
    s.failImport = true;
    await expect(writeRecord(stack(s), record)).rejects.toThrow(/disk full/);
    expect(s.calls).toEqual(["export", "import", "setConfig"]);
    expect(s.config[CONFIG_KEYS.formation]?.value).toBe("kind: Pool\n");
  });
});
