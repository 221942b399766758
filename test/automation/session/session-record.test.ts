/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
import { describe, expect, it } from "vitest";
import {
  CONFIG_KEYS,
  emptyRecord,
  JOURNAL_LIMIT,
  mergeJournals,
  mergeSnapshots,
  newest,
  recordFromConfig,
  recordFromOutputs,
  recordOutput,
  recordToConfig,
  withJournal,
  type SessionRecord,
} from "../../../automation/session/session-record.js";
import { actor } from "../../../automation/session/actor.js";

const record: SessionRecord = {
  formation: "apiVersion: formations/v1\nkind: Pool\n",
  file: "formations/docker/pool.yaml",
  desired: { "machine-2": "stopped" },
  removed: { "machine-3": { at: "2026-01-02T00:00:00.000Z", urns: ["urn:a", "urn:b"] } },
  snapshots: [{ machine: "machine-1", name: "img-1", at: "2026-01-03T00:00:00.000Z" }],
  journal: [{ at: "2026-01-01T00:00:00.000Z", actor: "alice@laptop", action: "up", result: "ok", added: ["machine-1"] }],
  deleted: { "machine-4": { at: "2026-01-04T00:00:00.000Z", by: "alice@laptop" } },
};

describe("the session record in stack config", () => {
  it("uses the formations:* keys, with the formation text as a secret", () => {
    const config = recordToConfig(record);
    expect(Object.keys(config).sort()).toEqual(Object.values(CONFIG_KEYS).sort());
    expect(config["formations:formation"]).toEqual({ value: record.formation, secret: true });
    expect(config["formations:file"]?.secret).toBeUndefined();
    expect(JSON.parse(config["formations:desired"]!.value)).toEqual({ "machine-2": "stopped" });
    expect(JSON.parse(config["formations:journal"]!.value)).toEqual(record.journal);
  });

  it("round-trips through config and through the outputs kept in state", () => {
    expect(recordFromConfig(recordToConfig(record))).toEqual(record);
    const outputs = { formationsText: { value: record.formation, secret: true }, formationsRecord: { value: recordOutput(record), secret: false } };
    expect(recordFromOutputs(outputs)).toEqual(record);
  });

  it("reads damaged or foreign values defensively instead of failing", () => {
    const config = {
      "formations:formation": { value: "kind: Pool" },
      "formations:desired": { value: '{"a":"running","b":"exploded","c":7}' },
      "formations:removed": { value: "not json" },
      "formations:journal": { value: '[{"at":"t","action":"up","result":"ok"},{"nonsense":true},3]' },
    };
    expect(recordFromConfig(config)).toEqual({
      formation: "kind: Pool",
      file: "",
      desired: { a: "running" },
      removed: {},
      snapshots: [],
      journal: [{ at: "t", action: "up", result: "ok" }],
      deleted: {},
    });
    expect(recordFromConfig({})).toBeUndefined();
    expect(recordFromOutputs({ formationsText: { value: "x", secret: true } })).toBeUndefined();
  });

  it("keeps the newest JOURNAL_LIMIT entries", () => {
    let r = emptyRecord("x", "f");
    for (let i = 0; i < JOURNAL_LIMIT + 5; i++) r = withJournal(r, { at: `t${i}`, actor: "a", action: "up", result: "ok" });
    expect(r.journal).toHaveLength(JOURNAL_LIMIT);
    expect(r.journal[0]!.at).toBe("t5");
  });

  it("prefers the record with the later last journal entry", () => {
    const later = withJournal(record, { at: "2026-02-01T00:00:00.000Z", actor: "a", action: "refresh", result: "ok" });
    expect(newest(record, later)).toBe(later);
    expect(newest(later, record)).toBe(later);
    expect(newest(undefined, record)).toBe(record);
  });
});

describe("the journal's actor", () => {
  it("names the CI run when a pipeline runs it", () => {
    expect(actor({ GITHUB_ACTIONS: "true", GITHUB_ACTOR: "octo", GITHUB_REPOSITORY: "org/infra", GITHUB_RUN_ID: "42" })).toBe("github:octo@org/infra#42");
    expect(actor({ GITLAB_CI: "true", GITLAB_USER_LOGIN: "gl", CI_PROJECT_PATH: "g/p", CI_PIPELINE_ID: "7" })).toBe("gitlab:gl@g/p#7");
    expect(actor({ CI: "true" }, () => "runner@ci-1")).toBe("ci:runner@ci-1");
  });

  it("is user@host locally, and FORMATIONS_ACTOR overrides everything", () => {
    expect(actor({}, () => "alice@laptop")).toBe("alice@laptop");
    expect(actor({ FORMATIONS_ACTOR: "release-bot", GITHUB_ACTIONS: "true" })).toBe("release-bot");
    expect(actor({})).toMatch(/^[^@\s]+@[^@\s]+$/);
  });
});

describe("two writers of one record", () => {
  const e = (at: string, action: string, actor = "alice@laptop") => ({ at, actor, action, result: "ok" });
  const base = [e("2026-01-01T00:00:00.000Z", "up")];

  it("keep both their new entries: the state's first, then the writer's the state lacks", () => {
    const stored = [...base, e("2026-01-01T00:05:00.000Z", "stop", "bob@ci")];
    const mine = [...base, e("2026-01-01T00:04:00.000Z", "refresh")];
    expect(mergeJournals(stored, mine)).toEqual([...stored, mine[1]]);
  });

  it("match an entry read back from the state whatever its keys' order", () => {
    const readBack = [{ result: "ok", action: "up", actor: "alice@laptop", at: "2026-01-01T00:00:00.000Z" }];
    expect(mergeJournals(readBack, base)).toEqual(readBack);
  });

  it("never bring back entries the limit dropped from the state", () => {
    const stored = [e("2026-01-02T00:00:00.000Z", "up")];
    expect(mergeJournals(stored, [...base, ...stored])).toEqual(stored);
  });

  it("keep every snapshot taken by either", () => {
    const a = { machine: "machine-1", name: "img-a", at: "2026-01-01T00:00:00.000Z" };
    const b = { machine: "machine-2", name: "img-b", at: "2026-01-01T00:01:00.000Z" };
    expect(mergeSnapshots([a], [b])).toEqual([b, a]);
    expect(mergeSnapshots([a], [a])).toEqual([a]);
  });
});
