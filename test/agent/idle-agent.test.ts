/**
 * Test layer 3, Docker half: the real Docker engine, with no Pulumi involved (the driver acts on containers directly).
 * The idle agent's script, run in containers of the real Docker engine (scripts/docker-engine.sh)
 * with fake activity: held TCP sessions, a busy process, a Spark driver, a Slurm stub, and time
 * driven by FORMATIONS_IDLE_NOW. If the engine cannot start, these tests FAIL (CI starts it).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idleAgentScript } from "../../agent/idle-agent.js";
import { parseVerdict, type IdleVerdict } from "../../cost/idle.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const IMAGE = "formations-test/busybox:latest";
/** 2027-01-15T08:00:00Z: time as the agent sees it (FORMATIONS_IDLE_NOW). */
const T0 = 1_800_000_000;
const iso = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z");

let dockerEnv: NodeJS.ProcessEnv;
let scriptDir: string;
const containers: string[] = [];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function docker(...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run("docker", args, { env: dockerEnv, maxBuffer: 1 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : -1, stdout: err.stdout ?? "", stderr: err.stderr ?? String(e) };
  }
}

async function must(...args: string[]): Promise<string> {
  const r = await docker(...args);
  if (r.code !== 0) throw new Error(`docker ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Settings every run shares: 5 idle minutes, CPU check off (the host's CPU is shared), a stub stop. */
const BASE: Record<string, string> = {
  FORMATIONS_IDLE_MINUTES: "5",
  FORMATIONS_IDLE_CPU_PERCENT: "100",
  FORMATIONS_IDLE_STOP_COMMAND: "echo stopped >> /tmp/stopped",
  FORMATIONS_IDLE_MAX_GAP: "100000",
};

class Box {
  private constructor(readonly name: string) {}

  static async start(): Promise<Box> {
    const name = `formations-idle-${process.pid}-${containers.length}`;
    containers.push(name);
    await must("run", "-d", "--name", name, IMAGE);
    await must("cp", join(scriptDir, "idle-agent.sh"), `${name}:/idle-agent.sh`);
    return new Box(name);
  }

  sh(script: string): Promise<Result> {
    return docker("exec", this.name, "sh", "-c", script);
  }

  /** Starts a process in the background of the container. */
  async background(...argv: string[]): Promise<void> {
    await must("exec", "-d", this.name, ...argv);
  }

  /** Waits until the container has at least (or, with `exactly`, exactly) `count` established TCP connections. */
  async established(count: number, exactly = false): Promise<void> {
    const test = exactly ? "-eq" : "-ge";
    const r = await this.sh(
      `for i in $(seq 100); do [ "$(awk '$4 == "01"' /proc/net/tcp /proc/net/tcp6 | wc -l)" ${test} ${count} ] && exit 0; sleep 0.1; done; exit 1`,
    );
    if (r.code !== 0) throw new Error(`not ${count} established connection(s) in ${this.name}`);
  }

  /** One run of the agent at `now`; returns its exit code, its output and the verdict file. */
  async agent(now: number, env: Record<string, string> = {}): Promise<Result & { verdict: IdleVerdict }> {
    const vars = Object.entries({ ...BASE, FORMATIONS_IDLE_NOW: String(now), ...env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    const r = await docker("exec", ...vars, this.name, "sh", "/idle-agent.sh");
    const file = await must("exec", this.name, "cat", env.FORMATIONS_IDLE_VERDICT ?? "/var/lib/formations/idle-verdict.json");
    return { ...r, verdict: parseVerdict(file.trim()) };
  }

  async stopped(): Promise<string> {
    return (await this.sh("cat /tmp/stopped 2>/dev/null")).stdout;
  }

  async address(): Promise<string> {
    return (await must("inspect", "-f", "{{.NetworkSettings.IPAddress}}", this.name)).trim();
  }
}

beforeAll(async () => {
  // Starts (or finds) the private engine; throws, failing every test, if it cannot.
  const { stdout } = await run("bash", [join(root, "scripts/docker-engine.sh"), "start"], { cwd: root, timeout: 170_000 });
  const host = /^export DOCKER_HOST=(\S+)$/m.exec(stdout)?.[1];
  if (!host) throw new Error(`scripts/docker-engine.sh start printed no DOCKER_HOST: ${stdout}`);
  dockerEnv = { ...process.env, DOCKER_HOST: host };
  scriptDir = mkdtempSync(join(tmpdir(), "formations-idle-"));
  writeFileSync(join(scriptDir, "idle-agent.sh"), idleAgentScript, { mode: 0o755 });
}, 180_000);

afterAll(async () => {
  if (containers.length > 0) await docker("rm", "-f", ...containers);
  if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
});

describe("idle agent in a container", () => {
  it("counts idle minutes and runs the stop command after idleMinutes, not before", async () => {
    const box = await Box.start();
    const runs = [];
    for (let i = 0; i <= 5; i++) {
      runs.push(await box.agent(T0 + 60 * i));
      if (i < 5) expect(await box.stopped()).toBe("");
    }
    expect(runs.map((r) => [r.code, r.verdict.verdict, r.verdict.idleFor])).toEqual([
      [0, "idle", 0],
      [0, "idle", 60],
      [0, "idle", 120],
      [0, "idle", 180],
      [0, "idle", 240],
      [0, "stopping", 300],
    ]);
    expect(runs[0]!.verdict).toEqual({
      at: iso(T0),
      verdict: "idle",
      reasons: [
        "agent started: counting idle time from now",
        "no session on ports 22 3389 5900 5901 4822 443 8080",
        "cpu: first sample, measured from the next run",
        "idle for 0s of 300s",
      ],
      idleFor: 0,
    });
    expect(runs[5]!.verdict.reasons.at(-1)).toBe("idle for 300s (limit 5 min): running: echo stopped >> /tmp/stopped");
    expect(await box.stopped()).toBe("stopped\n");
    // The journal (stdout) gets a line when the verdict changes, not every minute.
    expect(runs.map((r) => r.stdout.trim().length > 0)).toEqual([true, false, false, false, false, true]);
    expect(parseVerdict(runs[5]!.stdout.trim())).toEqual(runs[5]!.verdict);
  });

  it("stays up while an SSH session is held, and counts idle time from its end", async () => {
    const box = await Box.start();
    await box.background("sh", "-c", "sleep 1000 | nc -l -p 22 >/dev/null");
    await box.sh("sleep 0.2");
    await box.background("sh", "-c", "sleep 1000 | nc 127.0.0.1 22 >/dev/null");
    await box.established(1);
    const first = await box.agent(T0);
    const later = await box.agent(T0 + 3600); // an hour later, far past 5 idle minutes
    for (const r of [first, later]) {
      expect(r.verdict).toMatchObject({ verdict: "busy", reasons: ["1 established connection on port 22 (ssh)"], idleFor: 0 });
    }
    expect(await box.stopped()).toBe("");
    await box.sh("killall nc");
    await box.established(0, true);
    const after = await box.agent(T0 + 3660);
    expect([after.verdict.verdict, after.verdict.idleFor]).toEqual(["idle", 60]);
  });

  it("counts only inbound sessions: a connection out to another machine's port 22 keeps nobody busy", async () => {
    const [server, client] = [await Box.start(), await Box.start()];
    await server.background("sh", "-c", "sleep 1000 | nc -l -p 22 >/dev/null");
    await server.sh("sleep 0.2");
    await client.background("sh", "-c", `sleep 1000 | nc ${await server.address()} 22 >/dev/null`);
    await client.established(1);
    await server.established(1);
    expect((await server.agent(T0)).verdict.verdict).toBe("busy");
    const c = await client.agent(T0);
    expect(c.verdict.verdict).toBe("idle");
    expect(c.verdict.reasons).toContain("no session on ports 22 3389 5900 5901 4822 443 8080");
  });

  it("stays up while a process keeps the CPU busy", async () => {
    const box = await Box.start();
    await box.background("sh", "-c", "yes >/dev/null");
    // /proc/stat in a container is the host's: one busy core is 100/n % of it; ask for half that.
    const threshold = String(Math.floor(100 / cpus().length / 2));
    const first = await box.agent(T0, { FORMATIONS_IDLE_CPU_PERCENT: threshold });
    expect(first.verdict.reasons).toContain("cpu: first sample, measured from the next run");
    await box.sh("sleep 1"); // let CPU time accrue between the two samples
    const second = await box.agent(T0 + 60, { FORMATIONS_IDLE_CPU_PERCENT: threshold });
    expect(second.verdict.verdict).toBe("busy");
    expect(second.verdict.reasons).toHaveLength(1);
    expect(second.verdict.reasons[0]).toMatch(new RegExp(`^cpu \\d+% since the last run \\(threshold ${threshold}%\\)$`));
  });

  it("stays up while a Spark driver runs", async () => {
    const box = await Box.start();
    // A process whose command line carries the driver's class name, as `spark-submit` does.
    await box.background("sh", "-c", "sleep 1000; :", "org.apache.spark.deploy.SparkSubmit");
    const r = await box.agent(T0);
    expect(r.verdict).toMatchObject({ verdict: "busy", reasons: ["1 running process(es) matching org.apache.spark.deploy.SparkSubmit"] });
  });

  it("stays up while Slurm runs jobs, and when squeue cannot say", async () => {
    const box = await Box.start();
    await box.sh(`printf '#!/bin/sh\\ncat /tmp/jobs\\nexit $(cat /tmp/rc)\\n' > /bin/squeue && chmod +x /bin/squeue`);
    await box.sh("echo '  42 debug job alice R 0:05 1 compute-1' > /tmp/jobs; echo 0 > /tmp/rc");
    expect((await box.agent(T0)).verdict).toMatchObject({ verdict: "busy", reasons: ["1 running Slurm job"] });
    await box.sh(": > /tmp/jobs");
    const none = await box.agent(T0 + 60);
    expect(none.verdict.verdict).toBe("idle");
    expect(none.verdict.reasons).toContain("no running Slurm job");
    await box.sh("echo 'slurm_load_jobs error: Unable to contact slurm controller' > /tmp/jobs; echo 1 > /tmp/rc");
    expect((await box.agent(T0 + 120)).verdict).toMatchObject({
      verdict: "busy",
      reasons: ["squeue failed, jobs unknown: slurm_load_jobs error: Unable to contact slurm controller"],
    });
  });

  it("does not count a gap between runs (a resume from hibernation) as idle time", async () => {
    const box = await Box.start();
    const gap = { FORMATIONS_IDLE_MAX_GAP: "300" };
    await box.agent(T0, gap);
    expect((await box.agent(T0 + 240, gap)).verdict.idleFor).toBe(240);
    const resumed = await box.agent(T0 + 240 + 3600, gap);
    expect(resumed.verdict).toMatchObject({ verdict: "idle", idleFor: 0 });
    expect(resumed.verdict.reasons[0]).toBe("resumed after a gap of 3600s (hibernation or a clock change): counting idle time from now");
    expect(await box.stopped()).toBe("");
  });

  it("says so when the stop command fails, and exits non-zero", async () => {
    const box = await Box.start();
    const fail = { FORMATIONS_IDLE_STOP_COMMAND: "echo no >&2; exit 3" };
    await box.agent(T0, fail);
    const r = await box.agent(T0 + 300, fail);
    expect(r.code).toBe(1);
    expect(r.verdict.verdict).toBe("idle");
    expect(r.verdict.reasons.slice(-2)).toEqual([
      "idle for 300s (limit 5 min): running: echo no >&2; exit 3",
      "stop command failed (exit 3): echo no >&2; exit 3",
    ]);
    expect(r.stderr).toContain("idle-agent: stop command failed (exit 3)");
  });
});

describe("idle agent on a fake /proc (exact parsing)", () => {
  // Lines as the kernel writes them: sl local rem st ... (only fields 2 and 4 are read).
  const tcp = (rows: string[]) => ["  sl  local_address rem_address   st tx_queue rx_queue", ...rows].join("\n") + "\n";
  const row = (local: string, remote: string, st: string) => `   0: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000     0        0 1 1`;
  const stat = (busy: number, idle: number) => `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 1 2 3 4\n`;

  async function fakeProc(box: Box, files: Record<string, string>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      const b64 = Buffer.from(content).toString("base64");
      const r = await box.sh(`mkdir -p "$(dirname /fake/${path})" && echo ${b64} | base64 -d > /fake/${path}`);
      if (r.code !== 0) throw new Error(r.stderr);
    }
  }

  it("reads sessions from tcp and tcp6, processes from cmdline, and CPU from stat", async () => {
    const box = await Box.start();
    const env = { FORMATIONS_IDLE_PROC: "/fake", FORMATIONS_IDLE_CPU_PERCENT: "10" };
    await fakeProc(box, {
      "sys/kernel/random/boot_id": "boot-1\n",
      "net/tcp": tcp([
        row("00000000:0016", "00000000:0000", "0A"), // sshd listening: not a session
        row("0A000005:0D3D", "CB007105:C001", "01"), // RDP session
        row("0A000005:0D3D", "CB007106:C002", "01"), // a second one
        row("0A000005:D431", "34D21E0A:01BB", "01"), // outbound HTTPS (an agent to its cloud): not ours
        row("0A000005:0016", "CB007105:C003", "06"), // an SSH session closing (TIME_WAIT)
      ]),
      "net/tcp6": tcp([row("0000000000000000FFFF00000A000005:0016", "0000000000000000FFFF0000CB007105:C004", "01")]),
      stat: stat(1000, 9000),
      "4242/cmdline": "java\0-cp\0/opt/spark/jars/*\0org.apache.spark.deploy.SparkSubmit\0--class\0Job\0",
      "4243/cmdline": "",
    });
    const busy = await box.agent(T0, env);
    expect(busy.verdict).toEqual({
      at: iso(T0),
      verdict: "busy",
      reasons: [
        "1 established connection on port 22 (ssh)",
        "2 established connections on port 3389 (rdp)",
        "1 running process(es) matching org.apache.spark.deploy.SparkSubmit",
      ],
      idleFor: 0,
    });

    await box.sh("rm -r /fake/4242");
    await fakeProc(box, { "net/tcp": tcp([]), "net/tcp6": tcp([]), stat: stat(1070, 9930) }); // 70 of 1000 ticks busy
    const idle = await box.agent(T0 + 60, env);
    expect(idle.verdict).toEqual({
      at: iso(T0 + 60),
      verdict: "idle",
      reasons: ["no session on ports 22 3389 5900 5901 4822 443 8080", "cpu 7% since the last run (threshold 10%)", "idle for 60s of 300s"],
      idleFor: 60,
    });

    await fakeProc(box, { stat: stat(1190, 10810) }); // 120 of 1000
    expect((await box.agent(T0 + 120, env)).verdict.reasons).toEqual(["cpu 12% since the last run (threshold 10%)"]);

    await fakeProc(box, { stat: stat(1200, 11800), "sys/kernel/random/boot_id": "boot-2\n" }); // rebooted
    const rebooted = await box.agent(T0 + 180, env);
    expect(rebooted.verdict.reasons.slice(0, 1)).toEqual(["agent started: counting idle time from now"]);
    expect(rebooted.verdict.reasons).toContain("cpu: first sample, measured from the next run");
  });

  it("run from outside (formations enforce over a container): CPU, start and limit from the caller, no stop command", async () => {
    const box = await Box.start();
    // One CPU (1000 milli-CPUs); usage in microseconds, as the engine's stats give it.
    const outside = (usageUs: number, boot = "2027-01-15T07:59:00Z") => ({
      FORMATIONS_IDLE_CPU_PERCENT: "10",
      FORMATIONS_IDLE_CPU_USAGE_US: String(usageUs),
      FORMATIONS_IDLE_CPU_MILLIS: "1000",
      FORMATIONS_IDLE_BOOT: boot,
      FORMATIONS_IDLE_LIMIT_SECONDS: "90",
      FORMATIONS_IDLE_STOP_COMMAND: "",
    });
    const first = await box.agent(T0, outside(5_000_000));
    expect(first.verdict.reasons).toEqual(
      expect.arrayContaining(["agent started: counting idle time from now", "cpu: first sample, measured from the next run"]),
    );
    // 30 s of CPU in 60 s: 50%, busy.
    expect((await box.agent(T0 + 60, outside(35_000_000))).verdict).toMatchObject({
      verdict: "busy",
      reasons: ["cpu 50% since the last run (threshold 10%)"],
      idleFor: 0,
    });
    // 3 s in 60 s: 5%, idle; the limit is the caller's, in seconds.
    expect((await box.agent(T0 + 120, outside(38_000_000))).verdict).toMatchObject({ verdict: "idle", idleFor: 60 });
    const stopping = await box.agent(T0 + 180, outside(38_600_000));
    expect(stopping.code).toBe(0);
    expect(stopping.verdict).toMatchObject({ verdict: "stopping", idleFor: 120 });
    expect(stopping.verdict.reasons.at(-1)).toBe("idle for 120s (limit 90s): stopped from outside");
    expect(await box.stopped()).toBe(""); // no stop command ran: the caller stops it
    // A new start of the container (the caller's boot identity) counts again from zero.
    const restarted = await box.agent(T0 + 240, outside(38_700_000, "2027-01-15T08:03:30Z"));
    expect(restarted.verdict).toMatchObject({ verdict: "idle", idleFor: 0 });
  });
});
