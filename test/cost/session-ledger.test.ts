/**
 * The session ledger wired into the session layer: `up` records each machine's launch price in
 * its journal entry, and `show` charges from those prices (not today's catalog), per state,
 * exactly. FakeEngine (a test double of the engine) stands in for Pulumi.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sessionLedger } from "../../cost/session-ledger.js";
import { SESSION_RESOURCES } from "../../cost/launch.js";
import type { JournalEntry } from "../../automation/session/session-record.js";
import { loadFormationText } from "../../format/load.js";
import { aws } from "../../clouds/aws/catalog.js";
import { planSession } from "../../plan/index.js";
import { harness, poolYaml, type Harness } from "../automation/helpers.js";

const T0 = Date.parse("2026-01-01T08:00:00.000Z");
const HOUR = 3_600_000;
/** 30 GB gp3 per hour, and the NAT gateway per hour, from the catalog. */
const DISK = (30 * 0.088) / 730;
const NAT = 0.053;

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

describe("launch prices in the journal", () => {
  it("up records each created machine's catalog price, its source and its shape", async () => {
    const s = h.another({ now: () => new Date(T0) });
    await s.up(await h.file("aws.yaml", poolYaml({ name: "cloud", provider: "aws", count: 2 })));
    const up = (await s.journal("cloud")).find((e) => e.action === "up")!;
    expect(up.added).toEqual(["machine-1", "machine-2"]);
    // One group per distinct price: a 1000-node pool is one group, not 1000 copies. The machines
    // have no public address (no allowFrom): the session's NAT gateway is priced too.
    expect(up.prices).toEqual([
      {
        machines: ["machine-1", "machine-2"],
        computeUsdPerHour: 0.0456,
        diskUsdPerHour: DISK,
        source: aws.source,
        spot: false,
        instanceType: "t3.medium",
        diskGb: 30,
        os: "linux",
      },
      {
        machines: [SESSION_RESOURCES],
        computeUsdPerHour: 0,
        diskUsdPerHour: NAT,
        source: `${aws.source}; NAT gateway`,
        spot: false,
        instanceType: "nat",
        diskGb: 0,
        os: "linux",
      },
    ]);
  });

  it("an up that changes nothing records no prices; one that adds a machine prices only that one", async () => {
    const s = h.another({ now: () => new Date(T0) });
    await s.up(await h.file("a.yaml", poolYaml({ name: "cloud", provider: "aws", count: 2 })));
    await s.up(await h.file("a.yaml", poolYaml({ name: "cloud", provider: "aws", count: 2 })));
    await s.up(await h.file("b.yaml", poolYaml({ name: "cloud", provider: "aws", count: 3 })));
    const ups = (await s.journal("cloud")).filter((e) => e.action === "up");
    expect(ups.map((e) => (e.prices ?? []).map((g) => g.machines))).toEqual([[["machine-1", "machine-2"], [SESSION_RESOURCES]], [], [["machine-3"]]]);
  });

  it("show charges the price captured at launch, not a later catalog's, exactly", async () => {
    const clock = { t: T0 };
    const s = h.another({ now: () => new Date(clock.t) });
    await s.up(await h.file("aws.yaml", poolYaml({ name: "cloud", provider: "aws", count: 2 })));
    const before = aws.instances["t3.medium"]!.usd;
    aws.instances["t3.medium"]!.usd = 1; // the catalog is updated after the launch
    try {
      clock.t += 10 * HOUR;
      const d = await s.show("cloud");
      // Per machine: 10 h x (0.0456 + 30 x 0.088 / 730) = 0.492164383... -> 492,164 micro-dollars.
      expect(d.machines.map((m) => [m.name, m.accruedUsd, m.burnUsdPerHour])).toEqual([
        ["machine-1", 0.492164, 0.049216],
        ["machine-2", 0.492164, 0.049216],
      ]);
      const { ledger, ...totals } = d.cost;
      // + 10 h of the NAT gateway at 0.053.
      expect(totals).toEqual({
        hourlyUsd: 0.151433,
        soFarUsd: 1.514329,
        since: "2026-01-01T08:00:00.000Z",
        byState: { running: 1.514329, stopped: 0, hibernated: 0 },
      });
      expect(ledger?.machines.map((m) => [m.machine, m.state, m.source, m.byState])).toEqual([
        [SESSION_RESOURCES, "running", `${aws.source}; NAT gateway`, { running: 0.53, stopped: 0, hibernated: 0 }],
        ["machine-1", "running", aws.source, { running: 0.492164, stopped: 0, hibernated: 0 }],
        ["machine-2", "running", aws.source, { running: 0.492164, stopped: 0, hibernated: 0 }],
      ]);
    } finally {
      aws.instances["t3.medium"]!.usd = before;
    }
  });

  it("a stopped machine is charged for its disk only, from the journal's stop", async () => {
    const clock = { t: T0 };
    const s = h.another({ now: () => new Date(clock.t) });
    await s.up(await h.file("aws.yaml", poolYaml({ name: "cloud", provider: "aws", count: 1 })));
    clock.t += 2 * HOUR;
    await s.setDesiredState("cloud", "machine-1", "stopped", { action: "stop" });
    clock.t += 3 * HOUR;
    const d = await s.show("cloud");
    // 2 h x (0.0456 + disk) + 3 h x disk = 0.0912 + 5 x 0.00361643835... = 0.109282, + 5 h of NAT = 0.265
    expect(d.machines[0]!.accruedUsd).toBe(0.109282);
    expect(d.cost.soFarUsd).toBe(0.374282);
    expect(d.cost.byState).toEqual({ running: 0.363433, stopped: 0.010849, hibernated: 0 });
    expect(d.cost.hourlyUsd).toBe(0.056616);
  });
});

describe("sessionLedger", () => {
  const plan = planSession(loadFormationText(poolYaml({ name: "cloud", provider: "aws", count: 2 })), { session: "cloud" });
  const e = (at: string, action: string, more: Partial<JournalEntry> = {}): JournalEntry => ({
    at: `2026-01-01T${at}:00.000Z`,
    actor: "a",
    action,
    result: "ok",
    ...more,
  });
  const now = new Date("2026-01-01T10:00:00.000Z");

  it("charges machines launched before prices were recorded at today's catalog, and says so", () => {
    const r = sessionLedger(aws, plan, [e("08:00", "up", { added: ["machine-1", "machine-2"] })], now);
    expect(r.ledger?.totalMicros).toBe(196_866); // 2 machines x 2 h x 0.049216438...
    expect(r.warnings).toEqual([
      `no launch price recorded for machine-1, machine-2 (launched by an older formations): charged at today's catalog (${aws.source})`,
    ]);
    expect(r.since).toBe("2026-01-01T08:00:00.000Z");
  });

  it("counts a machine scaled away before prices were recorded as $0, and says so", () => {
    const r = sessionLedger(
      aws,
      plan,
      [e("08:00", "up", { added: ["machine-1", "machine-2", "machine-3"] }), e("09:00", "up", { added: [], dropped: ["machine-3"] })],
      now,
    );
    expect(r.ledger?.machines.map((m) => m.machine)).toEqual(["machine-1", "machine-2", "machine-3"]);
    expect(r.ledger?.machines[2]!.accruedMicros).toBe(0);
    expect(r.warnings[1]).toBe("no launch price recorded for machine-3, no longer in the formation: counted as $0");
  });

  it("reports a journal it cannot bill instead of failing show", () => {
    const r = sessionLedger(
      aws,
      plan,
      [e("08:00", "up", { added: ["machine-1"] }), { ...e("09:00", "stop", { machine: "machine-1", to: "stopped" }), at: "yesterday" }],
      now,
    );
    expect(r.ledger).toBeUndefined();
    expect(r.error).toMatch(/^the journal cannot be billed: .*time 'yesterday' must be ISO 8601 with a zone/);
  });
});
