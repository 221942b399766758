/**
 * Layer 3: state shared between machines, on the REAL Pulumi engine and a real Docker engine,
 * through the `formations` CLI. The backend is not a folder but a blob store: Azurite (Microsoft's
 * Azure Storage emulator, npm `azurite`) on 127.0.0.1, reached with an `azblob://` URL, as a
 * team's Azure storage account would be. Two workspaces, each with its own FORMATIONS_HOME (two
 * machines), share only the backend URL, the storage key and the passphrase.
 *
 * - The second workspace sees the first's session, its machines and its journal, and acts on it.
 * - Two operations at once on one session: one proceeds, the other exits 3 naming the holder
 *   (the update is held in its middle by freezing this file's private Docker engine: no race).
 * - Two actions at once from both workspaces (driver actions, which Pulumi's lock does not
 *   cover): one proceeds, the other exits 3 naming the holder, through the session lock formations
 *   holds in the blob store (`.formations/locks/`); and the journal loses no entry of any action
 *   that ran, however the two interleave.
 *
 * Run with `npm run test:e2e`; skipped with one message without the engines (CI=true: fails).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, Azurite, cli, descendants, PrivateDocker, startCli, until } from "./harness.js";
import { IMAGE, missing } from "./prerequisites.js";

const isCI = !["", "0", "false"].includes((process.env.CI ?? "").toLowerCase());
let skip = await missing();
if (!skip) {
  const why = PrivateDocker.available();
  if (why && isCI) throw new Error(`shared-state tests: ${why} (CI=true: a missing prerequisite fails the run)`);
  if (why) skip = `SKIPPED shared-state tests: ${why}`;
}
if (skip) console.warn(skip);

const RUN = randomBytes(3).toString("hex");
const SESSION = `shared-${RUN}`;
const CONTAINER = `formations-${RUN}`;
const PASSPHRASE = `shared-${randomBytes(16).toString("hex")}`;
const BUSY = new RegExp(`session '${SESSION}' is busy: held by \\S+@\\S+ \\(pid \\d+, since `);

const pool = (count: number) => `apiVersion: formations/v1
kind: Pool
metadata:
  name: shared-pool
  labels: { suite: shared, run: r${RUN} }
cloud:
  provider: docker
spec:
  count: ${count}
  machine:
    image: ${IMAGE}
`;

interface Shown {
  machines: { name: string; state: string }[];
  journal: { at: string; actor?: string; action: string; machine?: string; result?: string }[];
}

describe.skipIf(Boolean(skip))("two workspaces sharing an azblob:// backend (Azurite)", () => {
  let dir: string;
  let azurite: Azurite;
  let engine: PrivateDocker;
  let docker: Docker;
  let a: NodeJS.ProcessEnv;
  let b: NodeJS.ProcessEnv;
  const files: Record<number, string> = {};

  async function show(env: NodeJS.ProcessEnv): Promise<Shown> {
    const r = await cli(["show", SESSION, "--json"], env);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Shown;
  }

  async function containers(): Promise<Docker.ContainerInfo[]> {
    return docker.listContainers({ all: true, filters: { label: [`formations-session=${SESSION}`] } });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "formations-shared-"));
    azurite = await Azurite.start();
    await azurite.createContainer(CONTAINER);
    engine = await PrivateDocker.start("s", 4);
    docker = engine.client();
    for (const n of [3, 4]) {
      files[n] = join(dir, `pool-${n}.yaml`);
      await writeFile(files[n], pool(n));
    }
    const shared = {
      ...process.env,
      ...azurite.env(),
      PULUMI_BACKEND_URL: azurite.url(CONTAINER),
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      DOCKER_HOST: engine.host,
      NO_COLOR: "1",
    };
    a = { ...shared, FORMATIONS_HOME: join(dir, "home-a"), FORMATIONS_ACTOR: "alice@workspace-a" };
    b = { ...shared, FORMATIONS_HOME: join(dir, "home-b"), FORMATIONS_ACTOR: "bob@workspace-b" };
  });

  afterAll(async () => {
    if (!dir) return;
    await engine?.thaw().catch(() => undefined);
    if (a) await cli(["destroy", SESSION, "--yes"], a).catch(() => undefined);
    await engine?.remove();
    await azurite?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("a session launched from workspace A is listed, shown and journaled in workspace B, which has only the backend URL and the passphrase", async () => {
    const up = await cli(["up", files[3]!, "--session", SESSION, "--yes"], a);
    expect(up.code, up.stderr).toBe(0);
    // The state is in the blob store, not in either home.
    expect((await azurite.list(CONTAINER, ".pulumi/stacks/")).some((n) => n.includes(SESSION))).toBe(true);
    const listed = await cli(["sessions", "--label", `run=r${RUN}`, "--json"], b);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ session: SESSION, kind: "Pool", provider: "docker", machines: 3 })]);
    const seen = await show(b);
    expect(seen.machines.map((m) => [m.name, m.state])).toEqual([
      ["machine-1", "running"],
      ["machine-2", "running"],
      ["machine-3", "running"],
    ]);
    expect(seen.journal.map((e) => `${e.actor} ${e.action} ${e.result}`)).toEqual(["alice@workspace-a up ok"]);
  });

  it("workspace B acts on the session and workspace A sees it, journal included", async () => {
    const stop = await cli(["stop", SESSION, "--machine", "machine-2"], b);
    expect(stop.code, stop.stderr).toBe(0);
    const seen = await show(a);
    expect(seen.machines.find((m) => m.name === "machine-2")!.state).toBe("stopped");
    expect(seen.journal.map((e) => `${e.actor} ${e.action}${e.machine ? ` ${e.machine}` : ""}`)).toEqual([
      "alice@workspace-a up",
      "bob@workspace-b stop machine-2",
      "bob@workspace-b refresh",
    ]);
    const start = await cli(["start", SESSION, "--machine", "machine-2"], a);
    expect(start.code, start.stderr).toBe(0);
  });

  it("two operations at once on one session: A's update proceeds, B's exits 3 naming A's process (its session lock) or its engine (Pulumi's lock) as the holder; the journal loses nothing", async () => {
    const before = (await show(a)).journal.length;
    // Hold A's update in its middle: the engine holds the lock while the provider waits on the frozen Docker engine.
    await engine.freeze();
    const held = startCli(["up", files[4]!, "--session", SESSION, "--yes"], a);
    await until(
      "A's update to hold the session's lock and wait on Docker",
      async () => (await azurite.list(CONTAINER, ".pulumi/locks/")).some((n) => n.includes(SESSION)) && engine.waitedOn(),
    );
    const holderPids = descendants(held.pid).filter(alive);

    // The session lock formations holds for A's whole operation is in the blob store too.
    expect(await azurite.list(CONTAINER, ".formations/locks/")).toEqual([`.formations/locks/formations/${SESSION}.json`]);

    for (const args of [
      ["up", files[4]!, "--session", SESSION, "--yes"],
      ["refresh", SESSION],
      ["destroy", SESSION, "--yes"],
    ]) {
      const busy = await cli(args, b);
      expect(busy.code, `${args[0]}: ${busy.stderr}`).toBe(3);
      const m = new RegExp(`session '${SESSION}' is busy: held by (\\S+)@(\\S+) \\(pid (\\d+), since `).exec(busy.stderr);
      expect(m, busy.stderr).not.toBeNull();
      // A's formations process (the session lock), or the Pulumi engine it started (the stack's lock).
      expect([held.pid, ...holderPids]).toContain(Number(m![3]));
    }
    await engine.thaw();
    const done = await held.done;
    expect(done.code, done.stderr).toBe(0);
    expect(await containers()).toHaveLength(4);

    const journal = (await show(b)).journal;
    expect(journal).toHaveLength(before + 1); // A's up; B's refusals changed nothing
    expect(journal.at(-1)).toMatchObject({ actor: "alice@workspace-a", action: "up", result: "ok" });
  });

  // Driver actions (stop through the Docker API) are no engine operation: Pulumi's lock covers only
  // their refresh and record write. The session lock in the blob store covers the whole action.
  it("two actions at once from both workspaces: one proceeds, the other exits 3 naming the holder; the journal loses nothing", async () => {
    const before = (await show(a)).journal;
    // Hold the first to take the session in its middle: its driver call waits on the frozen Docker engine.
    await engine.freeze();
    const stopA = startCli(["stop", SESSION, "--machine", "machine-1"], a);
    const stopB = startCli(["stop", SESSION, "--machine", "machine-4"], b);
    const first = await until("one of the two actions to end", async () => {
      for (const p of [stopA, stopB]) if (p.child.exitCode !== null) return p;
      return undefined;
    });
    await engine.thaw();
    const [ra, rb] = await Promise.all([stopA.done, stopB.done]);
    const [loser, winner] = first === stopA ? [ra, rb] : [rb, ra];
    const [winnerProc, winnerActor, winnerMachine, loserMachine] =
      first === stopA ? [stopB, "bob@workspace-b", "machine-4", "machine-1"] : [stopA, "alice@workspace-a", "machine-1", "machine-4"];
    expect(loser.code, loser.stderr).toBe(3);
    expect(loser.stderr).toMatch(BUSY);
    expect(loser.stderr).toContain(`(pid ${winnerProc.pid}, since `);
    expect(loser.stderr).toContain(`stop ${winnerMachine} by ${winnerActor}`);
    expect(winner.code, winner.stderr).toBe(0);
    const running = async () =>
      (await containers())
        .filter((c) => c.State === "running")
        .map((c) => c.Labels["formations-machine"])
        .sort();
    expect(await running()).toEqual(["machine-2", "machine-3", loserMachine].sort());
    const journal = (await show(b)).journal;
    expect(journal.slice(0, before.length)).toEqual(before);
    expect(journal.slice(before.length).map((e) => `${e.actor} ${e.action}${e.machine ? ` ${e.machine}` : ""}`)).toEqual([
      `${winnerActor} stop ${winnerMachine}`,
      `${winnerActor} refresh`,
    ]);
    // The lock is released: the refused workspace acts now.
    const retry = await cli(["stop", SESSION, "--machine", loserMachine], first === stopA ? a : b);
    expect(retry.code, retry.stderr).toBe(0);
    expect(await azurite.list(CONTAINER, ".formations/locks/")).toEqual([]);
  });

  it("two actions started at once, unhindered: each proceeds or exits 3 naming the holder, and every entry of each that ran is in the journal", async () => {
    const before = (await show(a)).journal;
    const [ra, rb] = await Promise.all([cli(["start", SESSION, "--machine", "machine-1"], a), cli(["start", SESSION, "--machine", "machine-4"], b)]);
    const ran: string[] = [];
    for (const [r, actor, machine] of [
      [ra, "alice@workspace-a", "machine-1"],
      [rb, "bob@workspace-b", "machine-4"],
    ] as const) {
      expect([0, 3], r.stderr).toContain(r.code);
      if (r.code === 3) expect(r.stderr).toMatch(BUSY);
      else ran.push(`${actor} start ${machine}`, `${actor} refresh`);
    }
    expect(ran.length).toBeGreaterThan(0);
    const added = (await show(a)).journal.slice(before.length).map((e) => `${e.actor} ${e.action}${e.machine ? ` ${e.machine}` : ""}`);
    expect(added.sort()).toEqual(ran.sort());
  });
});
