/**
 * Runs the `formations` command (bin/formations.js over the built dist/) as a user would, in a
 * child process, with an environment of its own: a file backend and a home in a temporary
 * directory, a passphrase, and the engines found on PATH / DOCKER_HOST. Nothing is mocked.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  home: string;
  backendUrl: string;
  passphrase: string;
}

const BIN = join(process.cwd(), "bin", "formations.js");

export function cliEnv(e: CliEnv, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, FORMATIONS_HOME: e.home, PULUMI_BACKEND_URL: e.backendUrl, PULUMI_CONFIG_PASSPHRASE: e.passphrase, NO_COLOR: "1", ...extra };
}

/** `formations ARGS`, with `input` on stdin; resolves when it exits, whatever its code. */
export function formations(e: CliEnv, args: readonly string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return run(process.execPath, [BIN, ...args], cliEnv(e, opts.env), opts.input);
}

export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** `formations ARGS --json`, which must exit 0 and print one JSON document. */
export async function json<T>(e: CliEnv, args: readonly string[]): Promise<T> {
  const r = await formations(e, [...args, "--json"]);
  if (r.code !== 0) throw new Error(`formations ${args.join(" ")} --json exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

/** `formations ARGS`, which must exit 0. */
export async function ok(e: CliEnv, args: readonly string[]): Promise<Run> {
  const r = await formations(e, args);
  if (r.code !== 0) throw new Error(`formations ${args.join(" ")} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r;
}
