/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
import { describe, expect, it } from "vitest";
import {
  decideBudget,
  decideBudgets,
  decideIdle,
  enforcementEntry,
  lastEnforcement,
  parseVerdict,
  verdictFromConsole,
  type IdleInput,
  type IdleVerdict,
} from "../../cost/budget.js";
import { buildLedger } from "../../cost/ledger.js";
import type { JournalEntry } from "../../cost/journal.js";
import type { LaunchPrice } from "../../cost/events.js";

const h = (hhmm: string) => `2026-11-01T${hhmm}:00Z`;
/** 10.24 USD per hour running: 5 h accrue $51.20. */
const big: LaunchPrice = { computeUsdPerHour: 10.24, diskUsdPerHour: 0, source: "t", spot: false };
const ledgerAt = (now: string) => buildLedger([{ type: "launch", machine: "m1", at: h("00:00"), price: big, state: "running" }], now);

describe("budgets", () => {
  it("stops a session whose accrued cost reached its budget, saying by how much", () => {
    const d = decideBudget({ session: "lab", ledger: ledgerAt(h("05:00")), budget: { usd: 50, action: "stop" } });
    expect(d).toMatchObject({
      session: "lab",
      decision: "stop",
      reason: "budget $50.00 reached: accrued $51.20",
      breached: true,
      accruedMicros: 51_200_000,
      budgetMicros: 50_000_000,
    });
  });

  it("does nothing within budget", () => {
    const d = decideBudget({ session: "lab", ledger: ledgerAt(h("04:00")), budget: { usd: 50, action: "stop" } });
    expect(d).toMatchObject({ decision: "ok", reason: "within budget $50.00: accrued $40.96", breached: false });
  });

  it("acts at exactly the budget, and never shows a figure below it as reaching it", () => {
    // 50 / 10.24 h = 4 h 52 min 58.125 s
    const exactly = decideBudget({ session: "lab", ledger: ledgerAt("2026-11-01T04:52:58.125Z"), budget: { usd: 50, action: "hibernate" } });
    expect([exactly.decision, exactly.accruedMicros]).toEqual(["hibernate", 50_000_000]);
    const justBelow = decideBudget({ session: "lab", ledger: ledgerAt("2026-11-01T04:52:58.124Z"), budget: { usd: 50, action: "hibernate" } });
    expect([justBelow.decision, justBelow.reason]).toEqual(["ok", "within budget $50.00: accrued $49.99"]);
  });

  it("defaults to notify, as the schema does", () => {
    expect(decideBudget({ session: "lab", ledger: ledgerAt(h("05:00")), budget: { usd: 50 } }).decision).toBe("notify");
  });

  it("reports ok without a budget", () => {
    expect(decideBudget({ session: "lab", ledger: ledgerAt(h("05:00")) })).toMatchObject({
      decision: "ok",
      reason: "no budget: accrued $51.20",
      breached: false,
    });
  });

  describe("never acts twice on the same breach", () => {
    const first = decideBudget({ session: "lab", ledger: ledgerAt(h("05:00")), budget: { usd: 50, action: "stop" } });
    const journal: JournalEntry[] = [enforcementEntry(first, h("05:01"), "ok")];

    it("records the enforcement as a journal entry", () => {
      expect(journal[0]).toEqual({
        at: h("05:01"),
        actor: "enforce",
        action: "budget",
        result: "ok",
        detail: "stop: budget $50.00 reached: accrued $51.20",
        budget: { usd: 50, action: "stop", accruedMicros: 51_200_000, reason: "budget $50.00 reached: accrued $51.20" },
      });
      expect(lastEnforcement(journal)).toEqual({ at: h("05:01"), usd: 50, action: "stop" });
    });

    it("does not stop again after the user started the machines", () => {
      const d = decideBudget({ session: "lab", ledger: ledgerAt(h("07:00")), budget: { usd: 50, action: "stop" }, journal });
      expect(d).toMatchObject({
        decision: "ok",
        breached: true,
        reason: `budget $50.00 reached: accrued $71.68; stop already taken at ${h("05:01")}`,
        alreadyActed: { usd: 50, action: "stop" },
      });
    });

    it("acts on a raised budget once it is reached", () => {
      expect(decideBudget({ session: "lab", ledger: ledgerAt(h("07:00")), budget: { usd: 100, action: "stop" }, journal }).decision).toBe("ok");
      const d = decideBudget({ session: "lab", ledger: ledgerAt(h("10:00")), budget: { usd: 100, action: "stop" }, journal });
      expect([d.decision, d.reason]).toEqual(["stop", "budget $100.00 reached: accrued $102.40"]);
    });

    it("acts when the action changes (notify, then stop)", () => {
      const notified: JournalEntry[] = [{ at: h("05:01"), action: "budget", result: "ok", budget: { usd: 50, action: "notify" } }];
      expect(decideBudget({ session: "lab", ledger: ledgerAt(h("06:00")), budget: { usd: 50, action: "notify" }, journal: notified }).decision).toBe("ok");
      expect(decideBudget({ session: "lab", ledger: ledgerAt(h("06:00")), budget: { usd: 50, action: "stop" }, journal: notified }).decision).toBe("stop");
    });

    it("tries again after a failed enforcement", () => {
      const failed = [enforcementEntry(first, h("05:01"), "failed")];
      expect(decideBudget({ session: "lab", ledger: ledgerAt(h("05:02")), budget: { usd: 50, action: "stop" }, journal: failed }).decision).toBe("stop");
    });

    it("reads the last enforcement by time, not by position", () => {
      const entries: JournalEntry[] = [
        { at: h("09:00"), action: "budget", result: "ok", budget: { usd: 100, action: "stop" } },
        { at: h("05:01"), action: "budget", result: "ok", budget: { usd: 50, action: "stop" } },
        { at: h("10:00"), action: "stop", machine: "m1", to: "stopped", result: "ok" },
      ];
      expect(lastEnforcement(entries)).toEqual({ at: h("09:00"), usd: 100, action: "stop" });
    });
  });

  it("decides every session on its own", () => {
    const ds = decideBudgets([
      { session: "a", ledger: ledgerAt(h("05:00")), budget: { usd: 50, action: "hibernate" } },
      { session: "b", ledger: ledgerAt(h("01:00")), budget: { usd: 50, action: "stop" } },
      { session: "c", ledger: ledgerAt(h("05:00")), budget: { usd: 10, action: "notify" } },
    ]);
    expect(ds.map((d) => [d.session, d.decision])).toEqual([
      ["a", "hibernate"],
      ["b", "ok"],
      ["c", "notify"],
    ]);
  });

  it("refuses to record an ok decision", () => {
    const ok = decideBudget({ session: "lab", ledger: ledgerAt(h("01:00")), budget: { usd: 50 } });
    expect(() => enforcementEntry(ok, h("01:00"), "ok")).toThrow(/nothing to record/);
  });
});

describe("idle rule", () => {
  const now = h("12:00");
  const verdict = (v: Partial<IdleVerdict>): IdleVerdict => ({
    at: h("11:59"),
    verdict: "idle",
    reasons: ["no session on ports 22 3389", "cpu 2% over the last 60s (threshold 10%)"],
    idleFor: 3600,
    ...v,
  });
  const base: IdleInput = { session: "lab", machine: "m1", state: "running", idleMinutes: 60, lastStartAt: h("09:00") };
  const cases: [string, Partial<IdleInput>, boolean, string][] = [
    [
      "idle long enough",
      { verdict: verdict({}) },
      true,
      "idle for 60 min (limit 60 min): no session on ports 22 3389; cpu 2% over the last 60s (threshold 10%)",
    ],
    ["idle, not long enough", { verdict: verdict({ idleFor: 3599 }) }, false, "idle for 59 min of 60 min"],
    [
      "busy",
      { verdict: verdict({ verdict: "busy", idleFor: 0, reasons: ["1 established connection on port 22 (ssh)"] }) },
      false,
      "busy: 1 established connection on port 22 (ssh)",
    ],
    [
      "stopping but still running",
      { verdict: verdict({ verdict: "stopping" }) },
      true,
      `the idle agent decided to stop at ${h("11:59")} but the machine is still running: no session on ports 22 3389; cpu 2% over the last 60s (threshold 10%)`,
    ],
    ["already stopped", { state: "stopped", verdict: verdict({}) }, false, "already stopped"],
    ["auto-stop off", { idleMinutes: undefined, verdict: verdict({}) }, false, "auto-stop is off"],
    ["no verdict", {}, false, "no verdict from the idle agent yet"],
    [
      "verdict from before the last start",
      { verdict: verdict({ at: h("08:00") }) },
      false,
      `last verdict (${h("08:00")}) is from before the last start (${h("09:00")})`,
    ],
    ["stale verdict", { verdict: verdict({ at: h("11:45") }) }, false, `last verdict is 15 min old (${h("11:45")}): the idle agent is not reporting`],
    // The agent went quiet because it shut the machine down (on Azure: still allocated and billed).
    [
      "stale stopping verdict",
      { verdict: verdict({ at: h("11:00"), verdict: "stopping" }) },
      true,
      `the idle agent decided to stop at ${h("11:00")} and has not reported since; the session still records it running: no session on ports 22 3389; cpu 2% over the last 60s (threshold 10%)`,
    ],
    [
      "old busy verdict read from the console, which shows changes only",
      { changesOnly: true, verdict: verdict({ at: h("10:00"), verdict: "busy", reasons: ["1 running Slurm job"], idleFor: 0 }) },
      false,
      `busy since ${h("10:00")} (its last change on the console): 1 running Slurm job`,
    ],
    [
      "stale stopping verdict from before the last start",
      { verdict: verdict({ at: h("08:30"), verdict: "stopping" }) },
      false,
      `last verdict (${h("08:30")}) is from before the last start (${h("09:00")})`,
    ],
  ];
  it.each(cases)("%s", (_name, input, stop, reason) => {
    const [d] = decideIdle([{ ...base, ...input }], now);
    expect(d).toEqual({ session: "lab", machine: "m1", stop, reason });
  });

  it("finds the last whole verdict in a machine's console output", () => {
    const a = '{"at":"2026-11-01T11:00:00Z","verdict":"idle","reasons":["no session on ports 22","idle for 0s of 3600s"],"idleFor":0}';
    const b =
      '{"at":"2026-11-01T12:00:00Z","verdict":"stopping","reasons":["a \\"quoted\\" [reason]","idle for 3600s (limit 60 min): running: shutdown -h now"],"idleFor":3600}';
    const console = [
      "[    0.000000] Linux version 6.8.0-1015-aws",
      `${a}\r`,
      "[  OK  ] Started formations-idle-agent.service",
      `${b}\r`,
      '[ 3601.2] reboot: Power down {"at":"2026-11-01T12:01:00Z","verdict":"bus', // cut off
    ].join("\n");
    expect(verdictFromConsole(console)).toEqual({
      at: "2026-11-01T12:00:00Z",
      verdict: "stopping",
      reasons: ['a "quoted" [reason]', "idle for 3600s (limit 60 min): running: shutdown -h now"],
      idleFor: 3600,
    });
    expect(verdictFromConsole("[    0.000000] Linux version 6.8.0\n")).toBeUndefined();
  });

  it("parses the agent's verdict line and rejects a malformed one", () => {
    expect(parseVerdict('{"at":"2026-11-01T11:59:00Z","verdict":"idle","reasons":["a"],"idleFor":120}')).toEqual({
      at: h("11:59"),
      verdict: "idle",
      reasons: ["a"],
      idleFor: 120,
    });
    expect(() => parseVerdict('{"at":"2026-11-01T11:59:00Z","verdict":"sleepy","reasons":[],"idleFor":1}')).toThrow(/idle verdict must be/);
    expect(() => parseVerdict("not json")).toThrow(/not JSON/);
  });
});
