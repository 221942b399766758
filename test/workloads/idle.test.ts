/**
 * Layer 3: the real Pulumi engine and the real Docker engine. `lifecycle.autoStop` on Docker: a
 * Machine session launched through the library, then `enforce` (the library call behind
 * `formations enforce`) run again and again as cron would, each run sampling the container with
 * the idle agent from outside (clouds/docker/idle-watch.ts). While a process burns CPU in the
 * container (measured from the engine's stats of its cgroup) it is busy; once that stops, it is
 * idle, and after the rule's minutes (made seconds
 * by the test-only knob FORMATIONS_IDLE_MINUTE_SECONDS: 120 seconds here) enforce stops it through the session's
 * actions and journals why.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enforce, type EnforceReport } from "../../automation/policy/enforce.js";
import { withVerdicts } from "../../automation/policy/verdicts.js";
import { MINUTE_SECONDS_ENV } from "../../clouds/docker/idle-watch.js";
import { IMAGE } from "../e2e/prerequisites.js";
import { docker, Fatal, openSession, until, workloadsMissing, type WorkloadSession } from "./harness.js";

const skip = await workloadsMissing();
if (skip) console.warn(skip);

/**
 * 5 rule minutes of 24 seconds: the container is stopped after 120 idle seconds. Shorter would race
 * the enforce runs themselves, which take up to a minute each on a loaded machine.
 */
const MINUTE_SECONDS = "24";

const formation = (name: string) => `apiVersion: formations/v1
kind: Machine
metadata: { name: ${name}, labels: { suite: workloads, run: ${name} } }
cloud: { provider: docker }
lifecycle: { autoStop: { idleMinutes: 5 } }
spec:
  machine: { instanceType: 1cpu-512m, image: "${IMAGE}" }
`;

describe.skipIf(Boolean(skip))("idle auto-stop on Docker: enforce watches the container from outside and stops it when idle", () => {
  let s: WorkloadSession;
  let before: string | undefined;
  const run = (): Promise<EnforceReport> => enforce(s.sessions, { labels: [`run=${s.name}`] });
  const decision = (r: EnforceReport) => r.sessions.find((x) => x.session === s.name)?.idle.find((i) => i.machine === "machine");

  beforeAll(async () => {
    before = process.env[MINUTE_SECONDS_ENV];
    process.env[MINUTE_SECONDS_ENV] = MINUTE_SECONDS;
    s = await openSession("idle");
  }, 600_000);

  afterAll(async () => {
    if (before === undefined) delete process.env[MINUTE_SECONDS_ENV];
    else process.env[MINUTE_SECONDS_ENV] = before;
    await s?.close();
  }, 600_000);

  it("up creates the machine; the first enforce run starts the agent's count and stops nothing", async () => {
    expect((await s.up(formation(s.name))).result).toBe("ok");
    const r = await run();
    expect(r.failed).toBe(0);
    expect(r.actions).toEqual([]);
    expect(decision(r)?.stop).toBe(false);
    // The verdict file the watcher's run wrote is what `formations show` reads (withVerdicts).
    const shown = (await withVerdicts(await s.sessions.show(s.name))).machines.find((m) => m.name === "machine")!;
    expect(shown.idle?.verdict?.verdict).toMatch(/^(idle|busy)$/);
  });

  it("a process burning CPU keeps it busy", async () => {
    await docker(["exec", "-d", s.container("machine"), "sh", "-c", "echo $$ > /tmp/burn.pid; while :; do :; done"]);
    const busy = await until(
      "enforce to see the CPU in use",
      async () => {
        const r = await run();
        if (r.actions.length > 0) throw new Fatal(`enforce acted while the CPU was in use: ${JSON.stringify(r.actions)}`);
        const d = decision(r);
        return d && /^busy: .*cpu \d+% since the last run/.test(d.reason) ? d : undefined;
      },
      300_000,
      1000,
    );
    console.log(`while burning CPU: ${busy.reason}`);
    expect(busy.stop).toBe(false);
  }, 360_000);

  it("idle for the rule's minutes, it is stopped by enforce, through the session's actions, and journaled with the reason", async () => {
    await docker(["exec", s.container("machine"), "sh", "-c", "kill $(cat /tmp/burn.pid)"]);
    const acted = await until(
      "enforce to stop the idle container",
      async () => {
        const r = await run();
        const broken = r.sessions.find((x) => x.error);
        if (broken) throw new Error(`enforce could not check ${broken.session}: ${broken.error}`);
        return r.actions.length > 0 ? r : undefined;
      },
      300_000,
      1000,
    );
    console.log(`enforce acted: ${JSON.stringify(acted.actions)}`);
    expect(acted.actions).toEqual([expect.objectContaining({ session: s.name, rule: "idle", machine: "machine", action: "stop", outcome: "done" })]);
    const reason = acted.actions[0]!.reason;
    console.log(`idle stop: ${reason}`);
    expect(reason).toMatch(/idle for \d+s \(limit 120s\): stopped from outside/);
    // The CPU was measured (from the engine's stats of the container's cgroup), and was low.
    expect(reason).toMatch(/cpu \d+% since the last run \(threshold 10%\)/);
    const info = JSON.parse(await docker(["inspect", "-f", "{{json .State}}", s.container("machine")])) as { Running: boolean };
    expect(info.Running).toBe(false);
    expect((await s.sessions.show(s.name)).machines.find((m) => m.name === "machine")?.state).toBe("stopped");
    const entry = (await s.sessions.journal(s.name)).find((e) => e.action === "idle-stop");
    expect(entry).toMatchObject({ machine: "machine", result: "ok" });
    expect(entry!.detail).toContain("stopped from outside");
    // Stopped, it is left alone: the next run has nothing to do.
    const after = await run();
    expect(after.actions).toEqual([]);
    expect(decision(after)?.reason).toBe("already stopped");
  }, 360_000);
});
