/**
 * Test layer: unit, with FakeEngine (a test double of the Pulumi engine) and test-double drivers; not end-to-end.
 * `formations enforce`: budgets and idle rules decided from each session's ledger, journal and
 * idle verdicts, acted on through the session actions, journaled once, printed. FakeEngine (a
 * test double of the engine) and TestDoubleDriver (a test double of a provider's API) stand in
 * for Pulumi and the clouds; idle verdicts come from a test source; the clock is fixed.
 */
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { enforce, lastStart } from "../../../automation/policy/enforce.js";
import type { JournalEntry } from "../../../automation/session/session-record.js";
import { Sessions, type SessionsOptions } from "../../../automation/sessions.js";
import type { VerdictSource } from "../../../automation/policy/verdicts.js";
import { enforceCommand, type EnforceDeps } from "../../../cli/enforce.js";
import type { Output } from "../../../cli/output.js";
import type { IdleVerdict } from "../../../cost/idle.js";
import { TestDoubleDriver } from "../actions/test-double-driver.js";
import { harness, type Harness } from "../helpers.js";

const T0 = Date.parse("2026-01-01T08:00:00.000Z");
const HOUR = 3_600_000;
const clock = { t: T0 };
const now = () => new Date(clock.t);

let h: Harness;
let driver: TestDoubleDriver;
let sessions: Sessions;
let out: string[];
let err: string[];
const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), color: false };

function yaml(name: string, provider: "aws" | "docker", lifecycle: string, count = 2): string {
  const cloud = provider === "aws" ? "provider: aws\n  region: eu-west-1" : "provider: docker";
  const image = provider === "aws" ? "ubuntu-22.04" : "formations-test/busybox:latest";
  return `apiVersion: formations/v1\nkind: Pool\nmetadata:\n  name: ${name}\n  labels: { team: bio }\ncloud:\n  ${cloud}\nlifecycle:\n${lifecycle}spec:\n  count: ${count}\n  machine:\n    image: ${image}\n`;
}

const options = (o: SessionsOptions = {}): SessionsOptions => ({
  ...o,
  home: h.home,
  env: { FORMATIONS_HOME: h.home, PULUMI_CONFIG_PASSPHRASE: "pw" },
  engine: h.engine,
  actor: "cron@ci",
  now,
  drivers: () => driver,
});

beforeEach(async () => {
  h = await harness();
  clock.t = T0;
  driver = new TestDoubleDriver();
  // What the driver did reaches FakeEngine's fake cloud, so the refresh after an action reads it.
  driver.onChange = (session, machine, state) => {
    const cloud = h.engine.stacks.get(session)?.cloud;
    if (cloud) cloud[machine] = state === "terminated" ? "deleted" : state === "running" ? "running" : state === "hibernated" ? "hibernated" : "stopped";
  };
  sessions = new Sessions(options());
  out = [];
  err = [];
});
afterEach(async () => {
  await sessions.close();
  await h.cleanup();
});

async function up(name: string, text: string): Promise<void> {
  await sessions.up(await h.file(`${name}.yaml`, text));
}
const journalOf = (session: string): JournalEntry[] => JSON.parse(h.engine.state(session).config["formations:journal"]!.value) as JournalEntry[];
const desiredOf = (session: string) => JSON.parse(h.engine.state(session).config["formations:desired"]!.value) as Record<string, string>;

describe("budgets", () => {
  it("stops a session over its budget through the session actions, journals it once, and not again", async () => {
    await up("cloud", yaml("cloud", "aws", "  budget: { usd: 0.5, action: stop }\n"));
    clock.t = T0 + 5 * HOUR;
    // 2 machines x 5 h x 0.0492164 + 5 h of the NAT gateway x 0.053 = 0.757164
    const r = await enforce(sessions, { now });
    expect(r.sessions).toEqual([{ session: "cloud", budget: { decision: "stop", breached: true, reason: "budget $0.50 reached: accrued $0.75" }, idle: [] }]);
    expect(r.actions).toEqual([
      {
        session: "cloud",
        rule: "budget",
        action: "stop",
        reason: "budget $0.50 reached: accrued $0.75",
        outcome: "done",
        results: [
          { machine: "machine-1", outcome: "done", from: "running", to: "stopped" },
          { machine: "machine-2", outcome: "done", from: "running", to: "stopped" },
        ],
      },
    ]);
    expect(r.failed).toBe(0);
    expect(desiredOf("cloud")).toEqual({ "machine-1": "stopped", "machine-2": "stopped" });
    const budget = journalOf("cloud").filter((e) => e.action === "budget");
    expect(budget).toEqual([
      {
        at: "2026-01-01T13:00:00.000Z",
        actor: "cron@ci",
        action: "budget",
        result: "ok",
        detail: "stop: budget $0.50 reached: accrued $0.75",
        budget: { usd: 0.5, action: "stop", accruedMicros: 757_164, reason: "budget $0.50 reached: accrued $0.75" },
      },
    ]);
    // The next run (and a restart by a user) does not stop it again for the same breach.
    clock.t += HOUR;
    const again = await enforce(sessions, { now });
    expect(again.actions).toEqual([]);
    expect(again.sessions[0]!.budget?.reason).toBe("budget $0.50 reached: accrued $0.81; stop already taken at 2026-01-01T13:00:00.000Z");
    expect(journalOf("cloud").filter((e) => e.action === "budget")).toHaveLength(1);
  });

  it("notify reports and journals once; a session within budget is left alone", async () => {
    await up("cloud", yaml("cloud", "aws", "  budget: { usd: 0.5 }\n"));
    await up("cheap", yaml("cheap", "aws", "  budget: { usd: 100, action: hibernate }\n"));
    clock.t = T0 + 5 * HOUR;
    const r = await enforce(sessions, { now });
    expect(r.actions).toEqual([
      { session: "cloud", rule: "budget", action: "notify", reason: "budget $0.50 reached: accrued $0.75", outcome: "notified", results: [] },
    ]);
    expect(r.sessions.find((s) => s.session === "cheap")?.budget).toEqual({ decision: "ok", breached: false, reason: "within budget $100.00: accrued $0.75" });
    expect(desiredOf("cloud")).toEqual({});
    expect((await enforce(sessions, { now })).actions).toEqual([]);
    expect(
      journalOf("cloud")
        .filter((e) => e.action === "budget")
        .map((e) => e.detail),
    ).toEqual(["notify: budget $0.50 reached: accrued $0.75"]);
  });

  it("a failed action is journaled as failed, exit 3, and tried again on the next run", async () => {
    await up("lab", yaml("lab", "aws", "  budget: { usd: 0.5, action: hibernate }\n"));
    clock.t = T0 + 5 * HOUR;
    // AWS hibernate goes through the provider's API (the driver double): make one machine fail.
    driver.failing.set("lab/machine-2", new (await import("../../../automation/actions/types.js")).ActionError("other", "InsufficientInstanceCapacity"));
    const deps: EnforceDeps = { interactive: false, live: false, signals: new EventEmitter(), makeSessions: (o) => new Sessions(options(o)), now };
    expect(await enforceCommand({}, io, deps)).toBe(3);
    expect(out).toContain(
      "lab: budget: hibernate failed (machine-1 running -> hibernated, machine-2 failed: InsufficientInstanceCapacity); why: budget $0.50 reached: accrued $0.75",
    );
    expect(
      journalOf("lab")
        .filter((e) => e.action === "budget")
        .map((e) => e.result),
    ).toEqual(["failed"]);
    driver.failing.clear();
    out = [];
    expect(await enforceCommand({}, io, deps)).toBe(0);
    expect(out).toContain(
      "lab: budget: hibernate done (machine-1 hibernated -> hibernated, machine-2 running -> hibernated); why: budget $0.50 reached: accrued $0.75",
    );
  });
});

describe("idle rule", () => {
  const at = (minutesAgo: number) => new Date(clock.t - minutesAgo * 60_000).toISOString();
  const verdicts: Record<string, (t: number) => IdleVerdict> = {
    "machine-1": () => ({
      at: at(1),
      verdict: "stopping",
      reasons: ["no session on ports 22", "idle for 1800s (limit 30 min): running: shutdown -h now"],
      idleFor: 1800,
    }),
    "machine-2": () => ({ at: at(1), verdict: "busy", reasons: ["1 established connection on port 22 (ssh)"], idleFor: 0 }),
    "machine-3": () => ({ at: at(1), verdict: "idle", reasons: ["no session on ports 22", "idle for 2400s of 1800s"], idleFor: 2400 }),
  };
  const source: VerdictSource = async (_d, m) => verdicts[m.name]?.(clock.t);

  it("stops the machines the agent found idle long enough, says why it kept the others, journals each once", async () => {
    await up("lab", yaml("lab", "docker", "  autoStop: { idleMinutes: 30 }\n", 4));
    clock.t = T0 + 2 * HOUR;
    const deps: EnforceDeps = {
      interactive: false,
      live: false,
      signals: new EventEmitter(),
      makeSessions: (o) => new Sessions(options(o)),
      now,
      verdicts: source,
    };
    expect(await enforceCommand({}, io, deps)).toBe(0);
    expect(out).toEqual([
      "lab: budget: none",
      "lab: auto-stop: kept machine-2: busy: 1 established connection on port 22 (ssh)",
      "lab: auto-stop: kept machine-4: no verdict from the idle agent yet",
      "lab/machine-1: idle: stop done (running -> stopped); why: the idle agent decided to stop at 2026-01-01T09:59:00.000Z but the machine is still running: no session on ports 22; idle for 1800s (limit 30 min): running: shutdown -h now",
      "lab/machine-3: idle: stop done (running -> stopped); why: idle for 40 min (limit 30 min): no session on ports 22; idle for 2400s of 1800s",
      "enforce: 1 session(s) checked at 2026-01-01T10:00:00.000Z, 2 action(s)",
    ]);
    expect(driver.calls).toEqual(["stop lab/machine-1", "stop lab/machine-3"]);
    expect(desiredOf("lab")).toEqual({ "machine-1": "stopped", "machine-3": "stopped" });
    expect(
      journalOf("lab")
        .filter((e) => e.action === "idle-stop")
        .map((e) => [e.machine, e.result, e.detail?.slice(0, 30)]),
    ).toEqual([
      ["machine-1", "ok", "the idle agent decided to stop"],
      ["machine-3", "ok", "idle for 40 min (limit 30 min)"],
    ]);
    out = [];
    expect(await enforceCommand({}, io, deps)).toBe(0);
    expect(out).toContain("lab: auto-stop: kept machine-1, machine-3: already stopped");
    expect(driver.calls).toHaveLength(2);
  });

  it("records a machine the agent had already shut down as stopped from the agent's verdict, so the ledger stops charging then", async () => {
    await up("lab", yaml("lab", "docker", "  autoStop: { idleMinutes: 30 }\n", 1));
    driver.states.set("lab/machine-1", "stopped"); // the agent's shutdown
    clock.t = T0 + 2 * HOUR;
    const r = await enforce(sessions, { now, verdicts: source });
    expect(r.actions.map((a) => [a.machine, a.outcome])).toEqual([["machine-1", "no-op"]]);
    expect(journalOf("lab").find((e) => e.action === "idle-stop")).toMatchObject({
      at: "2026-01-01T09:59:00.000Z",
      machine: "machine-1",
      to: "stopped",
      result: "ok",
    });
  });

  it("--dry-run decides, acts on nothing and journals nothing", async () => {
    await up("lab", yaml("lab", "docker", "  autoStop: { idleMinutes: 30 }\n  budget: { usd: 0.01, action: stop }\n", 3));
    clock.t = T0 + 2 * HOUR;
    const before = journalOf("lab").length;
    const r = await enforce(sessions, { now, verdicts: source, dryRun: true });
    expect(r.actions.map((a) => [a.machine ?? "*", a.rule, a.outcome])).toEqual([
      ["machine-1", "idle", "dry-run"],
      ["machine-3", "idle", "dry-run"],
    ]);
    expect(driver.calls).toEqual([]);
    expect(journalOf("lab")).toHaveLength(before);
  });

  it("--label selects sessions; --json prints the report", async () => {
    await up("lab", yaml("lab", "docker", "  autoStop: { idleMinutes: 30 }\n", 1));
    const deps: EnforceDeps = {
      interactive: false,
      live: false,
      signals: new EventEmitter(),
      makeSessions: (o) => new Sessions(options(o)),
      now,
      verdicts: source,
    };
    expect(await enforceCommand({ json: true, label: ["team=chem"] }, io, deps)).toBe(0);
    expect(JSON.parse(out.join("\n"))).toEqual({ at: "2026-01-01T08:00:00.000Z", dryRun: false, sessions: [], actions: [], failed: 0 });
    expect(await enforceCommand({ label: ["team"] }, io, deps)).toBe(2);
  });
});

describe("lastStart", () => {
  it("is the newest entry that left the machine running, ignoring failures", () => {
    const e = (at: string, more: Partial<JournalEntry>): JournalEntry => ({ at: `2026-01-01T${at}:00.000Z`, actor: "a", action: "x", result: "ok", ...more });
    const journal = [
      e("08:00", { action: "up", added: ["m1", "m2"] }),
      e("09:00", { action: "start", machine: "m1", to: "running" }),
      e("10:00", { action: "start", to: "running", result: "failed" }),
      e("11:00", { action: "start", to: "running" }),
    ];
    expect(lastStart(journal, "m2")).toBe("2026-01-01T11:00:00.000Z");
    expect(lastStart(journal.slice(0, 3), "m1")).toBe("2026-01-01T09:00:00.000Z");
    expect(lastStart(journal.slice(0, 1), "m3")).toBeUndefined();
  });
});
