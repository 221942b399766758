/**
 * Test layer 3: the real Pulumi engine and the real Docker engine.
 * The whole session cycle against the REAL Pulumi engine (the CLI on PATH, through the
 * Automation API) with the Docker provider, a file backend in a temporary directory and the
 * local image formations-test/busybox:latest: up a Pool of 3, show (also from a fresh workspace,
 * as a pipeline on another machine would), list by label, refresh with drift, update to 4, a
 * busy session, an interrupted update's pending operations, Ctrl-C, destroy.
 *
 * Run with `npm run test:e2e`. Without the Pulumi CLI or a Docker engine the suite is skipped
 * with one message saying what is missing and how to get it (test/e2e/prerequisites.ts).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBackend } from "../../automation/session/backend.js";
import type { Deployment } from "../../automation/session/engine.js";
import { ConcurrentUpdateError, exitCodeOf, PendingOperationsError } from "../../automation/session/errors.js";
import type { SessionEvent } from "../../automation/session/events.js";
import { sessionProgram } from "../../automation/session/inline-program.js";
import { PulumiEngine, PROJECT } from "../../automation/session/pulumi-engine.js";
import { Sessions } from "../../automation/sessions.js";
import { readSession } from "../../automation/session/record-store.js";
import { machinesOf, pendingOperations, secretsSettings } from "../../automation/session/stack-state.js";
import { loadFormationText } from "../../format/load.js";
import { planSession } from "../../plan/index.js";
import { IMAGE, missing } from "./prerequisites.js";

/** The file backend's checkpoint of a stack (its layout differs between backend versions: search for it). */
async function checkpointFile(stateDir: string, stack: string): Promise<string> {
  const found = (await readdir(join(stateDir, ".pulumi", "stacks"), { recursive: true })).filter((p) => p === `${stack}.json` || p.endsWith(`/${stack}.json`));
  if (found.length !== 1) throw new Error(`expected one checkpoint for ${stack} under ${stateDir}, found: ${found.join(", ") || "none"}`);
  return join(stateDir, ".pulumi", "stacks", found[0]!);
}

const skip = await missing();
if (skip) console.warn(skip);

const SESSION = `e2e-${randomBytes(4).toString("hex")}`;
const PASSPHRASE = `e2e-${randomBytes(16).toString("hex")}`;

const pool = (count: number) => `apiVersion: formations/v1
kind: Pool
metadata:
  name: e2e-pool
  labels: { suite: e2e, run: ${SESSION} }
cloud:
  provider: docker
spec:
  count: ${count}
  machine:
    image: ${IMAGE}
`;

describe.skipIf(Boolean(skip))("sessions against the real Pulumi engine and Docker", () => {
  let dir: string;
  let backendUrl: string;
  let files: Record<3 | 4, string>;
  let sessions: Sessions;
  const events: SessionEvent[] = [];
  const docker = new Docker();
  const opened: Sessions[] = [];

  /** A Sessions on the suite's backend; `home` apart gives it its own workspace, as another machine would have. */
  function open(home = join(dir, "home"), onEvent?: (e: SessionEvent) => void): Sessions {
    const s = new Sessions({
      backendUrl,
      home,
      env: { ...process.env, FORMATIONS_HOME: home, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
      concurrency: 2,
      ...(onEvent ? { onEvent } : {}),
    });
    opened.push(s);
    return s;
  }

  async function containers(): Promise<Docker.ContainerInfo[]> {
    return docker.listContainers({ all: true, filters: { label: [`formations-session=${SESSION}`] } });
  }

  async function running(id: string): Promise<boolean> {
    try {
      return (await docker.getContainer(id).inspect()).State.Running;
    } catch {
      return false; // gone
    }
  }

  /** The production engine on the suite's backend, for what the library does not expose (holding a lock, editing state). */
  async function engine(): Promise<PulumiEngine> {
    const backend = await loadBackend({ backendUrl, home: join(dir, "home") }, { ...process.env, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE });
    return new PulumiEngine({ backend });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "formations-e2e-"));
    backendUrl = pathToFileURL(join(dir, "state")).href;
    files = { 3: join(dir, "pool-3.yaml"), 4: join(dir, "pool-4.yaml") };
    await writeFile(files[3], pool(3));
    await writeFile(files[4], pool(4));
    sessions = open(undefined, (e) => events.push(e));
  });

  afterAll(async () => {
    if (!dir) return;
    // Leave nothing behind, whatever failed: the session, then any container still labelled with it.
    await open()
      .destroy(SESSION)
      .catch(() => undefined);
    for (const c of await containers().catch(() => []))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    for (const s of opened) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("up creates a Pool of 3 running containers, labelled with the session", async () => {
    const r = await sessions.up(files[3], { session: SESSION });
    expect(r.result).toBe("ok");
    expect(r.machines.map((m) => m.name)).toEqual(["machine-1", "machine-2", "machine-3"]);
    for (const m of r.machines) {
      expect(await running(m.cloudId)).toBe(true);
      expect((await docker.getContainer(m.cloudId).inspect()).Config.Labels["formations-session"]).toBe(SESSION);
    }
    expect(events.filter((e) => e.type === "resource-done").length).toBeGreaterThanOrEqual(3);
    expect(events.at(-1)).toMatchObject({ type: "operation-end", session: SESSION, action: "up", result: "ok" });
  });

  it("show reports the machines running with how to connect; so does a fresh workspace with only the backend and passphrase", async () => {
    const d = await sessions.show(SESSION);
    expect(d.machines.map((m) => [m.name, m.state])).toEqual([
      ["machine-1", "running"],
      ["machine-2", "running"],
      ["machine-3", "running"],
    ]);
    for (const m of d.machines) expect(m.connect).toBeTruthy();
    const elsewhere = open(join(dir, "other-machine"));
    expect((await elsewhere.show(SESSION)).machines).toHaveLength(3);
    expect((await elsewhere.journal(SESSION)).map((e) => `${e.action}:${e.result}`)).toEqual(["up:ok"]);
  });

  it("the stack's outputs read from one export are what the Automation API's two listings (masked, then plain) give, secrets included", async () => {
    const backend = await loadBackend({ backendUrl, home: join(dir, "home") }, { ...process.env, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE });
    const e = new PulumiEngine({ backend });
    const ws = await mkdtemp(join(tmpdir(), "formations-e2e-outputs-"));
    try {
      const ours = await (await e.selectStack(SESSION)).outputs();
      const auto = await import("@pulumi/pulumi/automation/index.js");
      const w = await auto.LocalWorkspace.create({
        workDir: ws,
        envVars: backend.env,
        projectSettings: { name: PROJECT, runtime: "nodejs", backend: { url: backendUrl } },
      });
      const stack = await auto.Stack.select(SESSION, w);
      await w.saveStackSettings(SESSION, secretsSettings((await stack.exportStack()) as Deployment) ?? {});
      const theirs = await stack.outputs();
      expect(ours).toEqual(theirs);
      expect(Object.values(ours).some((o) => o.secret)).toBe(true);
      expect(machinesOf(Object.fromEntries(Object.entries(ours).map(([k, v]) => [k, v.value]))).map((m) => m.name)).toEqual([
        "machine-1",
        "machine-2",
        "machine-3",
      ]);
    } finally {
      await e.close();
      await rm(ws, { recursive: true, force: true });
    }
  });

  it("sessions lists it by label", async () => {
    const list = await sessions.list({ labels: { run: SESSION } });
    expect(list).toEqual([expect.objectContaining({ session: SESSION, kind: "Pool", provider: "docker", machines: 3 })]);
    expect(await sessions.list({ labels: { run: "no-such-run" } })).toEqual([]);
  });

  it("refresh records a machine stopped outside formations, and the next up does not restart it", async () => {
    expect((await sessions.refresh(SESSION)).drift).toEqual([]);
    const m2 = (await sessions.show(SESSION)).machines.find((m) => m.name === "machine-2")!;
    await docker.getContainer(m2.cloudId!).stop();
    const r = await sessions.refresh(SESSION);
    expect(r.drift.map((d) => d.machine)).toEqual(["machine-2"]);
    // A stopped container either reads as stopped or, with mustRun, leaves the provider's state: both are recorded.
    expect(["stopped", "removed"]).toContain(r.drift[0]!.to);
    expect((await sessions.journal(SESSION)).filter((e) => e.action === "drift")).toEqual([
      expect.objectContaining({ machine: "machine-2", result: "recorded" }),
    ]);
    await sessions.up(files[3], { session: SESSION });
    expect(await running(m2.cloudId!)).toBe(false);
    expect((await sessions.show(SESSION)).machines.find((m) => m.name === "machine-2")!.state).toMatch(/^(stopped|terminated)$/);
  });

  it("an update to 4 adds machine-4 and journals it", async () => {
    const r = await sessions.up(files[4], { session: SESSION });
    const m4 = r.machines.find((m) => m.name === "machine-4");
    expect(m4).toBeDefined();
    expect(await running(m4!.cloudId)).toBe(true);
    expect((await sessions.journal(SESSION)).filter((e) => e.action === "up").at(-1)).toMatchObject({ result: "ok", added: ["machine-4"] });
    expect((await sessions.list({ labels: { run: SESSION } }))[0]).toMatchObject({ machines: 4 });
  });

  it("a second operation on a busy session fails fast (exit 3) and names who holds it", async () => {
    // Another holder: the session's own program, run by the real CLI, waits on us before returning,
    // so the CLI holds the stack's lock for as long as this test needs (no race with a fast update).
    const eng = await engine();
    try {
      const stack = await eng.selectStack(SESSION);
      const { record } = await readSession(stack);
      const formation = loadFormationText(record!.formation);
      const program = sessionProgram({ plan: planSession(formation, { session: SESSION, desired: record!.desired }), record: record! });
      let release!: () => void;
      let started!: () => void;
      const programStarted = new Promise<void>((r) => (started = r));
      const held = stack.up({
        program: async () => {
          started();
          const outputs = await program();
          await new Promise<void>((r) => (release = r));
          return outputs;
        },
        exclude: Object.values(record!.removed).flatMap((r) => r.urns),
      });
      await programStarted;
      const err = await open()
        .refresh(SESSION)
        .catch((e: unknown) => e);
      release();
      await held;
      expect(err).toBeInstanceOf(ConcurrentUpdateError);
      expect(exitCodeOf(err)).toBe(3);
      expect((err as ConcurrentUpdateError).holder).toMatch(/^\S+@\S+ \(pid \d+/);
      expect((err as Error).message).toContain(`session '${SESSION}' is busy: held by`);
    } finally {
      await eng.close();
    }
  });

  it("an interrupted update's pending operation is detected, refresh --clear-pending clears it, and up works after the leftover is deleted", async () => {
    // What an update killed mid-create leaves: a pending create in the backend's checkpoint, and
    // the container in the engine. Written into the file backend's checkpoint directly, because
    // `pulumi stack import` drops pending operations (and killing the CLI at the right moment is a race).
    const urn = `urn:pulumi:${SESSION}::formations::formations:index:Pool$docker:index/container:Container::${SESSION}-machine-9`;
    const leftover = await docker.createContainer({ Image: IMAGE, name: `${SESSION}-machine-9`, Labels: { "formations-session": SESSION } });
    const file = await checkpointFile(join(dir, "state"), SESSION);
    const checkpoint = JSON.parse(await readFile(file, "utf8")) as { checkpoint: { latest: Deployment["deployment"] } };
    checkpoint.checkpoint.latest.pending_operations = [{ resource: { urn, type: "docker:index/container:Container", custom: true }, type: "creating" }];
    await writeFile(file, JSON.stringify(checkpoint, null, 4));

    const err = await sessions.up(files[4], { session: SESSION }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PendingOperationsError);
    expect(exitCodeOf(err)).toBe(3);
    expect((err as Error).message).toContain(urn);
    expect((err as Error).message).toContain(`formations refresh ${SESSION} --clear-pending`);
    // Still there: reporting the failure must not have cleared them.
    expect(await sessions.refresh(SESSION).catch((e: unknown) => e)).toBeInstanceOf(PendingOperationsError);

    const r = await sessions.refresh(SESSION, { clearPending: true });
    expect(r.cleared).toEqual([{ urn, type: "creating" }]);
    const check = await engine();
    try {
      expect(pendingOperations((await (await check.selectStack(SESSION)).exportState()) as Deployment)).toEqual([]);
    } finally {
      await check.close();
    }
    await leftover.remove({ force: true }); // "delete what the cloud still has"
    await expect(sessions.up(files[4], { session: SESSION })).resolves.toMatchObject({ result: "ok" });
  });

  it("Ctrl-C cancels an update gracefully and leaves the state consistent", async () => {
    const seen: SessionEvent[] = [];
    let cancelled = false;
    const s = open(undefined, (e) => {
      seen.push(e);
      if (!cancelled && e.type === "resource-start" && !e.planning) {
        cancelled = true;
        s.cancel();
      }
    });
    // Scaling 4 → 3 and back gives the engine steps to be in the middle of.
    const outcome = await s.up(files[3], { session: SESSION }).then(
      () => "ok",
      (e: unknown) => (e instanceof Error ? e.name : String(e)),
    );
    // The engine may finish before the SIGINT lands; either way nothing is left pending.
    expect(["ok", "CancelledError"]).toContain(outcome);
    const eng = await engine();
    try {
      expect(pendingOperations((await (await eng.selectStack(SESSION)).exportState()) as Deployment)).toEqual([]);
    } finally {
      await eng.close();
    }
    await expect(sessions.up(files[4], { session: SESSION })).resolves.toMatchObject({ result: "ok" });
  });

  it("destroy removes every container and the session", async () => {
    await sessions.destroy(SESSION);
    expect(await containers()).toEqual([]);
    const err = await sessions.show(SESSION).catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(1);
  });
});
