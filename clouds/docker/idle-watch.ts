/**
 * `lifecycle.autoStop` on Docker: containers boot no cloud-init and run no systemd, so the idle
 * agent cannot run inside on a timer. `formations enforce` runs it from outside instead, once per
 * run, in each running container of a session with the rule (`docker exec` as root, the exact
 * script of agent/idle-agent.sh): sessions on the watched ports, running Slurm jobs and Spark
 * drivers/executors are seen from inside the container, and the CPU from the engine's stats of
 * the container's own cgroup (its /proc/stat is the host's). The agent keeps its bookkeeping in
 * the container and writes its verdict file there, where `show` reads it; it never stops the
 * container itself (no stop command): a `stopping` verdict makes `enforce` stop it through the
 * session's actions, journaled with the reason. Idle time counts between enforce runs: run
 * `formations enforce` from cron every few minutes (a gap longer than the limit, and at least 5
 * minutes, starts the count again, as after a hibernation).
 *
 * Test-only knob: FORMATIONS_IDLE_MINUTE_SECONDS makes one minute of `idleMinutes` that many
 * seconds, so a test sees a container stopped without waiting five minutes.
 */
import { PassThrough } from "node:stream";
import type Dockerode from "dockerode";
import { idleAgentScript } from "../../agent/idle-agent.js";
import type { VerdictSource } from "../cloud.js";
import { containerOf, dockerVerdictSource } from "./verdicts.js";

export const MINUTE_SECONDS_ENV = "FORMATIONS_IDLE_MINUTE_SECONDS";

export interface WatchSample {
  idleMinutes: number;
  /** Seconds in one minute of the rule (60; tests make it shorter). */
  minuteSeconds: number;
  /** The container's CPU time so far, in microseconds (its cgroup's, from the engine's stats). */
  usageUs: number;
  /** The CPUs it may use, in thousandths: its limit, else the engine's CPUs. */
  cpuMillis: number;
  /** When the container was last started: a restart counts idle time from zero. */
  startedAt: string;
}

/** The agent's settings for one run from outside (see agent/idle-agent.sh). */
export function watcherEnv(s: WatchSample): string[] {
  const limit = s.idleMinutes * s.minuteSeconds;
  return [
    `FORMATIONS_IDLE_MINUTES=${s.idleMinutes}`,
    ...(s.minuteSeconds !== 60 ? [`FORMATIONS_IDLE_LIMIT_SECONDS=${limit}`] : []),
    // Nobody inside stops the container: enforce does, on the `stopping` verdict.
    "FORMATIONS_IDLE_STOP_COMMAND=",
    `FORMATIONS_IDLE_CPU_USAGE_US=${Math.floor(s.usageUs)}`,
    `FORMATIONS_IDLE_CPU_MILLIS=${Math.max(1, Math.round(s.cpuMillis))}`,
    `FORMATIONS_IDLE_BOOT=${s.startedAt}`,
    // Enforce runs when cron says: a gap up to the limit is measured (the CPU over it), not a resume.
    `FORMATIONS_IDLE_MAX_GAP=${Math.max(300, limit)}`,
  ];
}

/** Seconds per rule minute from the environment: 60 unless the test-only knob says otherwise. */
export function minuteSeconds(env: NodeJS.ProcessEnv): number {
  const raw = env[MINUTE_SECONDS_ENV];
  if (raw === undefined || raw === "") return 60;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 60)
    throw new Error(`${MINUTE_SECONDS_ENV} must be a whole number of seconds 1..60 (a test-only knob), got '${raw}'`);
  return n;
}

/** Runs a command in a container as root; its exit code and output (stdout and stderr apart). */
async function execute(c: Dockerode.Container, cmd: string[], env: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const exec = await c.exec({ Cmd: cmd, Env: env, User: "0", AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on("data", (b: Buffer) => chunks.out.push(b));
  err.on("data", (b: Buffer) => chunks.err.push(b));
  c.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode ?? -1, stdout: Buffer.concat(chunks.out).toString("utf8"), stderr: Buffer.concat(chunks.err).toString("utf8") };
}

interface CpuStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; online_cpus?: number };
}

/** The watcher: runs the agent once in the machine's container (when running), then reads its verdict. */
export function dockerIdleWatcher(env: NodeJS.ProcessEnv = process.env): VerdictSource {
  const read = dockerVerdictSource();
  const clients = new Map<string, Promise<Dockerode>>();
  const client = (host: string | undefined) => {
    const key = host ?? "";
    if (!clients.has(key)) {
      clients.set(
        key,
        Promise.all([import("dockerode"), import("./engine.js")]).then(([{ default: Docker }, { dockerOptions }]) => new Docker(dockerOptions(host))),
      );
    }
    return clients.get(key)!;
  };
  return async (d, m) => {
    const idleMinutes = d.lifecycle.autoStop?.idleMinutes;
    if (idleMinutes === undefined) return read(d, m);
    const docker = await client(d.cloud.dockerHost);
    const name = containerOf(d.session, m);
    const c = docker.getContainer(name);
    let info: Dockerode.ContainerInspectInfo;
    try {
      info = await c.inspect();
    } catch (err) {
      const { classifyDockerError } = await import("./engine.js");
      throw new Error(
        (err as { statusCode?: number }).statusCode === 404
          ? `container ${name} not found`
          : classifyDockerError(err, { ...(d.cloud.dockerHost ? { host: d.cloud.dockerHost } : {}), what: name }).message,
        { cause: err },
      );
    }
    // Stopped or paused (hibernated): nothing runs to watch; its last verdict stands.
    if (!info.State.Running || info.State.Paused) return read(d, m);
    const stats = (await c.stats({ stream: false, "one-shot": true } as { stream: false })) as CpuStats;
    const usageNs = stats.cpu_stats?.cpu_usage?.total_usage;
    if (usageNs === undefined) throw new Error(`the engine gave no CPU usage for ${name}`);
    const online = stats.cpu_stats?.online_cpus ?? stats.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 1;
    const nano = info.HostConfig.NanoCpus ?? 0;
    const sample: WatchSample = {
      idleMinutes,
      minuteSeconds: minuteSeconds(env),
      usageUs: usageNs / 1000,
      cpuMillis: nano > 0 ? nano / 1e6 : online * 1000,
      startedAt: info.State.StartedAt,
    };
    // The script goes in the environment, not on the command line: the agent reads every process's
    // command line for Spark's class names, which its own text names.
    const r = await execute(
      c,
      ["sh", "-c", 'eval "$FORMATIONS_IDLE_AGENT_SCRIPT"'],
      [...watcherEnv(sample), `FORMATIONS_IDLE_AGENT_SCRIPT=${idleAgentScript}`],
    );
    if (r.code !== 0) {
      const why = (r.stderr || r.stdout).trim().split("\n")[0] ?? "";
      throw new Error(`the idle agent could not run in ${name} (exit ${r.code}${why ? `: ${why}` : ""}); it needs sh, awk, sed, grep and date in the image`);
    }
    return read(d, m);
  };
}
