/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { buildLedger } from "../../cost/ledger.js";
import { LedgerError, type LaunchPrice, type LedgerEvent } from "../../cost/events.js";
import { formatUsd, microsOf, picoPerHour, usdToMicros } from "../../cost/money.js";
import { ledgerJson } from "../../cost/index.js";

const h = (hhmm: string, day = "01") => `2026-11-${day}T${hhmm}:00Z`;
/** compute 0.10, disk 0.01, address 0.005: running 0.115 USD/h, stopped or hibernated 0.015 USD/h. */
const simple: LaunchPrice = { computeUsdPerHour: 0.1, diskUsdPerHour: 0.01, addressUsdPerHour: 0.005, source: "test catalog", spot: false };

describe("ledger: one machine through its whole life", () => {
  const events: LedgerEvent[] = [
    { type: "launch", machine: "machine", at: h("09:00"), price: simple },
    { type: "state", machine: "machine", at: h("09:02"), state: "running" },
    { type: "state", machine: "machine", at: h("11:00"), state: "stopped" },
    { type: "state", machine: "machine", at: h("13:00"), state: "running" },
    { type: "state", machine: "machine", at: h("14:00"), state: "hibernated" },
    { type: "state", machine: "machine", at: h("16:00"), state: "running" },
    { type: "terminate", machine: "machine", at: h("17:00") },
  ];
  const ledger = buildLedger(events, h("18:00"));

  it("charges running (pending included) 4 h at 0.115, stopped 2 h and hibernated 2 h at 0.015, nothing after terminate", () => {
    expect(ledger.byState).toEqual({ running: 460_000, stopped: 30_000, hibernated: 30_000 });
    expect(ledger.totalMicros).toBe(520_000);
    expect(formatUsd(ledger.totalMicros)).toBe("$0.52");
    expect(ledger.burnPerHourMicros).toBe(0);
  });

  it("breaks the machine down into intervals with their rates and amounts", () => {
    const [m] = ledger.machines;
    expect(m?.state).toBe("terminated");
    expect(m?.accruedMicros).toBe(520_000);
    expect(m?.intervals.map((i) => [i.state, i.from.slice(11, 16), i.to.slice(11, 16), i.ratePerHourMicros, i.micros])).toEqual([
      ["pending", "09:00", "09:02", 115_000, 3_833],
      ["running", "09:02", "11:00", 115_000, 226_167],
      ["stopped", "11:00", "13:00", 15_000, 30_000],
      ["running", "13:00", "14:00", 115_000, 115_000],
      ["hibernated", "14:00", "16:00", 15_000, 30_000],
      ["running", "16:00", "17:00", 115_000, 115_000],
    ]);
  });
});

describe("ledger: spot interruption and price changes", () => {
  // Spot t3.medium-like: 0.0342 compute, 30 GB at 0.088 per GB-month = 0.003616438356 USD/h disk.
  const spot: LaunchPrice = { computeUsdPerHour: 0.0342, diskUsdPerHour: (30 * 0.088) / 730, source: "spot price at launch", spot: true };
  const events: LedgerEvent[] = [
    { type: "launch", machine: "worker-1", at: h("00:00"), price: spot, state: "running" },
    { type: "state", machine: "worker-1", at: h("05:30"), state: "interrupted" },
    { type: "state", machine: "worker-1", at: h("05:45"), state: "stopped" },
    { type: "state", machine: "worker-1", at: h("08:00"), state: "running" },
    { type: "price", machine: "worker-1", at: h("09:00"), computeUsdPerHour: 0.05, source: "spot price 09:00" },
  ];
  const ledger = buildLedger(events, h("10:00"));

  it("charges nothing while interrupted, the disk while stopped, and the new price from its instant", () => {
    // running: 6.5 h x 0.0342 + 1 h x 0.05 + 7.5 h x 0.003616438356 = 0.29942328767 USD
    // stopped: 2.25 h x 0.003616438356 = 0.008136986301 USD; total 0.307560273971 USD
    expect(ledger.byState).toEqual({ running: 299_423, stopped: 8_137, hibernated: 0 });
    expect(ledger.totalMicros).toBe(307_560);
    expect(ledger.machines[0]?.intervals.find((i) => i.state === "interrupted")).toMatchObject({
      from: h("05:30").replace("Z", ".000Z"),
      micros: 0,
      ratePerHourMicros: 0,
    });
  });

  it("burns the new spot price plus the disk now, and reports the price's source", () => {
    expect(ledger.burnPerHourMicros).toBe(53_616);
    expect(ledger.machines[0]).toMatchObject({ state: "running", spot: true, source: "spot price 09:00" });
  });

  it("treats a price change while stopped as the rate for the next run", () => {
    const l = buildLedger(
      [
        { type: "launch", machine: "m1", at: h("00:00"), price: simple, state: "stopped" },
        { type: "price", machine: "m1", at: h("01:00"), computeUsdPerHour: 1 },
        { type: "state", machine: "m1", at: h("02:00"), state: "running" },
      ],
      h("03:00"),
    );
    // stopped 2 h x 0.015, then running 1 h x (1 + 0.015)
    expect(l.byState).toEqual({ running: 1_015_000, stopped: 30_000, hibernated: 0 });
  });
});

describe("ledger: several machines and the order of events", () => {
  const cheap: LaunchPrice = { computeUsdPerHour: 0.0456, diskUsdPerHour: 0.001, source: "aws", spot: false };
  const events: LedgerEvent[] = [
    { type: "launch", machine: "head", at: h("08:00"), price: simple, state: "running" },
    { type: "launch", machine: "compute-10", at: h("08:00"), price: cheap, state: "running" },
    { type: "launch", machine: "compute-2", at: h("08:00"), price: cheap, state: "running" },
    { type: "state", machine: "compute-2", at: h("09:00"), state: "stopped" },
    { type: "terminate", machine: "compute-10", at: h("10:00") },
    { type: "terminate", machine: "compute-10", at: h("10:30") },
    { type: "state", machine: "compute-10", at: h("10:31"), state: "terminated" },
  ];

  it("sums machines exactly and lists them in natural order", () => {
    const l = buildLedger(events, h("12:00"));
    expect(l.machines.map((m) => [m.machine, m.accruedMicros, m.burnPerHourMicros])).toEqual([
      ["compute-2", 46_600 + 3_000, 1_000], // 1 h running at 0.0466, 3 h stopped at 0.001
      ["compute-10", 93_200, 0], // 2 h running, then terminated (repeats ignored)
      ["head", 460_000, 115_000], // 4 h running at 0.115
    ]);
    expect(l.totalMicros).toBe(602_800);
    expect(l.burnPerHourMicros).toBe(116_000);
  });

  it("sorts out-of-order events by time: any permutation gives the same ledger", () => {
    const expected = buildLedger(events, h("12:00"));
    fc.assert(
      fc.property(fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), (shuffled) => {
        expect(buildLedger(shuffled, h("12:00"))).toEqual(expected);
      }),
    );
  });

  it("keeps the input order of events at the same instant", () => {
    const at = h("10:00");
    const base: LedgerEvent[] = [{ type: "launch", machine: "m1", at: h("09:00"), price: simple, state: "running" }];
    const stopThenStart = buildLedger(
      [...base, { type: "state", machine: "m1", at, state: "stopped" }, { type: "state", machine: "m1", at, state: "running" }],
      h("11:00"),
    );
    const startThenStop = buildLedger(
      [...base, { type: "state", machine: "m1", at, state: "running" }, { type: "state", machine: "m1", at, state: "stopped" }],
      h("11:00"),
    );
    expect([stopThenStart.machines[0]?.state, stopThenStart.totalMicros]).toEqual(["running", 230_000]);
    expect([startThenStop.machines[0]?.state, startThenStop.totalMicros]).toEqual(["stopped", 130_000]);
  });

  it("starts a new life at a new price when a live machine is launched again (replaced)", () => {
    const l = buildLedger(
      [
        { type: "launch", machine: "m1", at: h("00:00"), price: simple, state: "running" },
        { type: "launch", machine: "m1", at: h("01:00"), price: { ...simple, computeUsdPerHour: 0.2, source: "resized" }, state: "running" },
        { type: "terminate", machine: "m1", at: h("02:00") },
        { type: "launch", machine: "m1", at: h("05:00"), price: simple },
      ],
      h("06:00"),
    );
    // 1 h at 0.115, 1 h at 0.215, 3 h gone, 1 h pending at 0.115
    expect(l.totalMicros).toBe(445_000);
    expect(l.machines[0]).toMatchObject({ state: "pending", source: "test catalog", burnPerHourMicros: 115_000 });
  });

  it("takes an event stamped after now as happening now: current state, no time", () => {
    const l = buildLedger(
      [
        { type: "launch", machine: "m1", at: h("00:00"), price: simple, state: "running" },
        { type: "state", machine: "m1", at: h("02:05"), state: "stopped" },
      ],
      h("02:00"),
    );
    expect(l.totalMicros).toBe(230_000);
    expect(l.burnPerHourMicros).toBe(15_000);
    expect(l.machines[0]?.state).toBe("stopped");
  });
});

describe("ledger: rejected input", () => {
  const launch: LedgerEvent = { type: "launch", machine: "m1", at: h("00:00"), price: simple };
  const cases: [string, LedgerEvent[], RegExp][] = [
    [
      "an event before the machine's launch",
      [
        { type: "state", machine: "m1", at: h("00:00"), state: "running" },
        { ...launch, at: h("01:00") },
      ],
      /event 0 .*no launch before/,
    ],
    [
      "a state change after termination",
      [launch, { type: "terminate", machine: "m1", at: h("01:00") }, { type: "state", machine: "m1", at: h("02:00"), state: "running" }],
      /event 2 .*was terminated/,
    ],
    [
      "a price change after termination",
      [launch, { type: "terminate", machine: "m1", at: h("01:00") }, { type: "price", machine: "m1", at: h("02:00"), computeUsdPerHour: 1 }],
      /event 2 .*was terminated/,
    ],
    ["a time without a zone", [{ ...launch, at: "2026-11-01T09:00:00" }], /event 0: time .* with a zone/],
    ["a time that is not a time", [{ ...launch, at: "yesterday Z" }], /not a valid ISO 8601/],
    ["a negative price", [{ ...launch, price: { ...simple, diskUsdPerHour: -0.01 } }], /diskUsdPerHour: a price must be a finite number >= 0/],
    ["a missing machine name", [{ ...launch, machine: "" }], /event 0: a machine name is required/],
  ];
  it.each(cases)("rejects %s", (_name, events, message) => {
    expect(() => buildLedger(events, h("03:00"))).toThrow(LedgerError);
    expect(() => buildLedger(events, h("03:00"))).toThrow(message);
  });

  it("gives the position of the offending event", () => {
    try {
      buildLedger(cases[1]![1], h("03:00"));
      expect.unreachable();
    } catch (e) {
      expect((e as LedgerError).index).toBe(2);
    }
  });
});

describe("ledger: arithmetic", () => {
  it("rounds once, half up, to the micro-dollar", () => {
    const tiny: LaunchPrice = { computeUsdPerHour: 0.000001, diskUsdPerHour: 0, source: "t", spot: false };
    const at = (ms: number) => new Date(Date.parse(h("00:00")) + ms).toISOString();
    const ledger = (ms: number) => buildLedger([{ type: "launch", machine: "m", at: h("00:00"), price: tiny, state: "running" }], at(ms)).totalMicros;
    expect(ledger(1_800_000)).toBe(1); // exactly half a micro-dollar
    expect(ledger(1_799_999)).toBe(0);
  });

  it("holds list prices exactly and derived ones to 1e-12 USD/h", () => {
    expect(picoPerHour(0.0456, "p")).toBe(45_600_000_000n);
    expect(picoPerHour((30 * 0.088) / 730, "p")).toBe(3_616_438_356n);
    expect(microsOf(picoPerHour(63.3, "p") * 3_600_000n * 24n * 365n)).toBe(554_508_000_000);
    expect(usdToMicros(50)).toBe(50_000_000);
  });

  it("charges a year of a large machine without losing a micro-dollar", () => {
    const p5: LaunchPrice = { computeUsdPerHour: 63.3, diskUsdPerHour: 0, source: "aws", spot: false };
    const l = buildLedger([{ type: "launch", machine: "gpu", at: "2026-01-01T00:00:00Z", price: p5, state: "running" }], "2027-01-01T00:00:00Z");
    expect(l.totalMicros).toBe(554_508_000_000); // 8760 h x 63.3
  });

  it("never changes the total when a running machine gets redundant state events", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3_600_000 * 10 - 1 }), { maxLength: 20 }), (offsets) => {
        const start = Date.parse(h("00:00"));
        const extra: LedgerEvent[] = offsets.map((o) => ({ type: "state", machine: "m", at: new Date(start + o).toISOString(), state: "running" }));
        const l = buildLedger(
          [{ type: "launch", machine: "m", at: h("00:00"), price: { ...simple, diskUsdPerHour: 1 / 730 }, state: "running" }, ...extra],
          h("10:00"),
        );
        // 10 h x (0.1 + 0.005 + 0.001369863014) = 1.06369863014 USD
        expect(l.totalMicros).toBe(1_063_699);
      }),
    );
  });
});

describe("ledger in dollars", () => {
  it("gives every amount as USD exact to the micro-dollar", () => {
    const l = buildLedger(
      [
        {
          type: "launch",
          machine: "m1",
          at: h("00:00"),
          price: { computeUsdPerHour: 0.0342, diskUsdPerHour: (30 * 0.088) / 730, source: "s", spot: true },
          state: "running",
        },
      ],
      h("02:30"),
    );
    // 2.5 h x 0.037816438356 = 0.09454109589 USD
    expect(ledgerJson(l)).toEqual({
      now: "2026-11-01T02:30:00.000Z",
      accruedUsd: 0.094541,
      burnUsdPerHour: 0.037816,
      byState: { running: 0.094541, stopped: 0, hibernated: 0 },
      machines: [
        {
          machine: "m1",
          state: "running",
          spot: true,
          source: "s",
          accruedUsd: 0.094541,
          burnUsdPerHour: 0.037816,
          byState: { running: 0.094541, stopped: 0, hibernated: 0 },
        },
      ],
    });
  });
});
