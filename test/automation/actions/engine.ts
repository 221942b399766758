/**
 * A real Docker engine for the action tests, and containers shaped as the Docker adapter makes
 * them. `ensureEngine()` uses DOCKER_HOST when it answers, else starts the private engine through
 * scripts/docker-engine.sh; when neither works it throws, so the suite fails rather than skips.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Docker from "dockerode";
import type { Role } from "../../../plan/types.js";
import type { ActionTarget } from "../../../automation/actions/index.js";
import { containerName, LABELS } from "../../../clouds/docker/names.js";

export const IMAGE = "formations-test/busybox:latest";
const SCRIPT = fileURLToPath(new URL("../../../scripts/docker-engine.sh", import.meta.url));
const run = promisify(execFile);

async function answers(): Promise<boolean> {
  if (!process.env.DOCKER_HOST) return false; // never a system engine we were not pointed at
  try {
    await new Docker().ping();
    return true;
  } catch {
    return false;
  }
}

/** Makes sure DOCKER_HOST names a running engine holding the test image; returns a client. */
export async function ensureEngine(): Promise<Docker> {
  if (!(await answers())) {
    // flock: test files run in parallel workers, and two dockerds must never race for one socket.
    let out: { stdout: string; stderr: string };
    try {
      out = await run("flock", ["/tmp/formations-docker.lock", SCRIPT, "start"], { timeout: 180_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`cannot start the Docker engine for the action tests (scripts/docker-engine.sh start): ${e.stderr?.trim() || e.message}`, { cause: err });
    }
    const m = /export DOCKER_HOST=(\S+)/.exec(out.stdout);
    if (!m) throw new Error(`scripts/docker-engine.sh start printed no DOCKER_HOST line: ${out.stdout}`);
    process.env.DOCKER_HOST = m[1];
  }
  const docker = new Docker();
  await docker.ping(); // fails the suite loudly if the engine went away
  try {
    await docker.getImage(IMAGE).inspect();
  } catch {
    throw new Error(`the engine at ${process.env.DOCKER_HOST} has no ${IMAGE}: run scripts/docker-engine.sh start`);
  }
  return docker;
}

/** A session name no other test (or earlier run) uses: `t-<what>-<random>`. */
export function uniqueSession(what: string): string {
  return `t-${what}-${randomBytes(4).toString("hex")}`;
}

/** Creates (and by default starts) a container exactly as the Docker adapter labels and names it. */
export async function createMachine(
  docker: Docker,
  session: string,
  machine: string,
  role: Role,
  opts: { start?: boolean; cmd?: string[]; image?: string; binds?: string[]; labels?: Record<string, string> } = {},
): Promise<ActionTarget> {
  const c = await docker.createContainer({
    name: containerName(session, machine),
    Image: opts.image ?? IMAGE,
    ...(opts.cmd ? { Cmd: opts.cmd } : {}),
    // Formation labels first: the adapter's own keys always win.
    Labels: { ...opts.labels, [LABELS.session]: session, [LABELS.machine]: machine, [LABELS.role]: role, [LABELS.managedBy]: "formations" },
    // The tests need no network, and "none" keeps the shared bridge quiet.
    HostConfig: { NetworkMode: "none", ...(opts.binds ? { Binds: opts.binds } : {}) },
  });
  if (opts.start ?? true) await c.start();
  return { session, machine, role, providerId: c.id };
}

/** Removes every container of `session` (any state) and the images `images` names. */
export async function cleanup(docker: Docker, session: string, images: string[] = []): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.session}=${session}`] } });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  await Promise.all(
    images.map((i) =>
      docker
        .getImage(i)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

/** The raw Docker state of a container (`missing` when it does not exist). */
export async function rawState(docker: Docker, t: ActionTarget): Promise<string> {
  try {
    return (await docker.getContainer(t.providerId ?? containerName(t.session, t.machine)).inspect()).State.Status;
  } catch {
    return "missing";
  }
}
