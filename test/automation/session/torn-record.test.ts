/**
 * Test layer: unit, with FakeEngine (a test double of the Pulumi engine) and test-double drivers; not end-to-end.
 * A torn session record (issue 12, item 9): unit tests of the record parsers, then the Sessions
 * library against FakeEngine (a test double: no Pulumi). A part of the record that is there but
 * unreadable (a truncated journal, desired states of the wrong shape) must never read back as
 * empty: the other copy is used when intact, else the operation stops (exit 3) and writes nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DamagedRecordError, exitCodeOf } from "../../../automation/session/errors.js";
import {
  CONFIG_KEYS,
  emptyRecord,
  readRecordConfig,
  readRecordOutputs,
  recordOutput,
  recordToConfig,
  withJournal,
} from "../../../automation/session/session-record.js";
import { readSession } from "../../../automation/session/record-store.js";
import { harness, poolYaml, type Harness } from "../helpers.js";

const entry = { at: "2026-01-01T00:00:00.000Z", actor: "alice@laptop", action: "up", result: "ok" };
const record = withJournal(emptyRecord("kind: Pool", "pool.yaml"), entry);

describe("reading a record reports damaged parts", () => {
  it("an intact record has none", () => {
    expect(readRecordConfig(recordToConfig(record))).toEqual({ record, damaged: [] });
    expect(
      readRecordOutputs({ formationsText: { value: "kind: Pool", secret: true }, formationsRecord: { value: recordOutput(record), secret: false } }),
    ).toEqual({ record, damaged: [] });
  });

  it("a truncated journal or desired-state JSON in config is damage, not an empty part", () => {
    const config = recordToConfig(record);
    config[CONFIG_KEYS.journal] = { value: JSON.stringify(record.journal).slice(0, 30) };
    config[CONFIG_KEYS.desired] = { value: '{"machine-1":"stop' };
    expect(readRecordConfig(config).damaged).toEqual(["formations:desired", "formations:journal"]);
  });

  it("a part of the wrong shape is damage too; unknown entries inside a part are not (other versions)", () => {
    const config = recordToConfig(record);
    config[CONFIG_KEYS.journal] = { value: '{"at":"t"}' };
    config[CONFIG_KEYS.snapshots] = { value: '[{"nonsense":true}]' };
    expect(readRecordConfig(config).damaged).toEqual(["formations:journal"]);
    const outputs = {
      formationsText: { value: "kind: Pool", secret: true },
      formationsRecord: { value: { ...recordOutput(record), removed: [] }, secret: false },
    };
    expect(readRecordOutputs(outputs).damaged).toEqual(["formationsRecord.removed"]);
    expect(readRecordOutputs({ ...outputs, formationsRecord: { value: "garbage", secret: false } })).toEqual({
      record: undefined,
      damaged: ["formationsRecord"],
    });
  });
});

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

const configJournal = () => h.engine.state("lab").config[CONFIG_KEYS.journal]!.value;

describe("a torn record in a session's stack", () => {
  it("a truncated journal in config falls back to the intact copy in the state, and the next write keeps the history", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    const torn = configJournal().slice(0, 40);
    h.engine.state("lab").config[CONFIG_KEYS.journal] = { value: torn };
    expect((await h.sessions.journal("lab")).map((e) => e.action)).toEqual(["up"]);
    await h.sessions.up(await h.file("lab.yaml", poolYaml({ count: 4 })));
    expect((JSON.parse(configJournal()) as { action: string }[]).map((e) => e.action)).toEqual(["up", "up"]);
  });

  it("torn desired states in the newer copy are not read as 'every machine running': the intact copy wins", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    const state = h.engine.state("lab");
    // The state's copy says machine-1 is stopped; config is one entry newer, its desired states cut short.
    state.outputs.formationsRecord = { value: { ...(state.outputs.formationsRecord!.value as object), desired: { "machine-1": "stopped" } }, secret: false };
    const newer = [...(JSON.parse(configJournal()) as object[]), { ...entry, at: "2027-01-01T00:00:00.000Z", action: "stop" }];
    state.config[CONFIG_KEYS.journal] = { value: JSON.stringify(newer) };
    state.config[CONFIG_KEYS.desired] = { value: '{"machine-1":"stopp' };
    const { record: read } = await readSession(await h.engine.selectStack("lab"));
    expect(read?.desired).toEqual({ "machine-1": "stopped" });
  });

  it("with no intact copy, reads and operations stop with exit 3 naming the part, and nothing is written", async () => {
    await h.sessions.up(await h.file("lab.yaml", poolYaml()));
    const state = h.engine.state("lab");
    const torn = configJournal().slice(0, 40);
    state.config[CONFIG_KEYS.journal] = { value: torn };
    state.outputs.formationsRecord = { value: { ...(state.outputs.formationsRecord!.value as object), journal: "cut" }, secret: false };
    const err = await h.sessions.show("lab").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DamagedRecordError);
    expect(exitCodeOf(err)).toBe(3);
    expect((err as Error).message).toMatch(
      /^the record of session 'lab' is damaged \(formations:journal, formationsRecord\.journal: cut short or not of the right shape\)/,
    );
    const calls = h.engine.calls.length;
    await expect(h.sessions.up(await h.file("lab.yaml", poolYaml({ count: 4 })))).rejects.toBeInstanceOf(DamagedRecordError);
    expect(h.engine.calls.slice(calls).filter((c) => /^(setConfig|import|up):/.test(c))).toEqual([]);
    expect(configJournal()).toBe(torn);
  });
});
