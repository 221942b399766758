/**
 * What the fault and shared-state e2e tests (layer 3) run around the product: the `formations`
 * CLI as a real process (bin/formations.js, built by `npm run test:e2e`), a private second Docker
 * engine they may freeze, kill and restart (scripts/docker-engine.sh with its own folder and
 * bridge: the shared engine is never touched), Azurite as a shared blob backend, and polling for
 * a condition with a generous deadline (never a sleep standing in for an event).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { Agent } from "node:http";
import { createServer } from "node:net";
import Docker from "dockerode";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = join(ROOT, "bin", "formations.js");

/** Polls `check` until it returns something other than undefined/false, or fails after `ms` naming `what`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, ms = 300_000, every = 250): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `formations` process: its output so far, and its end. */
export interface CliProcess {
  child: ChildProcess;
  pid: number;
  out(): string;
  err(): string;
  done: Promise<CliResult>;
}

/** Starts `formations ARGS` in a process group of its own (so a test can signal it as a terminal would). */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, pid: child.pid!, out: () => stdout, err: () => stderr, done };
}

/** Runs `formations ARGS` to its end. */
export function cli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return startCli(args, env).done;
}

/** The JSON lines a `--json` run printed so far (events, then its result). */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Every live process below `pid` (children, grandchildren...), from /proc: what a terminal's close or a power loss takes with it. */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of spawnSync("ls", ["/proc"], { encoding: "utf8" }).stdout.split("\n")) {
    if (!/^\d+$/.test(e)) continue;
    const r = spawnSync("cat", [`/proc/${e}/stat`], { encoding: "utf8" });
    // pid (comm) state ppid ...: comm may hold spaces and parentheses; ppid follows the last ')'.
    const m = /\)\s+\S+\s+(\d+)/.exec(r.stdout.slice(r.stdout.lastIndexOf(")")));
    if (m) parent.set(Number(e), Number(m[1]));
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) {
      if (pp !== p || out.includes(c)) continue;
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Whether a process is still there. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The command name of a process (/proc/PID/comm), or "" once it is gone. */
export function commOf(pid: number): string {
  const r = spawnSync("cat", [`/proc/${pid}/comm`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "";
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A private Docker engine (scripts/docker-engine.sh with its own folder, bridge and address
 * pool): this test may freeze it, stop it and start it again without touching the shared one.
 */
export class PrivateDocker {
  readonly host: string;
  private constructor(
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
    /** The first octets of its networks' pool (`10.224.`): their bridges are this engine's. */
    private readonly pool: string,
  ) {
    this.host = `unix://${dir}/docker.sock`;
  }

  /** A client of this engine that opens a connection per call: kept-alive ones die with a restart (EPIPE). */
  client(): Docker {
    return new Docker({ socketPath: this.host.replace(/^unix:\/\//, ""), agent: new Agent({ keepAlive: false }) } as Docker.DockerOptions);
  }

  /** Whether this machine can run one (root, dockerd and ip on PATH). */
  static available(): string | undefined {
    if (process.getuid?.() !== 0) return "a private Docker engine needs root";
    const path = `${process.env.PATH ?? ""}:/usr/sbin:/sbin`;
    for (const cmd of ["dockerd", "ip"])
      if (spawnSync("sh", ["-c", `command -v ${cmd}`], { env: { ...process.env, PATH: path } }).status !== 0)
        return `${cmd} is not on PATH (scripts/docker-engine.sh start installs docker.io)`;
    return undefined;
  }

  /**
   * Starts one; `tag` (a few letters) names its bridge `fmf<tag>` and folder; `net` (0-9) picks
   * its bridge's subnet 10.21<net>.0.0/24 and its networks' pool 10.22<net>.0.0/16, distinct per test file.
   */
  static async start(tag: string, net = 2): Promise<PrivateDocker> {
    // Short: a unix socket path is limited to 108 bytes.
    const dir = await mkdtemp(join("/tmp", `fmf-${tag}-`));
    const bridge = `fmf${tag}${randomBytes(2).toString("hex")}`.slice(0, 15);
    const env = {
      ...process.env,
      FORMATIONS_DOCKER_DIR: dir,
      FORMATIONS_DOCKER_BRIDGE: bridge,
      FORMATIONS_DOCKER_BRIDGE_CIDR: `10.21${net}.0.1/24`,
      FORMATIONS_DOCKER_POOL: `10.22${net}.0.0/16`,
    };
    const d = new PrivateDocker(dir, env, `10.22${net}.`);
    d.script("start");
    return d;
  }

  private script(verb: "start" | "stop"): void {
    const r = spawnSync("bash", [join(ROOT, "scripts", "docker-engine.sh"), verb], { env: this.env, encoding: "utf8", timeout: 300_000 });
    if (r.status !== 0) throw new Error(`docker-engine.sh ${verb} (private engine in ${this.dir}) failed: ${r.stderr}`);
  }

  /** dockerd's pid, while it runs. */
  async pid(): Promise<number | undefined> {
    const p = Number((await readFile(join(this.dir, "docker.pid"), "utf8").catch(() => "")).trim());
    return p && commOf(p) === "dockerd" ? p : undefined;
  }

  /**
   * Whether a client is waiting on the frozen engine: its socket has connections nobody accepted
   * yet, or requests nobody read on one it had accepted (`ss` Recv-Q of the listening socket or
   * of an established one).
   */
  waitedOn(): boolean {
    const r = spawnSync("ss", ["-xaH"], { encoding: "utf8" });
    return r.stdout.split("\n").some((l) => l.includes(`${this.dir}/docker.sock `) && Number(l.trim().split(/\s+/)[2] ?? 0) > 0);
  }

  /** Freezes dockerd (SIGSTOP): every call to it hangs until thaw(). */
  async freeze(): Promise<void> {
    process.kill((await this.pid())!, "SIGSTOP");
  }

  async thaw(): Promise<void> {
    const p = await this.pid();
    if (p) process.kill(p, "SIGCONT");
  }

  stop(): void {
    this.script("stop");
  }

  restart(): void {
    this.script("stop");
    this.script("start");
  }

  /** Stops it and removes its folder (data root included) and the bridges of the networks it made (dockerd leaves them). */
  async remove(): Promise<void> {
    await this.thaw().catch(() => undefined);
    try {
      this.script("stop");
    } finally {
      await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
      const path = `${process.env.PATH ?? ""}:/usr/sbin:/sbin`;
      const links = spawnSync("ip", ["-br", "addr"], { encoding: "utf8", env: { ...process.env, PATH: path } }).stdout.split("\n");
      for (const l of links) {
        const [name, , addr] = l.trim().split(/\s+/);
        if (name?.startsWith("br-") && addr?.startsWith(this.pool)) spawnSync("ip", ["link", "delete", name], { env: { ...process.env, PATH: path } });
      }
    }
  }
}

/** Azurite's well-known development account (public, documented by Microsoft: not a secret). */
const AZURITE_ACCOUNT = "devstoreaccount1";
const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/**
 * Azurite's blob service on 127.0.0.1 (a free port, a temporary folder), and the azblob://
 * backend URL gocloud.dev 0.46 (the Pulumi CLI's) reads for it: the local-emulator form
 * `http://127.0.0.1:PORT/devstoreaccount1`, from `domain`, `protocol` and `localemu`.
 */
export class Azurite {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<Azurite> {
    const dir = await mkdtemp(join(tmpdir(), "formations-azurite-"));
    const bin = join(ROOT, "node_modules", "azurite", "dist", "src", "blob", "main.js");
    const child = spawn(
      process.execPath,
      [
        bin,
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        "0",
        "--location",
        dir,
        "--skipApiVersionCheck",
        "--disableProductStyleUrl",
        "--disableTelemetry",
        "--silent",
        "--loose",
      ],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
    const port = await until(
      "Azurite to listen",
      () => {
        if (child.exitCode !== null) throw new Error(`Azurite exited: ${out}`);
        const m = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        return m ? Number(m[1]) : undefined;
      },
      120_000,
    );
    return new Azurite(child, port, dir);
  }

  /** The backend URL of `container` (create it first: createContainer). */
  url(container: string): string {
    return `azblob://${container}?storage_account=${AZURITE_ACCOUNT}&domain=127.0.0.1:${this.port}&protocol=http&localemu=true`;
  }

  /** What the Pulumi CLI needs to sign its requests. */
  env(): Record<string, string> {
    return { AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT, AZURE_STORAGE_KEY: AZURITE_KEY };
  }

  /** Blob names under `prefix` in `container` (Azurite keeps no plain files: ask it). */
  async list(container: string, prefix: string): Promise<string[]> {
    const res = await fetch(`http://127.0.0.1:${this.port}/${AZURITE_ACCOUNT}/${container}?restype=container&comp=list&prefix=${encodeURIComponent(prefix)}`, {
      headers: await this.sign("GET", `/${AZURITE_ACCOUNT}/${container}`, { comp: "list", prefix, restype: "container" }),
    });
    if (!res.ok) throw new Error(`Azurite list ${container}/${prefix}: ${res.status} ${await res.text()}`);
    return [...(await res.text()).matchAll(/<Name>([^<]+)<\/Name>/g)].map((m) => m[1]!);
  }

  /** Creates a blob container. */
  async createContainer(container: string): Promise<void> {
    const res = await fetch(`http://127.0.0.1:${this.port}/${AZURITE_ACCOUNT}/${container}?restype=container`, {
      method: "PUT",
      headers: await this.sign("PUT", `/${AZURITE_ACCOUNT}/${container}`, { restype: "container" }),
    });
    if (!res.ok && res.status !== 409) throw new Error(`Azurite create container ${container}: ${res.status} ${await res.text()}`);
  }

  /** Shared Key signature (the Blob service's scheme) of a request without a body. */
  private async sign(method: string, path: string, query: Record<string, string>): Promise<Record<string, string>> {
    const { createHmac } = await import("node:crypto");
    const date = new Date().toUTCString();
    const headers: Record<string, string> = { "x-ms-date": date, "x-ms-version": "2021-08-06" };
    const canonHeaders = Object.keys(headers)
      .sort()
      .map((k) => `${k}:${headers[k]}`)
      .join("\n");
    const canonResource = `/${AZURITE_ACCOUNT}${path}${Object.keys(query)
      .sort()
      .map((k) => `\n${k}:${query[k]}`)
      .join("")}`;
    const toSign = [method, "", "", "", "", "", "", "", "", "", "", "", canonHeaders, canonResource].join("\n");
    const sig = createHmac("sha256", Buffer.from(AZURITE_KEY, "base64")).update(toSign, "utf8").digest("base64");
    return { ...headers, Authorization: `SharedKey ${AZURITE_ACCOUNT}:${sig}` };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGTERM");
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Files under a folder, recursively (a file backend's layout differs between Pulumi versions). */
export async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).map((p) => join(dir, p));
}
