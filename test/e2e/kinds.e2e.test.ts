/**
 * Layer 3: the REAL Pulumi engine (scripts/pulumi-engine.sh) and the REAL Docker engine
 * (scripts/docker-engine.sh), through the `formations` command and through `pulumi up` on the
 * repository's root Pulumi.yaml, checked against what Docker itself reports.
 * - a Machine whose host is priced (`cloud.pricing`) with a budget: `enforce` stops it once the
 *   budget is reached, journals why, and does nothing the second time;
 * - a Docker container with a published port (bound to 127.0.0.1 of the host, reachable there)
 *   and a named volume that outlives a stop and start;
 * - `pulumi up` / `pulumi destroy` of the root project with `formations:file` set, no wrapper.
 * (Pool: lifecycle.e2e.test.ts; the service images of VirtualLab, EMRCluster and HPCCluster: the
 * workload tests.)
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, formations, json, ok, run, type CliEnv } from "./cli.js";
import { IMAGE, missing } from "./prerequisites.js";

const skip = await missing();
if (skip) console.warn(skip);

const RUN = randomBytes(3).toString("hex");
const MACHINE = `kd-machine-${RUN}`;
const CONTAINER = `kd-docker-${RUN}`;
const ROOT_STACK = `kd-root-${RUN}`;

const machine = `apiVersion: formations/v1
kind: Machine
metadata:
  name: kd-machine
  labels: { suite: e2e-kinds, run: "${RUN}" }
cloud:
  provider: docker
  pricing: { cpuHourUsd: 100 }
lifecycle:
  budget: { usd: 0.01, action: stop }
spec:
  machine: { image: ${IMAGE}, instanceType: 1cpu-512m }
`;

const container = `apiVersion: formations/v1
kind: Docker
metadata:
  name: kd-docker
  labels: { suite: e2e-kinds, run: "${RUN}" }
cloud: { provider: docker }
spec:
  container:
    image: ${IMAGE}
    command: ["/bin/sh", "-c", "mkdir -p /www && echo served-by-formations > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports:
      - { container: 8080 }
    volumes:
      - { name: kd-data-${RUN}, mountPath: /data }
`;

interface Shown {
  machines: { name: string; state: string; cloudId?: string; connect?: string }[];
  cost: { hourlyUsd: number; soFarUsd: number };
  journal?: { action: string; machine?: string; result: string; detail?: string; actor?: string }[];
}

/** One HTTP GET over a plain socket (no proxy settings involved): the status line and body. */
function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port }, () => socket.end(`GET / HTTP/1.0\r\nHost: localhost\r\n\r\n`));
    let text = "";
    socket.setEncoding("utf8").on("data", (d: string) => (text += d));
    socket.on("error", reject);
    socket.on("close", () => resolve(text));
  });
}

describe.skipIf(Boolean(skip))("the other kinds on Docker, and the root Pulumi.yaml, on the real engines", () => {
  const docker = new Docker();
  let dir: string;
  let env: CliEnv;
  const containers = async (session: string) => docker.listContainers({ all: true, filters: { label: [`formations-session=${session}`] } });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "formations-e2e-kinds-"));
    env = { home: join(dir, "home"), backendUrl: pathToFileURL(join(dir, "state")).href, passphrase: randomBytes(12).toString("hex") };
    await writeFile(join(dir, "machine.yaml"), machine);
    await writeFile(join(dir, "docker.yaml"), container);
  });

  afterAll(async () => {
    for (const s of [MACHINE, CONTAINER]) await formations(env, ["destroy", s, "--yes"]);
    for (const s of [MACHINE, CONTAINER, ROOT_STACK])
      for (const c of await containers(s))
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
    await docker
      .getVolume(`kd-data-${RUN}`)
      .remove()
      .catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it("a priced Machine over its budget is stopped by enforce, once, with the reason journaled", async () => {
    await ok(env, ["up", join(dir, "machine.yaml"), "--session", MACHINE, "--yes"]);
    const [c] = await containers(MACHINE);
    expect(c?.State).toBe("running");
    const shown = await json<Shown>(env, ["show", MACHINE]);
    // 1 CPU at 100 USD per CPU-hour: the plan's price is the host's chargeback.
    expect(shown.cost.hourlyUsd).toBeCloseTo(100, 6);
    // 0.01 USD is 0.36 s at that rate; wait (by polling the ledger) until it is really spent.
    let accrued = 0;
    for (let i = 0; i < 120 && accrued < 0.01; i++) {
      accrued = (await json<{ accruedUsd: number }>(env, ["cost", MACHINE])).accruedUsd;
      if (accrued < 0.01) await new Promise((r) => setTimeout(r, 500));
    }
    expect(accrued).toBeGreaterThanOrEqual(0.01);

    const dry = await json<{ dryRun: boolean; sessions: { session: string; actions?: unknown[] }[] }>(env, ["enforce", "--label", `run=${RUN}`, "--dry-run"]);
    expect(dry.dryRun).toBe(true);
    expect((await containers(MACHINE))[0]?.State).toBe("running");

    const first = await formations(env, ["enforce", "--label", `run=${RUN}`, "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const acted = (JSON.parse(first.stdout) as { actions: { session: string; rule: string; action: string; outcome: string }[] }).actions;
    expect(acted.filter((a) => a.session === MACHINE)).toEqual([expect.objectContaining({ rule: "budget", action: "stop", outcome: "done" })]);
    expect((await containers(MACHINE))[0]?.State).toBe("exited");
    const journal = (await json<Shown>(env, ["show", MACHINE])).journal ?? [];
    const stops = journal.filter((e) => e.action === "stop" && e.result === "ok");
    expect(stops).toHaveLength(1);
    // Beside the stop, the enforcement itself: why, against which budget, how much was spent.
    const budgets = journal.filter((e) => e.action === "budget");
    expect(budgets).toEqual([expect.objectContaining({ result: "ok", detail: expect.stringMatching(/^stop: /) as unknown })]);
    expect((budgets[0] as unknown as { budget: { usd: number; action: string; accruedMicros: number } }).budget).toMatchObject({ usd: 0.01, action: "stop" });
    expect((budgets[0] as unknown as { budget: { accruedMicros: number } }).budget.accruedMicros).toBeGreaterThanOrEqual(10_000);

    // Acting once: the machine is stopped, so a second pass has nothing to do.
    const second = await formations(env, ["enforce", "--label", `run=${RUN}`, "--json"]);
    expect(second.code, second.stderr).toBe(0);
    expect((JSON.parse(second.stdout) as { actions: { session: string }[] }).actions.filter((a) => a.session === MACHINE)).toEqual([]);
    const again = (await json<Shown>(env, ["show", MACHINE])).journal ?? [];
    expect(again.filter((e) => e.action === "stop" && e.result === "ok")).toHaveLength(1);
    expect(again.filter((e) => e.action === "budget")).toHaveLength(1);
    expect((await containers(MACHINE))[0]?.State).toBe("exited");

    await ok(env, ["destroy", MACHINE, "--yes"]);
    expect(await containers(MACHINE)).toEqual([]);
  });

  it("a Docker container publishes its port on 127.0.0.1 only, serves on it, and keeps its volume across stop and start", async () => {
    await ok(env, ["up", join(dir, "docker.yaml"), "--session", CONTAINER, "--yes"]);
    const [c] = await containers(CONTAINER);
    expect(c?.State).toBe("running");
    const published = (c?.Ports ?? []).filter((p) => p.PrivatePort === 8080 && p.PublicPort);
    expect(published.length).toBeGreaterThan(0);
    // No formation said otherwise: bound to the host's loopback, not to every interface.
    expect(published.map((p) => p.IP).filter((ip) => ip !== "127.0.0.1" && ip !== "::1")).toEqual([]);
    let page = "";
    for (let i = 0; i < 60 && !page.includes("served-by-formations"); i++) {
      page = await httpGet(published[0]!.PublicPort).catch(() => "");
      if (!page.includes("served-by-formations")) await new Promise((r) => setTimeout(r, 500));
    }
    expect(page).toMatch(/^HTTP\/1\.[01] 200/);
    expect(page).toContain("served-by-formations");

    const name = c!.Names[0]!.slice(1);
    expect((await run("docker", ["exec", name, "sh", "-c", "echo kept > /data/file"])).code).toBe(0);
    const shown = await json<Shown>(env, ["show", CONTAINER]);
    expect(shown.machines).toHaveLength(1);
    const m = shown.machines[0]!;
    expect(m).toMatchObject({ state: "running", cloudId: c!.Id });
    await json(env, ["stop", CONTAINER]);
    expect((await containers(CONTAINER))[0]?.State).toBe("exited");
    await json(env, ["start", CONTAINER]);
    expect((await containers(CONTAINER))[0]?.State).toBe("running");
    expect((await run("docker", ["exec", name, "cat", "/data/file"])).stdout.trim()).toBe("kept");

    await ok(env, ["destroy", CONTAINER, "--yes"]);
    expect(await containers(CONTAINER)).toEqual([]);
  });

  it("pulumi up on the root Pulumi.yaml with formations:file set launches the formation; pulumi destroy removes it", async () => {
    const pool = join(dir, "root-pool.yaml");
    await writeFile(
      pool,
      `apiVersion: formations/v1\nkind: Pool\nmetadata: { name: kd-root, labels: { run: "${RUN}" } }\ncloud: { provider: docker }\nspec:\n  count: 2\n  machine: { image: ${IMAGE} }\n`,
    );
    const penv = { ...cliEnv(env), PULUMI_HOME: process.env.PULUMI_HOME ?? join(process.env.HOME ?? dir, ".pulumi") };
    const pulumi = async (args: string[]) => {
      const r = await run("pulumi", [...args, "--cwd", process.cwd(), "--non-interactive"], penv);
      if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
      return r;
    };
    await pulumi(["stack", "init", ROOT_STACK]);
    try {
      await pulumi(["config", "set", "formations:file", pool, "--stack", ROOT_STACK]);
      const up = await pulumi(["up", "--yes", "--skip-preview", "--stack", ROOT_STACK]);
      expect(up.stdout).toMatch(/Resources:\s*\n\s*\+ \d+ created/);
      // The stack is named like a session, so the containers carry it as their session.
      const made = await containers(ROOT_STACK);
      expect(made.map((c) => c.State)).toEqual(["running", "running"]);
      const outputs = JSON.parse((await pulumi(["stack", "output", "--json", "--stack", ROOT_STACK])).stdout) as {
        session: string;
        kind: string;
        machines: { name: string }[];
      };
      expect(outputs).toMatchObject({ session: ROOT_STACK, kind: "Pool" });
      expect(outputs.machines.map((m) => m.name).sort()).toEqual(["machine-1", "machine-2"]);
      await pulumi(["destroy", "--yes", "--skip-preview", "--stack", ROOT_STACK]);
      expect(await containers(ROOT_STACK)).toEqual([]);
    } finally {
      await run("pulumi", ["destroy", "--yes", "--skip-preview", "--stack", ROOT_STACK, "--cwd", process.cwd(), "--non-interactive"], penv);
      await run("pulumi", ["stack", "rm", ROOT_STACK, "--yes", "--force", "--cwd", process.cwd(), "--non-interactive"], penv);
    }
  });
});
