/**
 * Layer 3: faults on the REAL Pulumi engine and a real Docker engine, through the `formations`
 * CLI as a user runs it. The Docker engine is a private one started for this file
 * (scripts/docker-engine.sh with its own folder and bridge), so it can be frozen (SIGSTOP: every
 * call to it hangs, which holds an `up` in the middle of its creates without racing it), killed
 * and restarted; the shared engine is never touched. State: a file backend in a temporary folder.
 *
 * - `kill -9` of the CLI alone in the middle of an `up`: the engine it started finishes and saves.
 * - `kill -9` of the CLI and everything it started (a machine losing power): the next command
 *   reports the pending operations and how to recover, `refresh --clear-pending` recovers, the
 *   next `up` converges and `destroy` leaves no container with the session's labels.
 * - Ctrl-C (SIGINT) in the middle of an `up`: cancelled cleanly, nothing pending, the next up works.
 * - The Docker engine restarted in the middle of a `stop-all` batch: every machine ends stopped.
 *
 * Run with `npm run test:e2e`; skipped with one message without the engines (CI=true: fails).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, cli, descendants, filesUnder, jsonLines, PrivateDocker, startCli, until, type CliProcess } from "./harness.js";
import { IMAGE, missing } from "./prerequisites.js";

const isCI = !["", "0", "false"].includes((process.env.CI ?? "").toLowerCase());
let skip = await missing();
if (!skip) {
  const why = PrivateDocker.available();
  if (why && isCI) throw new Error(`fault tests: ${why} (CI=true: a missing prerequisite fails the run)`);
  if (why) skip = `SKIPPED fault tests: ${why}`;
}
if (skip) console.warn(skip);

const RUN = randomBytes(3).toString("hex");
const PASSPHRASE = `faults-${randomBytes(16).toString("hex")}`;

const pool = (count: number) => `apiVersion: formations/v1
kind: Pool
metadata:
  name: faults-pool
  labels: { suite: faults, run: r${RUN} }
cloud:
  provider: docker
spec:
  count: ${count}
  machine:
    image: ${IMAGE}
`;

interface Checkpoint {
  checkpoint?: { latest?: { pending_operations?: { resource: { urn: string }; type: string }[]; resources?: { type: string; id?: string }[] } };
}

describe.skipIf(Boolean(skip))("faults on the real Pulumi engine and a private Docker engine", () => {
  let dir: string;
  let engine: PrivateDocker;
  let docker: Docker;
  let env: NodeJS.ProcessEnv;
  const files: Record<number, string> = {};
  const sessions: string[] = [];

  const session = (what: string) => {
    const s = `faults-${what}-${RUN}`;
    sessions.push(s);
    return s;
  };

  async function containers(s: string): Promise<Docker.ContainerInfo[]> {
    return docker.listContainers({ all: true, filters: { label: [`formations-session=${s}`] } });
  }

  /** The file backend's checkpoint of a session, parsed (undefined while absent or being replaced). */
  async function checkpoint(s: string): Promise<Checkpoint | undefined> {
    const file = (await filesUnder(join(dir, "state", ".pulumi", "stacks"))).find((f) => f.endsWith(`/${s}.json`));
    if (!file) return undefined;
    try {
      return JSON.parse(await readFile(file, "utf8")) as Checkpoint;
    } catch {
      return undefined; // mid-write
    }
  }

  async function pendingOf(s: string): Promise<{ urn: string; type: string }[]> {
    return ((await checkpoint(s))?.checkpoint?.latest?.pending_operations ?? []).map((p) => ({ urn: p.resource.urn, type: p.type }));
  }

  /** Lock files of a session in the file backend (an operation holds it). */
  async function locks(s: string): Promise<string[]> {
    return (await filesUnder(join(dir, "state", ".pulumi", "locks"))).filter((f) => f.includes(`/${s}/`) && f.endsWith(".json"));
  }

  async function upOk(s: string, count: number): Promise<void> {
    const r = await cli(["up", files[count]!, "--session", s, "--yes"], env);
    expect(r.stderr).not.toMatch(/^formations: .*failed/m);
    expect(r.code, r.stderr).toBe(0);
  }

  async function runningCount(s: string): Promise<number> {
    return (await containers(s)).filter((c) => c.State === "running").length;
  }

  /**
   * Freezes the engine, starts `up` to `count`, and waits until the engine has written pending
   * creates into the state and the provider hangs on the frozen engine: the middle of an update.
   */
  async function upHeldInTheMiddle(s: string, count: number): Promise<CliProcess> {
    await engine.freeze();
    const p = startCli(["up", files[count]!, "--session", s, "--yes", "--json"], env);
    await until("the update's creates to be pending in the state", async () => (await pendingOf(s)).some((o) => o.type === "creating") && engine.waitedOn());
    return p;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "formations-faults-"));
    engine = await PrivateDocker.start("f");
    docker = engine.client();
    for (const n of [2, 3, 4]) {
      files[n] = join(dir, `pool-${n}.yaml`);
      await writeFile(files[n], pool(n));
    }
    env = {
      ...process.env,
      FORMATIONS_HOME: join(dir, "home"),
      PULUMI_BACKEND_URL: pathToFileURL(join(dir, "state")).href,
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      DOCKER_HOST: engine.host,
      NO_COLOR: "1",
    };
  });

  afterAll(async () => {
    if (!dir) return;
    await engine?.thaw().catch(() => undefined);
    for (const s of sessions) {
      await cli(["refresh", s, "--clear-pending"], env).catch(() => undefined);
      await cli(["destroy", s, "--yes"], env).catch(() => undefined);
    }
    await engine?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it("kill -9 of the CLI alone in the middle of an up: the engine it started finishes and saves the state; nothing pending, nothing leaked", async () => {
    const s = session("cli");
    await upOk(s, 2);
    const p = await upHeldInTheMiddle(s, 4);
    const pulumi = descendants(p.pid).filter((pid) => alive(pid));
    process.kill(p.pid, "SIGKILL");
    expect((await p.done).signal).toBe("SIGKILL");
    await engine.thaw();
    // The CLI runs in a process group of its own: it outlives us, sees its program gone, and ends the update.
    await until("the engine's processes to end and release the session", async () => pulumi.every((pid) => !alive(pid)) && (await locks(s)).length === 0);
    expect(await pendingOf(s)).toEqual([]);
    await upOk(s, 4);
    expect(await runningCount(s)).toBe(4);
    expect(await containers(s)).toHaveLength(4);
    const d = await cli(["destroy", s, "--yes"], env);
    expect(d.code, d.stderr).toBe(0);
    expect(await containers(s)).toEqual([]);
  });

  it("kill -9 of the CLI and everything it started in the middle of an up: the next command names the pending operations and the recovery; refresh --clear-pending recovers; nothing is leaked", async () => {
    const s = session("power");
    await upOk(s, 2);
    const p = await upHeldInTheMiddle(s, 4);
    // As a machine losing power: the CLI, the Pulumi engine and its plugins, all at once.
    const all = [p.pid, ...descendants(p.pid)];
    for (const pid of all) process.kill(pid, "SIGKILL");
    await p.done;
    await until("every killed process to be gone", () => all.every((pid) => !alive(pid)));
    await engine.thaw();
    expect(await locks(s)).toHaveLength(1); // the killed engine's lock stays in the backend
    const pending = await pendingOf(s); // as the engine left them when it died
    expect(pending.length).toBeGreaterThan(0);

    const next = await cli(["up", files[4]!, "--session", s, "--yes"], env);
    expect(next.code).toBe(3);
    expect(next.stderr).toContain(`session '${s}' has ${pending.length} operation(s) left pending by an interrupted update`);
    for (const o of pending) expect(next.stderr).toContain(o.urn);
    expect(next.stderr).toMatch(/the update was killed: its process, \S+@\S+ \(pid \d+.*\), is no longer running on this machine/);
    expect(next.stderr).toContain(`formations refresh ${s} --clear-pending`);

    const recover = await cli(["refresh", s, "--clear-pending"], env);
    expect(recover.code, recover.stderr).toBe(0);
    expect(await pendingOf(s)).toEqual([]);
    expect(await locks(s)).toEqual([]);

    await upOk(s, 4);
    expect(await runningCount(s)).toBe(4);
    // Only the session's four machines: nothing the interrupted creates left behind.
    expect(await containers(s)).toHaveLength(4);
    const d = await cli(["destroy", s, "--yes"], env);
    expect(d.code, d.stderr).toBe(0);
    expect(await containers(s)).toEqual([]);
  });

  it("Ctrl-C in the middle of an up cancels cleanly: exit 3 saying so, nothing pending, the next up works", async () => {
    const s = session("sigint");
    await upOk(s, 2);
    const p = await upHeldInTheMiddle(s, 4);
    // A terminal sends SIGINT to its foreground process group: the CLI's (the engine has its own).
    process.kill(-p.pid, "SIGINT");
    await until("the CLI to say it is cancelling", () => p.err().includes(`formations: cancelling ${s}`));
    await engine.thaw();
    const r = await p.done;
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`up of session '${s}' was cancelled`);
    expect(jsonLines(r.stdout).some((e) => e.type === "operation-end" && e.result === "cancelled")).toBe(true);
    expect(await pendingOf(s)).toEqual([]);
    expect(await locks(s)).toEqual([]);
    const journal = await cli(["show", s, "--json"], env);
    expect(journal.code, journal.stderr).toBe(0);
    await upOk(s, 4);
    expect(await runningCount(s)).toBe(4);
    expect(await containers(s)).toHaveLength(4);
  });

  it("the Docker engine restarted in the middle of a stop-all batch: one run ends with every machine stopped, and the session still starts", async () => {
    const s = session("restart");
    await upOk(s, 3);
    await engine.freeze();
    const p = startCli(["stop-all", "--session", s, "--yes", "--json"], env);
    await until("the batch to wait on the engine", () => engine.waitedOn());
    await engine.thaw();
    engine.restart();
    const r = await p.done;
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.slice(r.stdout.indexOf("\n{") + 1)) as { results: { machine: string; outcome: string }[] };
    expect(report.results.map((x) => x.machine).sort()).toEqual(["machine-1", "machine-2", "machine-3"]);
    for (const x of report.results) expect(["done", "no-op"], JSON.stringify(x)).toContain(x.outcome);
    // The restart may undo a stop the dying engine never recorded (Docker's unless-stopped policy
    // brings the container back): the batch saw the engine go away, read every machine again once
    // it answered, and stopped again what had come back. So when the CLI returns, all are stopped.
    expect(await containers(s)).toHaveLength(3);
    expect(await runningCount(s)).toBe(0);
    const start = await cli(["start", s], env);
    expect(start.code, start.stderr).toBe(0);
    expect(await runningCount(s)).toBe(3);
  });
});
