/**
 * Test layer: unit, with FakeEngine (a test double of the Pulumi engine) and test-double drivers; not end-to-end.
 * `formations cost` and the cost column of `sessions`, from a recorded session's journal through
 * the ledger, with exact amounts. FakeEngine (a test double of the engine) stands in for Pulumi;
 * the clock is fixed by the test.
 */
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Sessions, type SessionsOptions } from "../../automation/sessions.js";
import { costCommand, type CostTotals, type SessionCost } from "../../cli/cost.js";
import type { Output } from "../../cli/output.js";
import { sessionsCommand } from "../../cli/sessions.js";
import type { SessionDeps } from "../../cli/session-runtime.js";
import { aws } from "../../clouds/aws/catalog.js";
import { harness, poolYaml, type Harness } from "./helpers.js";

const T0 = Date.parse("2026-01-01T08:00:00.000Z");
const HOUR = 3_600_000;

let h: Harness;
let out: string[];
let err: string[];
const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), color: false };
const clock = { t: T0 };

function deps(): SessionDeps {
  return {
    interactive: false,
    live: false,
    signals: new EventEmitter(),
    makeSessions: (o: SessionsOptions) =>
      new Sessions({
        ...o,
        home: h.home,
        env: { FORMATIONS_HOME: h.home, PULUMI_CONFIG_PASSPHRASE: "pw" },
        engine: h.engine,
        actor: "tester@host",
        now: () => new Date(clock.t),
      }),
  };
}

/** aws pool of 2 up at 08:00; machine-2 stopped at 10:00; read at 13:00. A docker pool beside it. */
beforeEach(async () => {
  h = await harness();
  out = [];
  err = [];
  clock.t = T0;
  const s = h.another({ now: () => new Date(clock.t) });
  await s.up(await h.file("cloud.yaml", poolYaml({ name: "cloud", provider: "aws", count: 2 })));
  await s.up(await h.file("local.yaml", poolYaml({ name: "local", count: 1 })));
  clock.t = T0 + 2 * HOUR;
  await s.setDesiredState("cloud", "machine-2", "stopped", { action: "stop" });
  clock.t = T0 + 5 * HOUR;
});
afterEach(async () => {
  await h.cleanup();
});

describe("formations cost <session>", () => {
  it("prints the accrued cost, the burn rate, and the breakdown by machine and by state, exactly", async () => {
    expect(await costCommand("cloud", {}, io, deps())).toBe(0);
    // machine-1: 5 h x (0.0456 + 30 x 0.088 / 730) = 0.246082; machine-2: 2 h running + 3 h disk only = 0.109282;
    // the session's NAT gateway (no allowFrom: no public address): 5 h x 0.053 = 0.265.
    expect(out.join("\n").split("\n")).toEqual([
      "session cloud (Pool on aws): about $0.62 so far since 2026-01-01T08:00:00.000Z, $0.1058/h now",
      "by state: running $0.60, stopped $0.01, hibernated $0.00",
      "",
      "MACHINE    STATE    RUNNING  STOPPED  HIBERNATED  TOTAL  NOW",
      "(session)  running  $0.26    $0.00    $0.00       $0.26  $0.0530/h",
      "machine-1  running  $0.24    $0.00    $0.00       $0.24  $0.0492/h",
      "machine-2  stopped  $0.09    $0.01    $0.00       $0.10  $0.0036/h",
      "",
      `prices: ${aws.source}; NAT gateway`,
      `prices: ${aws.source}`,
    ]);
  });

  it("--json gives every amount in USD, exact to the micro-dollar", async () => {
    expect(await costCommand("cloud", { json: true }, io, deps())).toBe(0);
    const c = JSON.parse(out.join("\n")) as SessionCost;
    expect(c).toEqual({
      session: "cloud",
      now: "2026-01-01T13:00:00.000Z",
      kind: "Pool",
      provider: "aws",
      since: "2026-01-01T08:00:00.000Z",
      accruedUsd: 0.620364,
      burnUsdPerHour: 0.105833,
      byState: { running: 0.609515, stopped: 0.010849, hibernated: 0 },
      machines: [
        {
          machine: "(session)",
          state: "running",
          spot: false,
          source: `${aws.source}; NAT gateway`,
          accruedUsd: 0.265,
          burnUsdPerHour: 0.053,
          byState: { running: 0.265, stopped: 0, hibernated: 0 },
        },
        {
          machine: "machine-1",
          state: "running",
          spot: false,
          source: aws.source,
          accruedUsd: 0.246082,
          burnUsdPerHour: 0.049216,
          byState: { running: 0.246082, stopped: 0, hibernated: 0 },
        },
        {
          machine: "machine-2",
          state: "stopped",
          spot: false,
          source: aws.source,
          accruedUsd: 0.109282,
          burnUsdPerHour: 0.003616,
          byState: { running: 0.098433, stopped: 0.010849, hibernated: 0 },
        },
      ],
      warnings: [],
    });
  });

  it("an unknown session is exit 1", async () => {
    expect(await costCommand("nope", {}, io, deps())).toBe(1);
    expect(err).toEqual(["formations: no session named 'nope' (formations sessions lists them)"]);
  });
});

describe("formations cost (every session)", () => {
  it("lists each session and the totals", async () => {
    expect(await costCommand(undefined, {}, io, deps())).toBe(0);
    expect(out.join("\n").split("\n")).toEqual([
      "SESSION  KIND  PROVIDER  SO FAR  NOW        SINCE",
      "cloud    Pool  aws       $0.62   $0.1058/h  2026-01-01T08:00:00.000Z",
      "local    Pool  docker    $0.00   $0.0000/h  2026-01-01T08:00:00.000Z",
      "",
      "total: about $0.62 so far, $0.1058/h now (running $0.60, stopped $0.01, hibernated $0.00)",
    ]);
  });

  it("--json has the totals and each session's ledger; --label selects", async () => {
    expect(await costCommand(undefined, { json: true, label: ["team=bio"] }, io, deps())).toBe(0);
    const t = JSON.parse(out.join("\n")) as CostTotals;
    expect({ ...t, sessions: t.sessions.map((s) => s.session) }).toEqual({
      now: "2026-01-01T13:00:00.000Z",
      accruedUsd: 0.620364,
      burnUsdPerHour: 0.105833,
      byState: { running: 0.609515, stopped: 0.010849, hibernated: 0 },
      sessions: ["cloud", "local"],
    });
    out = [];
    expect(await costCommand(undefined, { json: true, label: ["team=none"] }, io, deps())).toBe(0);
    expect((JSON.parse(out.join("\n")) as CostTotals).sessions).toEqual([]);
  });
});

describe("formations sessions", () => {
  it("shows each session's accrued cost", async () => {
    expect(await sessionsCommand({}, io, deps())).toBe(0);
    expect(out[0]!.split("\n").map((l) => l.replace(/\s+team=.*$/, ""))).toEqual([
      "SESSION  KIND  PROVIDER  MACHINES  COST       SO FAR  LAST UPDATE  LABELS",
      "cloud    Pool  aws       2         $0.1058/h  $0.62   -",
      "local    Pool  docker    1         $0.0000/h  $0.00   -",
    ]);
    out = [];
    expect(await sessionsCommand({ json: true }, io, deps())).toBe(0);
    expect((JSON.parse(out.join("\n")) as { session: string; accruedUsd: number }[]).map((s) => [s.session, s.accruedUsd])).toEqual([
      ["cloud", 0.620364],
      ["local", 0],
    ]);
  });
});
