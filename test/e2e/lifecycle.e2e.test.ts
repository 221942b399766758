/**
 * Layer 3: a session's whole life through the `formations` command, on the REAL Pulumi engine
 * (scripts/pulumi-engine.sh) and the REAL Docker engine (scripts/docker-engine.sh), checked
 * against what Docker itself reports. A Pool of 3 on the local test image:
 * preview, then up --yes → sessions and show (states, addresses, connection details, cost) →
 * connect (its docker exec line runs a command) → stop, hibernate, start, reboot, shutdown, per
 * machine and per session → snapshot --save-formation, and up of the saved formation → a
 * container stopped and one removed behind the tool's back, refresh records both and the next up
 * keeps them so → an update from 3 to 4 → cost and enforce → destroy (the snapshot image is kept;
 * no container, network or volume is left).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formations, json, ok, run, type CliEnv } from "./cli.js";
import { IMAGE, missing } from "./prerequisites.js";

const skip = await missing();
if (skip) console.warn(skip);

const RUN = randomBytes(3).toString("hex");
const SESSION = `lc-${RUN}`;
const COPY = `lc-copy-${RUN}`;

const pool = (count: number) => `apiVersion: formations/v1
kind: Pool
metadata:
  name: lc-pool
  labels: { suite: e2e-lifecycle, run: "${RUN}" }
cloud: { provider: docker }
spec:
  count: ${count}
  machine: { image: ${IMAGE} }
`;

interface Shown {
  session: string;
  kind: string;
  provider: string;
  machines: { name: string; role: string; state: string; cloudId?: string; privateIp?: string; connect?: string; hourlyUsd?: number }[];
  cost: { hourlyUsd: number; soFarUsd: number };
  journal?: { action: string; machine?: string; result: string }[];
}
interface ActionReport {
  session: string;
  action: string;
  results: { machine: string; outcome: string; from: string; to: string }[];
  refresh: string;
}

describe.skipIf(Boolean(skip))("a session's whole life through the CLI, on the real engines", () => {
  const docker = new Docker();
  let dir: string;
  let env: CliEnv;
  let files: { 3: string; 4: string };

  const containers = async (session = SESSION) => docker.listContainers({ all: true, filters: { label: [`formations-session=${session}`] } });
  const byName = async (session = SESSION) =>
    Object.fromEntries((await containers(session)).map((c) => [c.Names[0]!.replace(/^\//, "").replace(`${session}-`, ""), c]));
  const dockerState = async (session = SESSION) => Object.fromEntries(Object.entries(await byName(session)).map(([n, c]) => [n, c.State]));
  const shownStates = async (session = SESSION, live = true) =>
    Object.fromEntries((await json<Shown>(env, ["show", session, ...(live ? ["--live"] : [])])).machines.map((m) => [m.name, m.state]));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "formations-e2e-lifecycle-"));
    env = { home: join(dir, "home"), backendUrl: pathToFileURL(join(dir, "state")).href, passphrase: randomBytes(12).toString("hex") };
    files = { 3: join(dir, "pool-3.yaml"), 4: join(dir, "pool-4.yaml") };
    await writeFile(files[3], pool(3));
    await writeFile(files[4], pool(4));
  });

  afterAll(async () => {
    // Whatever a failed test left: the sessions' containers and this run's images.
    for (const s of [SESSION, COPY]) await formations(env, ["destroy", s, "--yes"]);
    for (const c of [...(await containers(SESSION)), ...(await containers(COPY))])
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    for (const img of await docker.listImages({ filters: { reference: [`${SESSION}*`] } }))
      await docker
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it("preview says what up would create and creates nothing; up --yes creates 3 running containers", async () => {
    const preview = await ok(env, ["preview", files[3], "--session", SESSION]);
    expect(preview.stdout).toMatch(new RegExp(`^session ${SESSION}: \\d+ to create$`, "m"));
    expect(await containers()).toEqual([]);
    const up = await ok(env, ["up", files[3], "--session", SESSION, "--yes"]);
    expect(up.stdout).toContain(`session ${SESSION}: 3 machines`);
    expect(await dockerState()).toEqual({ "machine-1": "running", "machine-2": "running", "machine-3": "running" });
  });

  it("sessions lists it by label; show reports states, addresses, how to connect and the cost", async () => {
    const listed = await json<{ session: string; kind: string; provider: string; machines: number }[]>(env, ["sessions", "--label", `run=${RUN}`]);
    expect(listed).toEqual([expect.objectContaining({ session: SESSION, kind: "Pool", provider: "docker", machines: 3 })]);
    expect(await json<unknown[]>(env, ["sessions", "--label", "run=nobody"])).toEqual([]);
    const shown = await json<Shown>(env, ["show", SESSION]);
    const real = await byName();
    expect(shown.machines.map((m) => m.name)).toEqual(["machine-1", "machine-2", "machine-3"]);
    for (const m of shown.machines) {
      expect(m).toMatchObject({ role: "member", state: "running", cloudId: real[m.name]!.Id, connect: `docker exec -it ${SESSION}-${m.name} /bin/sh` });
      // The address is the container's on the session's network.
      expect(Object.values(real[m.name]!.NetworkSettings.Networks).map((n) => n.IPAddress)).toContain(m.privateIp);
    }
    expect(shown.cost).toMatchObject({ hourlyUsd: 0, soFarUsd: 0 });
  });

  it("connect prints a docker exec line that really runs a command in the container", async () => {
    const r = await ok(env, ["connect", SESSION, "--machine", "machine-2"]);
    const line = r.stdout.trim();
    expect(line).toBe(`docker exec -it ${SESSION}-machine-2 /bin/sh`);
    // The same line without a terminal (-t): a script answers the shell.
    const [docker_, exec, ...rest] = line.split(" ").filter((a) => a !== "-it");
    const shell = await run(docker_!, [exec!, "-i", ...rest], process.env, "hostname; echo connected\n");
    expect(shell.code).toBe(0);
    // The container's hostname is its machine's name, as on a VM.
    expect(shell.stdout.trim().split("\n")).toEqual(["machine-2", "connected"]);
  });

  it("per machine: stop, hibernate (Docker: pause), then start of the session; each is what Docker says, and repeating is a no-op", async () => {
    const stop = await json<ActionReport>(env, ["stop", SESSION, "--machine", "machine-1"]);
    expect(stop.results).toEqual([expect.objectContaining({ machine: "machine-1", outcome: "done", from: "running", to: "stopped" })]);
    const again = await json<ActionReport>(env, ["stop", SESSION, "--machine", "machine-1"]);
    expect(again.results).toEqual([expect.objectContaining({ machine: "machine-1", outcome: "no-op" })]);
    await json<ActionReport>(env, ["hibernate", SESSION, "--machine", "machine-2"]);
    expect(await dockerState()).toEqual({ "machine-1": "exited", "machine-2": "paused", "machine-3": "running" });
    expect(await shownStates()).toEqual({ "machine-1": "stopped", "machine-2": "hibernated", "machine-3": "running" });
    const start = await json<ActionReport>(env, ["start", SESSION]);
    expect(Object.fromEntries(start.results.map((r) => [r.machine, `${r.outcome}:${r.from}->${r.to}`]))).toEqual({
      "machine-1": "done:stopped->running",
      "machine-2": "done:hibernated->running",
      "machine-3": "no-op:running->running",
    });
    expect(await dockerState()).toEqual({ "machine-1": "running", "machine-2": "running", "machine-3": "running" });
  });

  it("reboot restarts the container; shutdown of the session stops every one; start brings them back", async () => {
    const before = (await docker.getContainer((await byName())["machine-3"]!.Id).inspect()).State.StartedAt;
    await json<ActionReport>(env, ["reboot", SESSION, "--machine", "machine-3"]);
    const after = (await docker.getContainer((await byName())["machine-3"]!.Id).inspect()).State;
    expect(after.Running).toBe(true);
    expect(Date.parse(after.StartedAt)).toBeGreaterThan(Date.parse(before));
    const down = await json<ActionReport>(env, ["shutdown", SESSION]);
    expect(down.results.map((r) => r.outcome)).toEqual(["done", "done", "done"]);
    expect(await dockerState()).toEqual({ "machine-1": "exited", "machine-2": "exited", "machine-3": "exited" });
    await json<ActionReport>(env, ["start", SESSION]);
    expect(await dockerState()).toEqual({ "machine-1": "running", "machine-2": "running", "machine-3": "running" });
    const journal = (await json<Shown>(env, ["show", SESSION])).journal ?? [];
    expect(journal.filter((e) => e.result === "ok").map((e) => `${e.action}${e.machine ? ` ${e.machine}` : ""}`)).toEqual(
      expect.arrayContaining([
        "up",
        "stop machine-1",
        "hibernate machine-2",
        "start machine-1",
        "start machine-2",
        "reboot machine-3",
        "shutdown machine-1",
        "shutdown machine-2",
        "shutdown machine-3",
      ]),
    );
  });

  it("snapshot --save-formation commits the container to an image, and that formation launches a session from it", async () => {
    await run("docker", ["exec", `${SESSION}-machine-1`, "sh", "-c", "echo made-in-the-session > /marker"]);
    const saved = join(dir, "from-snapshot.yaml");
    const r = await ok(env, ["snapshot", SESSION, "--machine", "machine-1", "--name", `${SESSION}-snap:v1`, "--save-formation", saved]);
    expect(r.stdout + r.stderr).toContain(`${SESSION}-snap:v1`);
    const imageId = (await docker.getImage(`${SESSION}-snap:v1`).inspect()).Id;
    expect(imageId).toMatch(/^sha256:/);
    const text = await readFile(saved, "utf8");
    expect(text).toContain(`${SESSION}-snap:v1`);
    expect((await ok(env, ["validate", saved])).code).toBe(0);
    await ok(env, ["up", saved, "--session", COPY, "--yes"]);
    // A Pool's members share one machine block: every member launches from the image.
    const copies = await containers(COPY);
    expect(copies.map((c) => [c.ImageID, c.State])).toEqual(Array(3).fill([imageId, "running"]));
    for (const c of copies) expect((await run("docker", ["exec", c.Names[0]!.slice(1), "cat", "/marker"])).stdout.trim()).toBe("made-in-the-session");
    await ok(env, ["destroy", COPY, "--yes"]);
    expect(await containers(COPY)).toEqual([]);
  });

  it("a container stopped and one removed behind formations' back: refresh records both, and the next up keeps them so", async () => {
    const real = await byName();
    await docker.getContainer(real["machine-2"]!.Id).stop();
    await docker.getContainer(real["machine-3"]!.Id).remove({ force: true });
    const refresh = await formations(env, ["refresh", SESSION]);
    expect(refresh.code).toBe(0);
    const shown = await json<Shown>(env, ["show", SESSION]);
    expect(Object.fromEntries(shown.machines.map((m) => [m.name, m.state]))).toMatchObject({ "machine-1": "running", "machine-2": "stopped" });
    expect(
      (shown.journal ?? [])
        .filter((e) => e.action === "drift")
        .map((e) => e.machine)
        .sort(),
    ).toEqual(["machine-2", "machine-3"]);
    await ok(env, ["up", files[3], "--session", SESSION, "--yes"]);
    // Kept so: machine-2 still stopped (same container), machine-3 not recreated.
    expect(await dockerState()).toEqual({ "machine-1": "running", "machine-2": "exited" });
    expect((await byName())["machine-2"]!.Id).toBe(real["machine-2"]!.Id);
  });

  it("an unchanged formation applied again changes nothing", async () => {
    const ids = Object.fromEntries(Object.entries(await byName()).map(([n, c]) => [n, c.Id]));
    const r = await ok(env, ["up", files[3], "--session", SESSION, "--yes", "--json"]);
    // Resource steps other than "same" (the root stack's outputs, which carry the journal, are not resources of the session).
    const steps = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; op?: string; name?: string })
      .filter((e) => e.type === "resource-done" && e.op !== "same");
    expect(steps).toEqual([]);
    expect(Object.fromEntries(Object.entries(await byName()).map(([n, c]) => [n, c.Id]))).toEqual(ids);
  });

  it("an update from 3 to 4 adds machine-4, running, and leaves the others as they were", async () => {
    const before = await byName();
    await ok(env, ["up", files[4], "--session", SESSION, "--yes"]);
    const after = await byName();
    expect(after["machine-4"]?.State).toBe("running");
    expect(after["machine-1"]!.Id).toBe(before["machine-1"]!.Id);
    expect(after["machine-2"]).toMatchObject({ Id: before["machine-2"]!.Id, State: "exited" });
    expect(after["machine-3"]).toBeUndefined();
  });

  it("cost and enforce read the session's ledger: a Docker engine bills nothing, and no rule acts", async () => {
    const cost = await json<{ session: string; accruedUsd: number; burnUsdPerHour: number; machines: { machine: string; state: string }[] }>(env, [
      "cost",
      SESSION,
    ]);
    expect(cost).toMatchObject({ session: SESSION, accruedUsd: 0, burnUsdPerHour: 0 });
    // Every machine the session ever had: machine-3 too, removed outside formations.
    const journal = JSON.stringify((await json<Shown>(env, ["show", SESSION])).journal);
    expect(Object.fromEntries(cost.machines.map((m) => [m.machine, m.state])), journal).toEqual({
      "machine-1": "running",
      "machine-2": "stopped",
      "machine-3": "terminated",
      "machine-4": "running",
    });
    const enforce = await json<{ dryRun: boolean; sessions: { session: string }[] }>(env, ["enforce", "--label", `run=${RUN}`, "--dry-run"]);
    expect(enforce.dryRun).toBe(true);
    expect(enforce.sessions.map((s) => s.session)).toEqual([SESSION]);
  });

  it("destroy removes every container, the network and the session; the snapshot image is kept", async () => {
    const networks = async () => (await docker.listNetworks()).filter((n) => n.Name.startsWith(SESSION));
    expect(await networks()).not.toEqual([]);
    await ok(env, ["destroy", SESSION, "--yes"]);
    expect(await containers()).toEqual([]);
    expect(await networks()).toEqual([]);
    expect((await docker.listVolumes()).Volumes?.filter((v) => v.Name.startsWith(SESSION)) ?? []).toEqual([]);
    expect(await json<unknown[]>(env, ["sessions", "--label", `run=${RUN}`])).toEqual([]);
    expect((await docker.getImage(`${SESSION}-snap:v1`).inspect()).Id).toMatch(/^sha256:/);
  });
});
