/**
 * Layer 3 support (no tests here): a workload session launched through the product's library
 * (`Sessions`) on the REAL Pulumi engine and the real Docker engine, with `machine.image`
 * overridden to the local images of scripts/images.sh. Each test file gets its own file backend,
 * passphrase and FORMATIONS_HOME in a temporary folder, and a session named `workloads-...`;
 * `close()` destroys the session and removes any container still labelled with it.
 *
 * What the suite needs is checked once (`workloadsMissing`): the Pulumi CLI, the Docker engine,
 * and, for the lab, Debian's chromium. Without them the files are skipped with one line saying
 * what is missing; under CI (CI=true) that line is an error and the run fails.
 */
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import Docker from "dockerode";
import { Sessions } from "../../automation/sessions.js";
import type { SessionEvent } from "../../automation/session/events.js";
import { containerName, LABELS } from "../../clouds/docker/names.js";
import { IMAGE } from "../e2e/prerequisites.js";
import { CHROMIUM } from "../console/browser.js";

const run = promisify(execFile);

import { Fatal } from "../images/adapter-docker.js";

export { until, http, Fatal } from "../images/adapter-docker.js";

/**
 * Undefined when what the file needs is there; else the skip line (throws under CI). The Pulumi
 * engine unless `pulumi: false` (the cloud-init file runs containers only), the Docker engine
 * with the test image, and Debian's chromium with `browser`.
 */
export async function workloadsMissing(opts: { browser?: boolean; pulumi?: boolean } = {}): Promise<string | undefined> {
  const problems: string[] = [];
  if (opts.pulumi !== false) {
    const r = spawnSync("pulumi", ["version"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
    if (r.status !== 0) problems.push(`the Pulumi CLI is not on PATH (build the pinned engine: eval "$(scripts/pulumi-engine.sh build)")`);
  }
  const engine = new Docker();
  const answers = await engine.ping().then(
    () => true,
    () => false,
  );
  if (!answers) problems.push(`no Docker engine answers at ${process.env.DOCKER_HOST ?? "the default socket"} (eval "$(scripts/docker-engine.sh start)")`);
  else if (
    !(await engine
      .getImage(IMAGE)
      .inspect()
      .then(
        () => true,
        () => false,
      ))
  )
    problems.push(`the Docker engine has no ${IMAGE} (scripts/docker-engine.sh start builds it)`);
  if (opts.browser && !existsSync(CHROMIUM)) problems.push(`the lab test drives Debian's chromium: ${CHROMIUM} is missing (apt-get install -y chromium)`);
  if (problems.length === 0) return undefined;
  const message = `workload tests need ${problems.join("; and ")}. Then run: npm run test:workloads`;
  if (isCI()) throw new Error(`${message} (CI=true: a missing prerequisite fails the run)`);
  return `SKIPPED ${message}`;
}

function isCI(): boolean {
  const v = (process.env.CI ?? "").toLowerCase();
  return v !== "" && v !== "0" && v !== "false";
}

/** The local image NAME, built by scripts/images.sh if missing (seconds when it is there). */
export async function localImage(name: string): Promise<string> {
  const { stdout } = await run("bash", ["scripts/images.sh", "build", name], { timeout: 3_600_000, maxBuffer: 64 * 1024 * 1024 });
  const line = stdout.split("\n").find((l) => l.startsWith(`${name}=`));
  if (!line) throw new Error(`scripts/images.sh build ${name} printed no image`);
  return line.slice(name.length + 1);
}

/** `docker ARGS...` on the test's engine: stdout; throws with stderr (never with the environment). */
export async function docker(args: string[], timeoutMs = 300_000): Promise<string> {
  try {
    return (await run("docker", args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`docker ${args.slice(0, 4).join(" ")} ...: ${err.stderr || err.message}\n${err.stdout ?? ""}`, { cause: e });
  }
}

export interface WorkloadSession {
  /** The session's name (`workloads-<what>-<hex>`). */
  name: string;
  sessions: Sessions;
  /** Every event the library emitted, in order. */
  events: SessionEvent[];
  /** Writes the formation to the test's folder and runs `up` through the library. */
  up(yaml: string): ReturnType<Sessions["up"]>;
  /** The container of a machine. */
  container(machine: string): string;
  /** `docker exec` in a machine's container; stdout. */
  exec(machine: string, cmd: string[], opts?: { user?: string; timeoutMs?: number }): Promise<string>;
  /** Throws, with the last log lines, when a container of the session is not running. */
  healthy(machines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** A session on a fresh file backend in a temporary folder. */
export async function openSession(what: string): Promise<WorkloadSession> {
  const dir = await mkdtemp(join(tmpdir(), `formations-workloads-${what}-`));
  const home = join(dir, "home");
  const name = `workloads-${what}-${randomBytes(3).toString("hex")}`;
  const events: SessionEvent[] = [];
  const sessions = new Sessions({
    backendUrl: pathToFileURL(join(dir, "state")).href,
    home,
    env: { ...process.env, FORMATIONS_HOME: home, PULUMI_CONFIG_PASSPHRASE: `workloads-${randomBytes(16).toString("hex")}` },
    concurrency: 2,
    onEvent: (e) => events.push(e),
  });
  const engine = new Docker();
  const s: WorkloadSession = {
    name,
    sessions,
    events,
    up: async (yaml) => {
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, yaml);
      return sessions.up(file, { session: name });
    },
    container: (m) => containerName(name, m),
    exec: (m, cmd, opts = {}) => docker(["exec", ...(opts.user ? ["-u", opts.user] : []), containerName(name, m), ...cmd], opts.timeoutMs),
    healthy: async (machines) => {
      for (const m of machines) {
        const state = (await engine.getContainer(containerName(name, m)).inspect()).State;
        if (!state.Running) {
          const logs = await run("sh", ["-c", `docker logs --tail 40 "$1" 2>&1`, "sh", containerName(name, m)]).then(
            (r) => r.stdout,
            (e: Error) => e.message,
          );
          throw new Fatal(`${m} is ${state.Status} (exit ${state.ExitCode}); its last lines:\n${logs}`);
        }
      }
    },
    close: async () => {
      // FORMATIONS_WORKLOADS_KEEP=1 leaves the session for a look after a failure.
      if (process.env.FORMATIONS_WORKLOADS_KEEP) return;
      await sessions.destroy(name).catch((e: unknown) => console.warn(`destroy ${name}: ${(e as Error).message.split("\n")[0]}`));
      const left = await engine.listContainers({ all: true, filters: { label: [`${LABELS.session}=${name}`] } }).catch(() => []);
      for (const c of left)
        await engine
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined);
      await sessions.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return s;
}
