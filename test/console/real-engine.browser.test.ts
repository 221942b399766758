/**
 * Layer 5 on layer 3: the console END TO END in a real browser (Debian's chromium via
 * playwright-core), started as users start it (`formations console`, the real bin), over the
 * REAL Pulumi engine (the CLI on PATH, from scripts/pulumi-engine.sh) and the REAL Docker engine
 * (DOCKER_HOST, scripts/docker-engine.sh) with the local image formations-test/busybox:latest;
 * a file backend in a temporary folder. No test double anywhere.
 *
 * Launches a Pool from the Formations view and watches its machines reach running; stops one
 * from its context menu and sees its state change live (Docker has no price, so its rate stays
 * $0.0000/h: the rate change is shown on aws in fake-engine.browser.test.ts); snapshots a
 * container and finds it in Images; Stop All over a label acts on exactly the sessions shown;
 * Delete; then token-less and cross-origin requests are refused. Every container, network and
 * image it made is removed at the end. A missing prerequisite fails the run, saying what to do.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE, missing } from "../e2e/prerequisites.js";
import { openBrowser, type Browser } from "./browser.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "bin/formations.js");
const run = promisify(execFile);
const RUN = randomBytes(3).toString("hex");
const LABEL = `console-${RUN}`;
const A = `ca-${RUN}`;
const B = `cb-${RUN}`;

const pool = (name: string, team: string) => `apiVersion: formations/v1
kind: Pool
metadata:
  name: ${name}
  labels: { team: ${team}, suite: console-e2e }
cloud:
  provider: docker
spec:
  count: 2
  machine:
    image: ${IMAGE}
`;

let home = "";
let env: NodeJS.ProcessEnv;
let consoleProcess: ChildProcess | undefined;
let url = "";
let b: Browser;
const docker = new Docker();

const cli = (...args: string[]) => run(process.execPath, [bin, ...args], { env, cwd: home, timeout: 600_000 });
const containers = (session: string) => docker.listContainers({ all: true, filters: { label: [`formations-session=${session}`] } });
const stateOf = async (session: string, machine: string) => (await containers(session)).find((c) => c.Labels["formations-machine"] === machine)?.State;

beforeAll(async () => {
  const absent = await missing();
  if (absent)
    throw new Error(
      `the console's real-engine browser test cannot run: ${absent.replace(/^end-to-end session tests SKIPPED: /, "")}; eval "$(scripts/pulumi-engine.sh build)" puts the engine on PATH`,
    );
  home = await mkdtemp(join(tmpdir(), "formations-console-e2e-"));
  env = {
    ...process.env,
    FORMATIONS_HOME: join(home, ".formations"),
    PULUMI_CONFIG_PASSPHRASE: `console-${randomBytes(12).toString("hex")}`,
    PULUMI_BACKEND_URL: `file://${join(home, "state")}`,
    NO_COLOR: "1",
  };
  await writeFile(join(home, "pool.yaml"), pool("lab", LABEL));
  await writeFile(join(home, "other.yaml"), pool("other", `${LABEL}-other`));
  // Another session, with another label: Stop All over LABEL must leave it running.
  await cli("up", "other.yaml", "--session", B, "--yes");
  consoleProcess = spawn(process.execPath, [bin, "console", "--dir", home, "--json"], { env, cwd: home, stdio: ["ignore", "pipe", "pipe"] });
  const stderr: string[] = [];
  consoleProcess.stderr!.on("data", (d: Buffer) => stderr.push(d.toString()));
  url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: consoleProcess!.stdout! }).once("line", (line) => resolve((JSON.parse(line) as { url: string }).url));
    consoleProcess!.once("exit", (code) => reject(new Error(`formations console exited ${code}: ${stderr.join("")}`)));
  });
  b = await openBrowser({ mapHosts: ["attacker.test"] });
});

afterAll(async () => {
  await b?.close();
  if (consoleProcess && consoleProcess.exitCode === null) {
    const exited = new Promise((r) => consoleProcess!.once("exit", r));
    consoleProcess.kill("SIGINT");
    await exited;
  }
  // Through formations first; then whatever is left of ours (a destroy that failed), straight from Docker.
  const errors: unknown[] = [];
  const attempt = (p: Promise<unknown>) => p.catch((err: unknown) => errors.push(err));
  for (const s of [A, B]) await cli("destroy", s, "--yes").catch(() => undefined);
  for (const s of [A, B]) {
    await attempt(containers(s).then((list) => Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true })))));
    await attempt(
      docker.listNetworks({ filters: { label: [`formations-session=${s}`] } }).then((list) => Promise.all(list.map((n) => docker.getNetwork(n.Id).remove()))),
    );
    await attempt(
      docker
        .listImages({ filters: { label: [`formations-snapshot-of=${s}/machine-1`] } })
        .then((list) => Promise.all(list.map((i) => docker.getImage(i.Id).remove({ force: true })))),
    );
  }
  if (home) await rm(home, { recursive: true, force: true });
  if (errors.length) throw new AggregateError(errors, `could not remove everything this test made on ${process.env.DOCKER_HOST} (sessions ${A}, ${B})`);
});

const confirm = async () => {
  const dialog = b.page.locator(".modal[role=dialog]").filter({ hasText: "Please confirm" });
  await dialog.waitFor();
  const words = (await dialog.locator(".confirm-words").textContent()) ?? "";
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await dialog.waitFor({ state: "detached" });
  return words;
};

describe("the console on the real Pulumi engine and Docker, in a real browser", () => {
  it("launches a Docker formation from the Formations view; its machines reach running", async () => {
    await b.page.goto(`${url}#/formations`);
    await b.page.locator("[data-file='pool.yaml']").click();
    // The plan is `formations plan --json`, run by the console in its own process.
    await b.page.locator(".plan .plan-cost").waitFor();
    expect(await b.page.locator(".tree").textContent()).toContain("docker:index/container:Container");
    await b.page.locator("input[name=session]").fill(A);
    await b.page.getByRole("button", { name: "Launch" }).click();
    expect(await confirm()).toMatch(new RegExp(`^Launch session ${A} from pool\\.yaml: 2 machine\\(s\\) \\(machine-1, machine-2\\) on docker`));
    await b.page.locator(".progress h3", { hasText: `Launching ${A}: done` }).waitFor({ timeout: 600_000 });
    await b.page.locator(".progress .states", { hasText: "2 running" }).waitFor();
    const steps = (await b.page.locator(".progress .events li").allTextContents()).filter((l) => l.startsWith("✓"));
    expect(steps).toEqual(expect.arrayContaining([`✓ create ${A}-machine-1`, `✓ create ${A}-machine-2`, `✓ create ${A}-net`]));
    expect((await containers(A)).map((c) => c.State).sort()).toEqual(["running", "running"]);
    await b.shot("formations");
  });

  it("stops one machine from its context menu: its state changes live, as Docker says", async () => {
    await b.page.goto(`${url}#/sessions/${A}`);
    const m2 = b.page.locator("tr[data-machine=machine-2]");
    await m2.locator("[data-state=running]").waitFor();
    expect(await m2.locator(".rate").textContent()).toBe("$0.0000/h");
    await m2.click({ button: "right" });
    await b.page.locator(".context-menu").waitFor();
    await b.shot("machines-menu");
    await b.page.locator(".context-menu [data-action=stop]").click();
    expect(await confirm()).toBe(`Stop ${A}/machine-2 (running): it shuts down and stops costing compute; its disk is kept.`);
    await m2.locator("[data-state=stopped]").waitFor({ timeout: 600_000 });
    expect(await stateOf(A, "machine-2")).toBe("exited");
    expect(await stateOf(A, "machine-1")).toBe("running");
    // Docker's catalog has no price: the rate shown is the library's, $0 before and after.
    expect(await m2.locator(".rate").textContent()).toBe("$0.0000/h");
    const journal = (await b.page.locator(".journal tbody").textContent()) ?? "";
    expect(journal).toMatch(/\(console\)stopmachine-2running → stopped/);
  });

  it("snapshots a container; Images lists it, with the formation that launches from it", async () => {
    await b.page.locator("tr[data-machine=machine-1]").click({ button: "right" });
    await b.page.locator(".context-menu [data-action=snapshot-container]").click();
    await b.page.locator(".task.done", { hasText: `snapshot ${A}/machine-1` }).waitFor({ timeout: 600_000 });
    await b.page.getByRole("link", { name: "Images" }).click();
    const row = b.page.locator("tr[data-image]", { hasText: A });
    await row.waitFor();
    const name = (await row.locator("code").textContent()) ?? "";
    expect(name).toMatch(new RegExp(`^${A}-machine-1-snapshot:\\d+$`));
    expect((await docker.getImage(name).inspect()).Config.Labels?.["formations-snapshot-of"]).toBe(`${A}/machine-1`);
    expect(await row.getByRole("button", { name: "Launch from this image" }).count()).toBe(1);
    await b.shot("images");
  });

  it("Stop All over a label: the confirmation names exactly that session; the other keeps running", async () => {
    await b.page.getByRole("link", { name: "Sessions" }).click();
    await b.page.locator("input[name=filter]").fill(`team=${LABEL}`);
    await b.page.getByRole("button", { name: "Apply" }).click();
    await b.page.locator(`tr[data-session=${A}]`).waitFor();
    expect(await b.page.locator("tbody tr[data-session]").count()).toBe(1);
    await b.shot("sessions");
    await b.page.getByRole("button", { name: "Stop All" }).click();
    expect(await confirm()).toBe(
      `Stop All over the sessions labelled team=${LABEL}: every machine of 1 session(s), ${A} (machine-1, machine-2). Each is stopped, its disk kept.`,
    );
    // The batch ends with a refresh that holds the session: its task says when it let go.
    await b.page.locator(".task.done", { hasText: `stop all team=${LABEL}` }).waitFor({ timeout: 600_000 });
    await b.page.locator(`tr[data-session=${A}] .states`, { hasText: "2 stopped" }).waitFor();
    expect((await containers(A)).map((c) => c.State)).toEqual(["exited", "exited"]);
    expect((await containers(B)).map((c) => c.State)).toEqual(["running", "running"]);
  });

  it("deletes the session once confirmed: its containers go, the snapshot image stays and Images still lists it", async () => {
    const row = b.page.locator(`tr[data-session=${A}]`);
    await row.getByRole("button", { name: "Delete" }).click();
    expect(await confirm()).toBe(
      `Delete session ${A} (Pool on docker): destroys every resource of it, including machine-1, machine-2. Its snapshots are kept.`,
    );
    await row.waitFor({ state: "detached", timeout: 600_000 });
    expect(await containers(A)).toEqual([]);
    expect((await docker.listImages({ filters: { label: [`formations-snapshot-of=${A}/machine-1`] } })).length).toBe(1);
    // The image catalog outlives the session: Images still lists the snapshot, ready to launch from.
    await b.page.getByRole("link", { name: "Images" }).click();
    const kept = b.page.locator("tr[data-image]", { hasText: A });
    await kept.waitFor();
    expect(await kept.locator("code").textContent()).toMatch(new RegExp(`^${A}-machine-1-snapshot:\\d+$`));
    expect(await kept.getByRole("button", { name: "Launch from this image" }).count()).toBe(1);
    await b.shot("images-after-destroy");
  });
});

describe("security, on the running console", () => {
  let attacker: Server;
  beforeAll(async () => {
    attacker = createServer((_req, res) => {
      res.setHeader("Content-Type", "text/html");
      res.end(
        `<form id=f method=POST action="${url.replace("/?", "/api/batch?")}"><input name=action value=terminate><input name=confirmed value=true></form><script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((r) => attacker.listen(0, "127.0.0.1", r));
  });
  afterAll(() => new Promise<void>((r) => attacker.close(() => r())));

  it("refuses a request without the token", async () => {
    const r = await b.page.goto(url.replace(/\?token=.*/, ""));
    expect(r!.status()).toBe(401);
    const api = await fetch(url.replace(/\/\?token=.*/, "/api/sessions"));
    expect(api.status).toBe(401);
  });

  it("refuses a request from another origin, token or not; nothing is terminated", async () => {
    const refused = b.page.waitForResponse((r) => r.url().includes("/api/batch"));
    await b.page.goto(`http://attacker.test:${(attacker.address() as AddressInfo).port}/`);
    const r = await refused;
    expect(r.status()).toBe(403);
    expect(await r.text()).toContain("refused: a request from another origin");
    expect((await containers(B)).map((c) => c.State)).toEqual(["running", "running"]);
  });
});
