/**
 * Layer 3: the REAL Pulumi engine (the CLI on PATH, through the Automation API) and a REAL Docker
 * engine, a file backend in a temporary directory, the built CLI (`bin/formations.js`) run as a
 * user would. The image catalog: a snapshot of a Docker session outlives the session (listed by
 * `formations images` after destroy, also from another home on the same backend), its formation
 * is written with `images save-formation` and launches a session from the image, and `images
 * delete` removes the committed Docker image. Per-machine delete: `formations delete --machine`
 * takes one container out of a Pool of 3, and the next `up` of the same file keeps 2.
 *
 * Run with `npx vitest run --config vitest.e2e.config.ts test/e2e/images.e2e.test.ts`; skipped
 * with one message when the Pulumi CLI or Docker is missing (test/e2e/prerequisites.ts).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sessions } from "../../automation/sessions.js";
import { DockerDriver } from "../../clouds/docker/actions/driver.js";
import { IMAGE, missing } from "./prerequisites.js";

const skip = await missing();
if (skip) console.warn(skip);

const RUN = randomBytes(3).toString("hex");
/** Named after this suite (images-...), as the shared Docker engine's other users need. */
const SOURCE = `images-${RUN}-src`;
const RELAUNCH = `images-${RUN}-new`;
const POOL = `images-${RUN}-pool`;
const PASSPHRASE = `e2e-${randomBytes(16).toString("hex")}`;
const CLI = resolve("bin/formations.js");

const pool = (name: string) => `apiVersion: formations/v1
kind: Pool
metadata:
  name: ${name}
  labels: { suite: images-e2e, run: r${RUN} }
cloud:
  provider: docker
spec:
  count: 3
  machine:
    image: ${IMAGE}
`;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

describe.skipIf(Boolean(skip))("images and per-machine delete on the real Pulumi engine and Docker", () => {
  let dir: string;
  let backendUrl: string;
  const docker = new Docker();
  const opened: Sessions[] = [];

  /** The built CLI, as a user runs it: the suite's backend and passphrase in its environment. */
  function formations(args: string[], home = join(dir, "home")): Promise<Ran> {
    return new Promise((done, fail) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: dir,
        env: { ...process.env, PULUMI_BACKEND_URL: backendUrl, FORMATIONS_HOME: home, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE, NO_COLOR: "1", CI: "" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", fail);
      child.on("close", (code) => {
        // What the user saw, for the report and for a failure's message.
        console.log(`$ formations ${args.join(" ")}\n${stdout}${stderr ? `[stderr]\n${stderr}` : ""}[exit ${code}]`);
        done({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  function open(home = join(dir, "home")): Sessions {
    const s = new Sessions({ backendUrl, home, env: { ...process.env, FORMATIONS_HOME: home, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE }, concurrency: 2 });
    opened.push(s);
    return s;
  }

  const containersOf = (session: string) => docker.listContainers({ all: true, filters: { label: [`formations-session=${session}`] } });
  const imageExists = (ref: string) =>
    docker
      .getImage(ref)
      .inspect()
      .then(
        () => true,
        () => false,
      );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "formations-images-e2e-"));
    backendUrl = pathToFileURL(join(dir, "state")).href;
    await writeFile(join(dir, "source.yaml"), pool("images-src"));
    await writeFile(join(dir, "pool.yaml"), pool("images-pool"));
  });

  afterAll(async () => {
    if (!dir) return;
    // Leave nothing behind, whatever failed: the sessions, their containers, the committed images.
    const s = open();
    for (const session of [RELAUNCH, SOURCE, POOL]) await s.destroy(session).catch(() => undefined);
    for (const session of [RELAUNCH, SOURCE, POOL])
      for (const c of await containersOf(session).catch(() => []))
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
    for (const i of await docker.listImages({ filters: { reference: [`${SOURCE}-*`] } }).catch(() => []))
      await docker
        .getImage(i.Id)
        .remove({ force: true })
        .catch(() => undefined);
    for (const o of opened) await o.close();
    await rm(dir, { recursive: true, force: true });
  });

  let catalogId: string;
  let reference: string;
  let imageId: string;

  it("a snapshot of a Docker session is listed by `formations images`, and still after the session is destroyed, from another home too", async () => {
    expect((await formations(["up", "source.yaml", "--session", SOURCE, "--yes"])).code).toBe(0);
    const snap = await formations(["snapshot", SOURCE, "--machine", "machine-1", "--json"]);
    expect(snap.code).toBe(0);
    const taken = JSON.parse(snap.stdout) as { imageId: string; image: string };
    reference = taken.image;
    imageId = taken.imageId;
    expect(reference).toMatch(new RegExp(`^${SOURCE}-machine-1-snapshot:\\d+$`));
    expect(await imageExists(reference)).toBe(true);

    const before = await formations(["images", "--label", `run=r${RUN}`, "--json"]);
    expect(before.code).toBe(0);
    const [listed] = (
      JSON.parse(before.stdout) as {
        images: { id: string; imageId: string; session: string; machine: string; provider: string; sizeGb: number; sizeFrom: string; monthlyUsd: number }[];
      }
    ).images;
    expect(listed).toMatchObject({ imageId: taken.imageId, session: SOURCE, machine: "machine-1", provider: "docker", sizeFrom: "provider", monthlyUsd: 0 });
    expect(listed!.sizeGb).toBeGreaterThan(0);
    catalogId = listed!.id;

    expect((await formations(["destroy", SOURCE, "--yes"])).code).toBe(0);
    expect(await containersOf(SOURCE)).toEqual([]);
    const sessions = await formations(["sessions", "--json"]);
    expect(sessions.stdout).not.toContain(SOURCE);
    expect(sessions.stdout).not.toContain("images.");

    const after = await formations(["images"]);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(
      new RegExp(
        `^${catalogId}\\s+${SOURCE}-machine-1-snapshot:\\d+\\s+docker\\s+-\\s+[\\d.]+ (MB|GB)\\s+${SOURCE}/machine-1\\s+\\d+[mhd]\\s+\\$0\\.00/mo$`,
        "m",
      ),
    );
    // Another machine: only the backend URL and the passphrase.
    const elsewhere = await open(join(dir, "other-machine")).images({ labels: { run: `r${RUN}` } });
    expect(elsewhere.images.map((i) => i.id)).toEqual([catalogId]);
  });

  it("`images save-formation` writes the formation that launches from the image, and `up` of it runs containers from the image", async () => {
    const saved = await formations(["images", "save-formation", catalogId, "-o", "from-image.yaml", "--name", "images-relaunch"]);
    expect(saved.code).toBe(0);
    const text = await readFile(join(dir, "from-image.yaml"), "utf8");
    expect(text).toContain(`image: ${reference}`);
    expect(text).toContain("name: images-relaunch");
    expect((await formations(["validate", "from-image.yaml"])).code).toBe(0);
    expect((await formations(["up", "from-image.yaml", "--session", RELAUNCH, "--yes"])).code).toBe(0);
    const cs = await containersOf(RELAUNCH);
    expect(cs).toHaveLength(3);
    for (const c of cs) {
      // Docker names the image a container runs from by its reference or, once pulled by id, its id.
      expect([reference, imageId]).toContain(c.Image);
      expect(c.ImageID).toBe(imageId);
      expect(c.State).toBe("running");
    }
    // While containers run from it, Docker refuses to remove it, and so does `images delete`.
    const inUse = await formations(["images", "delete", catalogId, "--yes"]);
    expect(inUse.code).toBe(3);
    expect(inUse.stderr).toContain("is in use");
    expect(inUse.stderr).toContain("destroy the sessions launched from it first");
    expect(await imageExists(reference)).toBe(true);
    expect((await formations(["destroy", RELAUNCH, "--yes"])).code).toBe(0);
  });

  it("`images delete` removes the committed Docker image and the catalog entry", async () => {
    const refused = await formations(["images", "delete", catalogId]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("pass --yes");
    expect(await imageExists(reference)).toBe(true);
    const del = await formations(["images", "delete", catalogId, "--yes"]);
    expect(del.code).toBe(0);
    expect(del.stdout).toContain(`image ${catalogId}: deleted ${reference}`);
    expect(await imageExists(reference)).toBe(false);
    const listed = await formations(["images", "--json"]);
    expect((JSON.parse(listed.stdout) as { images: unknown[] }).images).toEqual([]);
  });

  it("`delete --machine` takes machine-2 out of a Pool of 3; the next up of the same file keeps 2, named machine-1 and machine-3", async () => {
    expect((await formations(["up", "pool.yaml", "--session", POOL, "--yes"])).code).toBe(0);
    expect(await containersOf(POOL)).toHaveLength(3);
    const names = async () => (await containersOf(POOL)).map((c) => c.Names[0]!.replace(/^\//, "")).sort();
    // What drains a Slurm node on Docker before its container goes: a command run in a machine (docker exec).
    const ran = await new DockerDriver({ ...(process.env.DOCKER_HOST ? { host: process.env.DOCKER_HOST } : {}) }).run(
      { session: POOL, machine: "machine-1", role: "member" },
      ["sh", "-c", "echo drained-$((1+1)); exit 3"],
    );
    expect(ran).toEqual({ exitCode: 3, output: "drained-2\n" });

    const del = await formations(["delete", POOL, "--machine", "machine-2", "--yes"]);
    expect(del.code).toBe(0);
    expect(del.stdout).toContain(`${POOL}/machine-2: deleted`);
    expect(del.stdout).toContain("2 machine(s) remain: machine-1, machine-3");
    expect(await names()).toEqual([`${POOL}-machine-1`, `${POOL}-machine-3`]);

    expect((await formations(["up", "pool.yaml", "--session", POOL, "--yes"])).code).toBe(0);
    expect(await names()).toEqual([`${POOL}-machine-1`, `${POOL}-machine-3`]);
    const show = JSON.parse((await formations(["show", POOL, "--json"])).stdout) as { machines: { name: string; state: string }[]; journal?: unknown };
    expect(show.machines.map((m) => [m.name, m.state])).toEqual([
      ["machine-1", "running"],
      ["machine-3", "running"],
    ]);

    const refused = await formations(["delete", POOL, "--machine", "machine-2", "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("was deleted already");
    expect((await formations(["destroy", POOL, "--yes"])).code).toBe(0);
  });
});
