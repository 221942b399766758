/**
 * Layer 3 support (no tests here): runs a formation's containers on the real Docker engine with
 * plain `docker` commands, exactly as the Docker adapter asks the Docker provider to. The
 * formation is compiled by the real components under Pulumi's mock runtime (test/helpers/compile),
 * and each recorded network, volume and container is translated into the `docker` command the
 * provider's inputs mean: same names, hostname, network alias, labels, restart policy, dropped
 * and added capabilities, security options, limits, entrypoint, command, environment, uploaded
 * files (copied in between create and start, as the provider does), volumes and published ports.
 * Sessions on the real Pulumi engine come later; this proves the images and the adapter's
 * commands work together now.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { Formation } from "../../format/types.js";
import { unwrapSecrets } from "../../components/offline.js";
import { compile, type Inputs } from "../helpers/compile.js";

const run = promisify(execFile);
const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const VOLUME = "docker:index/volume:Volume";
/** Every object a test creates carries this label, so cleanup removes only its own. */
export const TEST_LABEL = "formations-images-test";

/** `docker ARGS...`: stdout; throws with stderr on failure. */
export async function docker(args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  try {
    const { stdout } = await run("docker", args, { timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`docker ${args.slice(0, 6).join(" ")} ...: ${err.stderr || err.message}\n${err.stdout ?? ""}`, { cause: e });
  }
}

/** `docker exec` in a container of the session; returns stdout. */
export function exec(container: string, cmd: string[], opts: { user?: string; timeoutMs?: number } = {}): Promise<string> {
  return docker(["exec", ...(opts.user ? ["-u", opts.user] : []), container, ...cmd], opts);
}

/** A failure no retry can mend (a container restarting): `until` gives up at once. */
export class Fatal extends Error {}

/**
 * Polls `probe` until it returns a value (not undefined) or `deadlineMs` passes; an event we
 * wait for, never a fixed sleep. The interval only spaces the probes out on a loaded machine.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 300_000, intervalMs = 1000): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof Fatal) throw e;
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * `fetch` with a deadline: a published port may accept a connection that its container never
 * answers while it starts, and fetch alone would wait for minutes.
 */
export function http(url: string, init: RequestInit = {}, timeoutMs = 30_000): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

/** The image built by scripts/images.sh for NAME (a no-op in seconds when it is there). */
export async function buildImage(name: string): Promise<string> {
  const { stdout } = await run("bash", ["scripts/images.sh", "build", name], { timeout: 3_600_000, maxBuffer: 64 * 1024 * 1024 });
  const line = stdout.split("\n").find((l) => l.startsWith(`${name}=`));
  if (!line) throw new Error(`scripts/images.sh build ${name} printed no image`);
  return line.slice(name.length + 1);
}

interface Upload {
  file: string;
  content?: string;
  contentBase64?: string;
  executable?: boolean;
  permissions?: string;
}
interface Port {
  internal: number;
  external?: number;
  ip?: string;
  protocol?: string;
}
interface Mount {
  containerPath: string;
  volumeName?: string;
  hostPath?: string;
  readOnly?: boolean;
}

/** The `docker create` arguments that the provider's container inputs stand for. */
export function createArgs(c: Inputs, extraLabels: Record<string, string>): string[] {
  const a = ["create", "--name", String(c.name), "--hostname", String(c.hostname), "--restart", String(c.restart ?? "no")];
  for (const l of (c.labels ?? []) as { label: string; value: string }[]) a.push("--label", `${l.label}=${l.value}`);
  for (const [k, v] of Object.entries(extraLabels)) a.push("--label", `${k}=${v}`);
  // The first network at create; the others (a proxy's edge network) are connected before start.
  const nets = (c.networksAdvanced ?? []) as { name: string; aliases?: string[] }[];
  if (nets.length === 0) throw new Error("every container of the adapter is on the session network");
  a.push("--network", nets[0]!.name);
  for (const alias of nets[0]!.aliases ?? []) a.push("--network-alias", alias);
  const caps = c.capabilities as { drops?: string[]; adds?: string[] } | undefined;
  for (const d of caps?.drops ?? []) a.push("--cap-drop", d);
  for (const add of caps?.adds ?? []) a.push("--cap-add", add);
  for (const s of (c.securityOpts ?? []) as string[]) a.push("--security-opt", s);
  if (c.init) a.push("--init");
  if (c.cpus !== undefined) a.push("--cpus", String(c.cpus));
  if (c.memory !== undefined) a.push("--memory", `${String(c.memory)}m`);
  if (c.user !== undefined) a.push("--user", String(c.user));
  for (const e of (c.envs ?? []) as string[]) a.push("--env", e);
  for (const v of (c.volumes ?? []) as Mount[]) a.push("--volume", `${v.volumeName ?? v.hostPath}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
  for (const p of (c.ports ?? []) as Port[]) a.push("--publish", `${p.ip ?? "0.0.0.0"}:${p.external ?? ""}:${p.internal}/${p.protocol ?? "tcp"}`);
  // The API takes an entrypoint list; the CLI one word: the rest goes before the command, the
  // process's argv is the same.
  const entry = (c.entrypoints ?? []) as string[];
  if (entry.length > 0) a.push("--entrypoint", entry[0]!);
  a.push(String(c.image), ...entry.slice(1), ...((c.command ?? []) as string[]));
  return a;
}

/** Files the provider uploads before the first start: a tar of the files alone (parents made 0755, root-owned). */
async function upload(container: string, uploads: Upload[]): Promise<void> {
  if (uploads.length === 0) return;
  const dir = mkdtempSync(join(tmpdir(), "formations-upload-"));
  try {
    for (const u of uploads) {
      const path = join(dir, u.file);
      mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      const mode = parseInt(u.permissions ?? (u.executable ? "0744" : "0644"), 8);
      writeFileSync(path, u.contentBase64 !== undefined ? Buffer.from(u.contentBase64, "base64") : (u.content ?? ""), { mode });
    }
    const tarball = join(dir, "..", `${container}-uploads.tar`);
    await run("tar", ["-C", dir, "--owner=0", "--group=0", "--numeric-owner", "-cf", tarball, ...uploads.map((u) => `.${u.file}`)]);
    await run("sh", ["-c", `docker cp - "$1":/ < "$2"`, "sh", container, tarball]);
    rmSync(tarball, { force: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Session {
  name: string;
  /** Container name of a machine (`head`, `compute-1`, `guacd` ...). */
  container: (machine: string) => string;
  /** The recorded, secret-unwrapped container inputs of a machine. */
  inputs: (machine: string) => Inputs;
  /** A published port of a machine's container on the engine's host. */
  hostPort: (machine: string, internal: number) => Promise<{ host: string; port: number }>;
  /** Throws Fatal, with the last log lines, when a container of the session has stopped or restarted. */
  healthy: () => Promise<void>;
  remove: () => Promise<void>;
}

/**
 * Creates and starts a formation's containers as the adapter would (in the adapter's own
 * registration order, which puts every container after those it depends on). `env` rewrites
 * environment entries (a mock secret becomes a password chosen by the test, given at run time).
 */
export async function launch(f: Formation, session: string, env: (entry: string) => string = (e) => e): Promise<Session> {
  const { plan, of } = await compile(f, { session });
  const labels = { [TEST_LABEL]: session };
  const prefix = `${plan.session}-`;
  const byMachine = new Map<string, Inputs>();
  const s: Session = {
    name: plan.session,
    container: (m) => `${prefix}${m}`,
    inputs: (m) => {
      const i = byMachine.get(m);
      if (!i) throw new Error(`no container for ${m}`);
      return i;
    },
    hostPort: async (m, internal) => {
      const out = (await docker(["port", `${prefix}${m}`, `${internal}/tcp`])).trim().split("\n")[0] ?? "";
      const match = /^(.*):(\d+)$/.exec(out);
      if (!match) throw new Error(`${m} publishes no ${internal}: ${out}`);
      return { host: match[1]!, port: Number(match[2]) };
    },
    healthy: async () => {
      for (const name of [...byMachine.keys()].map((m) => `${prefix}${m}`)) {
        const [status, restarts] = (await docker(["inspect", "-f", "{{.State.Status}} {{.RestartCount}}", name])).trim().split(" ");
        if (status !== "running" || restarts !== "0") {
          const logs = await run("sh", ["-c", `docker logs --tail 40 "$1" 2>&1`, "sh", name]).then(
            (r) => r.stdout,
            (e: Error) => e.message,
          );
          throw new Fatal(`${name} is ${status} after ${restarts} restarts; its last lines:\n${logs}`);
        }
      }
    },
    // FORMATIONS_IMAGES_KEEP=1 leaves the containers for a look after a failure.
    remove: () => (process.env.FORMATIONS_IMAGES_KEEP ? Promise.resolve() : removeSession(session)),
  };
  try {
    for (const n of of(NETWORK)) {
      const i = unwrapSecrets(n.inputs) as Inputs;
      await docker([
        "network",
        "create",
        "--driver",
        String(i.driver ?? "bridge"),
        ...(i.internal ? ["--internal"] : []),
        ...Object.entries((i.options ?? {}) as Record<string, string>).flatMap(([k, v]) => ["-o", `${k}=${v}`]),
        "--label",
        `${TEST_LABEL}=${session}`,
        String(i.name),
      ]);
    }
    for (const v of of(VOLUME)) {
      const i = unwrapSecrets(v.inputs) as Inputs;
      await docker(["volume", "create", "--label", `${TEST_LABEL}=${session}`, String(i.name)]);
    }
    for (const r of of(CONTAINER)) {
      const i = unwrapSecrets(r.inputs) as Inputs;
      if (Array.isArray(i.envs)) i.envs = (i.envs as string[]).map(env);
      byMachine.set(String(i.name).slice(prefix.length), i);
      await docker(createArgs(i, labels));
      for (const n of ((i.networksAdvanced ?? []) as { name: string; aliases?: string[] }[]).slice(1)) {
        await docker(["network", "connect", ...(n.aliases ?? []).flatMap((al) => ["--alias", al]), n.name, String(i.name)]);
      }
      await upload(String(i.name), (i.uploads ?? []) as Upload[]);
      if (i.start !== false) await docker(["start", String(i.name)]);
    }
  } catch (e) {
    await removeSession(session);
    throw e;
  }
  return s;
}

/** Removes the containers, volumes and network this test created (by its label), nothing else. */
export async function removeSession(session: string): Promise<void> {
  const filter = ["--filter", `label=${TEST_LABEL}=${session}`];
  const ids = (await docker(["ps", "-aq", ...filter])).split("\n").filter(Boolean);
  if (ids.length > 0) await docker(["rm", "-f", "-v", ...ids]);
  const vols = (await docker(["volume", "ls", "-q", ...filter])).split("\n").filter(Boolean);
  if (vols.length > 0) await docker(["volume", "rm", ...vols]);
  const nets = (await docker(["network", "ls", "-q", ...filter])).split("\n").filter(Boolean);
  if (nets.length > 0) await docker(["network", "rm", ...nets]);
}
