/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
import { describe, expect, it } from "vitest";
import { eventsFromJournal, type JournalEntry } from "../../cost/journal.js";
import { buildLedger } from "../../cost/ledger.js";
import { priceAtLaunch } from "../../cost/price.js";
import { pricesForUp, SESSION_RESOURCES } from "../../cost/launch.js";
import { LedgerError, type LaunchPrice } from "../../cost/events.js";
import { aws } from "../../clouds/aws/catalog.js";
import { docker } from "../../clouds/docker/catalog.js";

const h = (hhmm: string) => `2026-11-01T${hhmm}:00Z`;
const head: LaunchPrice = { computeUsdPerHour: 0.107, diskUsdPerHour: 0.003, source: "aws list", spot: false };
const node: LaunchPrice = { computeUsdPerHour: 0.0456, diskUsdPerHour: 0.002, source: "aws list", spot: false };
const ctx = { machines: ["head", "compute-1"], prices: { head, "compute-1": node } };

describe("eventsFromJournal", () => {
  // As the session layer writes it (automation/session/session-record.ts): result ok/failed/cancelled/recorded.
  const journal: JournalEntry[] = [
    { at: h("08:00"), actor: "alice@lab", action: "up", result: "ok" },
    { at: h("09:00"), actor: "alice@lab", action: "stop", machine: "compute-1", from: "running", to: "stopped", result: "ok" },
    {
      at: h("09:30"),
      actor: "alice@lab",
      action: "start",
      machine: "compute-1",
      from: "stopped",
      to: "running",
      result: "failed",
      detail: "InsufficientInstanceCapacity",
    },
    { at: h("10:00"), actor: "alice@lab", action: "snapshot", machine: "head", result: "ok", detail: "head-img" },
    { at: h("10:30"), actor: "enforce", action: "budget", result: "done", budget: { usd: 1, action: "notify" } },
    { at: h("11:00"), actor: "ci", action: "hibernate", to: "hibernated", result: "ok" },
    { at: h("11:30"), actor: "alice@lab", action: "up", result: "ok", added: [] },
    { at: h("12:00"), actor: "refresh", action: "price", machine: "head", price: { computeUsdPerHour: 0.2, source: "re-priced" }, result: "ok" },
    { at: h("12:30"), actor: "refresh", action: "drift", machine: "head", to: "unknown", result: "recorded" },
    { at: h("13:00"), actor: "alice@lab", action: "destroy", result: "ok" },
  ];

  it("reads launches, state changes, prices and terminations; skips the rest with a reason", () => {
    const { events, skipped, warnings } = eventsFromJournal(journal, ctx);
    expect(events.map((e) => `${e.type} ${e.machine} ${e.at.slice(11, 16)}${e.type === "state" ? " " + e.state : ""}`)).toEqual([
      "launch head 08:00",
      "launch compute-1 08:00",
      "state compute-1 09:00 stopped",
      "state head 11:00 hibernated",
      "state compute-1 11:00 hibernated",
      "price head 12:00",
      "terminate head 13:00",
      "terminate compute-1 13:00",
    ]);
    expect(skipped).toEqual([
      { index: 2, why: "failed: changed nothing" },
      { index: 3, why: "snapshot: no state change" },
      { index: 4, why: "budget: no state change" },
      { index: 6, why: "up: no machine created or deleted" },
      { index: 8, why: "drift: state 'unknown' is not a machine state" },
    ]);
    expect(warnings).toEqual([]);
  });

  it("gives a ledger with exact amounts", () => {
    const ledger = buildLedger(eventsFromJournal(journal, ctx).events, h("14:00"));
    // head: 3 h running at 0.110, 2 h hibernated at 0.003 -> 0.336
    // compute-1: 1 h running at 0.0476, 2 h stopped + 2 h hibernated at 0.002 -> 0.0556
    expect(ledger.machines.map((m) => [m.machine, m.accruedMicros])).toEqual([
      ["compute-1", 55_600],
      ["head", 336_000],
    ]);
    expect(ledger.byState).toEqual({ running: 377_600, stopped: 4_000, hibernated: 10_000 });
    expect(ledger.totalMicros).toBe(391_600);
  });

  it("reads journal entries in time order, whatever their position", () => {
    const shuffled = [journal[9]!, ...journal.slice(0, 9).reverse()];
    const a = buildLedger(eventsFromJournal(journal, ctx).events, h("14:00"));
    const b = buildLedger(eventsFromJournal(shuffled, ctx).events, h("14:00"));
    expect(b).toEqual(a);
  });

  it("follows the machines an up adds and drops, drift found outside formations, and skips cancelled operations", () => {
    const { events, skipped } = eventsFromJournal(
      [
        { at: h("08:00"), action: "up", result: "ok", added: ["head"] },
        { at: h("09:00"), action: "up", result: "ok", added: ["compute-1"] },
        { at: h("10:00"), action: "up", result: "cancelled", added: ["compute-2"] },
        { at: h("11:00"), action: "drift", machine: "compute-1", from: "running", to: "stopped", result: "recorded" },
        { at: h("12:00"), action: "drift", machine: "head", from: "running", to: "terminated", result: "recorded" },
        { at: h("13:00"), action: "up", result: "ok", added: ["head"], dropped: ["compute-1"] },
      ],
      { machines: ["head", "compute-1", "compute-2"], prices: { head, "compute-1": node, "compute-2": node } },
    );
    expect(events.map((e) => `${e.type} ${e.machine} ${e.at.slice(11, 16)}`)).toEqual([
      "launch head 08:00",
      "launch compute-1 09:00",
      "state compute-1 11:00",
      "terminate head 12:00",
      "launch head 13:00",
      "terminate compute-1 13:00",
    ]);
    expect(skipped).toEqual([{ index: 2, why: "cancelled: changed nothing" }]);
  });

  it("counts a machine whose launch fell off a capped journal from its first entry, and warns", () => {
    const { events, skipped, warnings } = eventsFromJournal(
      [
        { at: h("09:00"), action: "stop", machine: "head", from: "running", to: "stopped", result: "ok" },
        { at: h("10:00"), action: "start", machine: "ghost", to: "running", result: "ok" },
      ],
      ctx,
    );
    expect(events).toEqual([{ type: "launch", machine: "head", at: h("09:00"), price: head, state: "stopped" }]);
    expect(warnings).toEqual([`the journal has no launch of 'head': its cost is counted from ${h("09:00")} only`]);
    expect(skipped).toEqual([{ index: 1, why: "start: machine 'ghost' is not alive" }]);
  });

  it("prefers the price carried by a launch entry, and fails without any price", () => {
    const withPrice = eventsFromJournal(
      [{ at: h("08:00"), action: "launch", machine: "extra", price: { computeUsdPerHour: 1, diskUsdPerHour: 0, source: "entry", spot: true }, to: "running" }],
      ctx,
    );
    expect(withPrice.events).toEqual([
      { type: "launch", machine: "extra", at: h("08:00"), price: { computeUsdPerHour: 1, diskUsdPerHour: 0, source: "entry", spot: true }, state: "running" },
    ]);
    expect(() => eventsFromJournal([{ at: h("08:00"), action: "launch", machine: "extra" }], ctx)).toThrow(LedgerError);
    expect(() => eventsFromJournal([{ at: h("08:00"), action: "launch", machine: "extra" }], ctx)).toThrow(/no launch price for machine 'extra'/);
  });

  it("charges each machine at the price its up entry captured, not at today's catalog", () => {
    const captured = {
      machines: ["head"],
      computeUsdPerHour: 0.1,
      diskUsdPerHour: 0.004,
      source: "aws catalog 2026-10",
      spot: false,
      instanceType: "t3.large",
      diskGb: 30,
    };
    const { events } = eventsFromJournal([{ at: h("08:00"), action: "up", result: "ok", added: ["head"], prices: [captured] }], ctx);
    // The shape fields ride along in the journal; the ledger reads the prices and the source only.
    // A finished up left its machines running (billed as pending would be, but named right).
    expect(events).toEqual([
      {
        type: "launch",
        machine: "head",
        at: h("08:00"),
        price: { computeUsdPerHour: 0.1, diskUsdPerHour: 0.004, source: "aws catalog 2026-10", spot: false },
        state: "running",
      },
    ]);
    expect(buildLedger(events, h("10:00")).totalMicros).toBe(208_000);
  });

  it("re-prices a machine reshaped in place from that up on, in the state it was in", () => {
    const big = { computeUsdPerHour: 0.5, diskUsdPerHour: 0.01, source: "resized", spot: false };
    const { events } = eventsFromJournal(
      [
        { at: h("08:00"), action: "up", result: "ok", added: ["head", "compute-1"] },
        { at: h("09:00"), action: "stop", machine: "compute-1", to: "stopped", result: "ok" },
        { at: h("10:00"), action: "up", result: "ok", added: [], prices: [{ machines: ["head", "compute-1"], ...big }] },
      ],
      ctx,
    );
    expect(events.slice(3)).toEqual([
      { type: "launch", machine: "head", at: h("10:00"), price: big, state: "running" },
      { type: "launch", machine: "compute-1", at: h("10:00"), price: big, state: "stopped" },
    ]);
    const ledger = buildLedger(events, h("11:00"));
    // head: 2 h at 0.110 + 1 h at 0.51; compute-1: 1 h at 0.0476, 1 h stopped at 0.002, 1 h stopped at 0.01.
    expect(ledger.machines.map((m) => [m.machine, m.accruedMicros])).toEqual([
      ["compute-1", 59_600],
      ["head", 730_000],
    ]);
  });

  it("re-launches a session after it was destroyed", () => {
    const { events } = eventsFromJournal(
      [
        { at: h("08:00"), action: "up", result: "ok" },
        { at: h("09:00"), action: "destroy", result: "ok" },
        { at: h("10:00"), action: "up", result: "ok" },
      ],
      ctx,
    );
    expect(events.filter((e) => e.type === "launch")).toHaveLength(4);
  });
});

describe("priceAtLaunch", () => {
  const t3 = { instanceType: "t3.medium", diskGb: 30, spot: false, image: { os: "linux" as const } };

  it("prices an on-demand machine from the catalog", () => {
    expect(priceAtLaunch(aws, t3)).toEqual({ computeUsdPerHour: 0.0456, diskUsdPerHour: (30 * 0.088) / 730, source: aws.source, spot: false });
  });

  it("prices a spot machine at the real spot price when given, else at the catalog's factor", () => {
    const real = priceAtLaunch(aws, { ...t3, spot: true }, { spotUsdPerHour: 0.0171, spotSource: "EC2 spot price history eu-west-1a 2026-11-01T08:00Z" });
    expect(real).toMatchObject({ computeUsdPerHour: 0.0171, spot: true, source: `EC2 spot price history eu-west-1a 2026-11-01T08:00Z; disk: ${aws.source}` });
    const estimated = priceAtLaunch(aws, { ...t3, spot: true });
    expect(estimated.computeUsdPerHour).toBeCloseTo(0.0456 * 0.35, 12);
    expect(estimated.source).toBe(`${aws.source}; spot estimated at 0.35 x on-demand (long-run average)`);
  });

  it("adds the Windows licence, and an address price when there is one", () => {
    const win = priceAtLaunch(
      aws,
      { instanceType: "m6i.large", diskGb: 50, spot: true, image: { os: "windows" } },
      { spotUsdPerHour: 0.04, addressUsdPerHour: 0.005 },
    );
    expect(win).toMatchObject({ computeUsdPerHour: 0.04 + 0.092, addressUsdPerHour: 0.005 });
  });

  it("says so when the instance type is not in the catalog", () => {
    expect(priceAtLaunch(aws, { ...t3, instanceType: "x9.huge" })).toMatchObject({
      computeUsdPerHour: 0.2,
      source: `${aws.source}; x9.huge not in the catalog, priced at its default 0.2 USD/h`,
    });
  });

  it("charges nothing on docker, and does not call its sizes unknown", () => {
    expect(priceAtLaunch(docker, { ...t3, instanceType: "2cpu-4g" })).toEqual({ computeUsdPerHour: 0, diskUsdPerHour: 0, source: docker.source, spot: false });
  });

  it("an up records one price group per distinct price, and re-prices only reshaped machines", () => {
    const m = (name: string, instanceType = "t3.medium") => ({ name, instanceType, diskGb: 30, spot: false, image: { os: "linux" as const }, public: true });
    const plan = (...machines: ReturnType<typeof m>[]) => ({ machines, network: {} });
    const first = pricesForUp(aws, plan(m("head", "m6i.large"), m("compute-1"), m("compute-2")), ["head", "compute-1", "compute-2"], []);
    expect(first.map((g) => [g.machines, g.instanceType, g.computeUsdPerHour])).toEqual([
      [["head"], "m6i.large", 0.107],
      [["compute-1", "compute-2"], "t3.medium", 0.0456],
    ]);
    const journal = [{ action: "up", result: "ok", prices: first }];
    expect(pricesForUp(aws, plan(m("head", "m6i.large"), m("compute-1"), m("compute-2")), [], journal)).toEqual([]);
    expect(
      pricesForUp(aws, plan(m("head", "m6i.xlarge"), m("compute-1"), m("compute-2"), m("compute-3")), ["compute-3"], journal).map((g) => g.machines),
    ).toEqual([["head"], ["compute-3"]]);
    // No captured price (an older session): left to the ledger's fallback.
    expect(pricesForUp(aws, plan(m("head", "m6i.xlarge")), [], [{ action: "up", result: "ok" }])).toEqual([]);
  });

  it("prices the session's own resources (shared storage, NAT gateway) on its first up, and again only when they change", () => {
    const node = { name: "compute-1", instanceType: "t3.medium", diskGb: 30, spot: false, image: { os: "linux" as const }, public: false };
    const plan = { machines: [node], storage: { sizeGb: 100, mountPath: "/shared", kind: "managed" as const }, network: {} };
    const [, session] = pricesForUp(aws, plan, ["compute-1"], []);
    const storage = (100 * aws.sharedStorageGbMonthUsd) / 730;
    expect(session).toEqual({
      machines: [SESSION_RESOURCES],
      computeUsdPerHour: 0,
      diskUsdPerHour: storage + aws.privateEgressUsd!,
      source: `${aws.source}; shared storage 100 GB + NAT gateway`,
      spot: false,
      instanceType: "nat",
      diskGb: 100,
      os: "linux",
    });
    const journal = [{ action: "up", result: "ok", prices: [session] }];
    expect(pricesForUp(aws, plan, [], journal)).toEqual([]);
    expect(pricesForUp(aws, { ...plan, storage: { ...plan.storage, sizeGb: 200 } }, [], journal).map((g) => [g.machines, g.diskGb])).toEqual([
      [[SESSION_RESOURCES], 200],
    ]);
    // A given network: no NAT gateway of ours; no managed storage: nothing to price.
    expect(pricesForUp(aws, { machines: [node], network: { existing: { id: "vpc-1" } } }, ["compute-1"], []).map((g) => g.machines)).toEqual([["compute-1"]]);
    // The ledger charges them in every state, from the first up to the destroy.
    const { events } = eventsFromJournal(
      [
        { at: h("08:00"), action: "up", result: "ok", added: ["compute-1"], prices: pricesForUp(aws, plan, ["compute-1"], []) },
        { at: h("10:00"), action: "stop", to: "stopped", result: "ok" },
        { at: h("12:00"), action: "destroy", result: "ok" },
      ],
      { machines: ["compute-1"] },
    );
    const ledger = buildLedger(events, h("13:00"));
    expect(ledger.machines.map((l) => [l.machine, l.accruedMicros])).toEqual([
      [SESSION_RESOURCES, Math.round(4 * (storage + aws.privateEgressUsd!) * 1e6)],
      ["compute-1", Math.round((2 * 0.0456 + (4 * 30 * 0.088) / 730) * 1e6)],
    ]);
  });

  it("adds the managed big-data service's fee to its nodes' compute price", () => {
    const p = priceAtLaunch(aws, { instanceType: "m6i.large", diskGb: 30, spot: false, image: { os: "linux" }, managedBy: "bigdata" });
    expect(p.computeUsdPerHour).toBeCloseTo(0.107 + aws.bigDataNodeUsd, 12);
    expect(p.source).toBe(`${aws.source}; + ${aws.bigDataNodeUsd} USD/h managed big-data service fee`);
  });
});
