/**
 * The console over TEST DOUBLES, for the unit-layer route tests and the FakeEngine browser tests:
 * `Sessions` on FakeEngine (automation's in-memory engine double; no Pulumi runs) with
 * TestDoubleDriver (an in-memory provider API double) mirrored into its fake cloud, the hub fed by
 * the Sessions' events, a formations folder with valid and invalid files, and a planner double
 * (the real `plan --json` loads Pulumi in a child process: its own CLI tests cover it).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import type { SessionEvent } from "../../automation/session/events.js";
import { Sessions } from "../../automation/sessions.js";
import { planSession } from "../../plan/index.js";
import { loadFormation } from "../../format/load.js";
import { consoleApp } from "../../console/app.js";
import type { ConsoleContext, PlanView } from "../../console/context.js";
import { Hub } from "../../console/live.js";
import { loadAssets } from "../../console/routes/page.js";
import { readPage } from "../../console/routes/sessions.js";
import { allowedHosts } from "../../console/security.js";
import { startConsole, type RunningConsole } from "../../console/serve.js";
import { FakeEngine } from "../automation/fake-engine.js";
import { lab, pool } from "../automation/actions/formations.js";
import { mirrorInto, TestDoubleDriver } from "../automation/actions/test-double-driver.js";
import { MemoryImages } from "../automation/memory-images.js";

export const TOKEN = "test-token-0123456789abcdefghijklmnopqrstu";
export const PORT = 4321;
export const HOST = `127.0.0.1:${PORT}`;
export const ORIGIN = `http://${HOST}`;

export interface ConsoleHarness {
  home: string;
  dir: string;
  engine: FakeEngine;
  driver: TestDoubleDriver;
  /** The provider's images (a test double of its image store). */
  images: MemoryImages;
  sessions: Sessions;
  hub: Hub;
  ctx: ConsoleContext;
  events: SessionEvent[];
  /** The app without a socket (route tests). */
  app: Hono;
  /** GET with the token and this console's Host. */
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** POST JSON from the console's own origin. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Launches a formation file of the folder as a session (through the library, as a fixture). */
  launch(file: string, session?: string): Promise<void>;
  cleanup(): Promise<void>;
}

/** A plan from the pure planner, shaped as `plan --json` (resource tree of machines only). */
async function planDouble(file: string): Promise<PlanView> {
  const plan = planSession(await loadFormation(file));
  return {
    session: plan.session,
    resources: [
      { type: `formations:index:${plan.kind}`, name: plan.session, parent: null },
      ...plan.machines.map((m) => ({ type: "docker:index/container:Container", name: `${plan.session}-${m.name}`, parent: plan.session })),
    ],
    cost: { hourlyUsd: plan.cost.hourlyUsd, lines: plan.cost.lines, source: plan.cost.source },
    notes: plan.notes,
  };
}

export const INVALID =
  "apiVersion: formations/v1\nkind: Pool\nmetadata:\n  name: broken\ncloud:\n  provider: docker\nspec:\n  count: 0\n  machine:\n    imagee: formations-test/busybox:latest\n";

export async function consoleHarness(): Promise<ConsoleHarness> {
  const home = await mkdtemp(join(tmpdir(), "formations-console-"));
  const dir = join(home, "formations");
  await mkdir(join(dir, "labs"), { recursive: true });
  await writeFile(join(dir, "pool.yaml"), pool(3, { name: "lab", labels: { team: "bio", course: "gen101" } }));
  await writeFile(
    join(dir, "labs", "desktop.yaml"),
    lab({ name: "desk", provider: "aws", labels: { team: "chem" }, machine: ["instanceType: a1.large"] }).replace("protocol: ssh", "protocol: rdp"),
  );
  await writeFile(join(dir, "broken.yaml"), INVALID);
  await writeFile(join(dir, "ci.yaml"), "jobs:\n  test: { runs-on: debian }\n"); // not a formation: not offered
  const engine = new FakeEngine();
  const driver = new TestDoubleDriver();
  const images = new MemoryImages();
  mirrorInto(driver, engine);
  const hub = new Hub();
  const events: SessionEvent[] = [];
  const sessions = new Sessions({
    home,
    env: { FORMATIONS_HOME: home, PULUMI_CONFIG_PASSPHRASE: "test-passphrase" },
    engine,
    drivers: () => driver,
    imageStores: async () => images,
    actor: "tester@host (console)",
    // The real clock: the page extrapolates costs from the server's figures with its own clock.
    now: () => new Date(),
    onEvent: (e) => {
      events.push(e);
      hub.onEvent(e);
    },
  });
  const ctx: ConsoleContext = { sessions, hub, dir, labels: [], actor: "tester@host (console)", plan: planDouble, now: () => new Date() };
  hub.reader = (s) => readPage(ctx, s);
  const app = consoleApp(ctx, { token: TOKEN, hosts: allowedHosts("127.0.0.1", PORT), assets: await loadAssets() });
  const auth = { Authorization: `Bearer ${TOKEN}`, Host: HOST };
  return {
    home,
    dir,
    engine,
    driver,
    images,
    sessions,
    hub,
    ctx,
    events,
    app,
    get: async (path, headers = {}) => app.request(path, { headers: { ...auth, ...headers } }),
    post: async (path, body, headers = {}) =>
      app.request(path, { method: "POST", headers: { ...auth, Origin: ORIGIN, "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) }),
    launch: async (file, session) => {
      await sessions.up(join(dir, file), session ? { session } : {});
    },
    cleanup: async () => {
      await hub.idle();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** The same console on a loopback socket, for a real browser. */
export async function servedHarness(): Promise<ConsoleHarness & { running: RunningConsole }> {
  const h = await consoleHarness();
  const running = await startConsole({ sessions: h.sessions, hub: h.hub, dir: h.dir, actor: h.ctx.actor, plan: h.ctx.plan, labels: [] });
  return {
    ...h,
    running,
    cleanup: async () => {
      await running.close();
      await h.cleanup();
    },
  };
}
