/**
 * Runs the Pulumi CLI in its own process group, so that cancelling is ours to do, exactly once.
 *
 * Why: the Pulumi CLI cancels gracefully on its first SIGINT (finishes in-flight steps, saves
 * the state) and terminates at once on the second, leaving pending operations. With the CLI in
 * our process group, a Ctrl-C on the terminal reaches it directly AND through the AbortSignal
 * the Automation API forwards: two SIGINTs, an abrupt stop. In its own group it gets only the
 * one we send. And if this process is killed, the CLI must still finish and save the state
 * (else its lock and pending operations stay in the backend): so its output goes to files, not
 * pipes. A Go program writing to a pipe whose reader died gets SIGPIPE and dies on the spot (Go
 * respects an inherited SIG_IGN for SIGHUP and SIGINT only), which the real engine showed: a
 * `kill -9` of formations in the middle of an `up` left the CLI dead, the stack locked and its
 * creates pending. The files are read when the CLI ends (and handed to onOutput/onError then).
 *
 * The Automation API's PulumiCommand runs every CLI call through its `run` method; we keep the
 * real command (found on PATH, version-checked) and replace `run` with this spawn. `run` and
 * the CommandResult/createCommandError helpers are internal to @pulumi/pulumi (pinned to
 * 3.248.0): when they are missing, the stock command is used unchanged.
 */
import { spawn } from "node:child_process";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import type * as Auto from "@pulumi/pulumi/automation/index.js";

type Automation = typeof Auto;
type PulumiCommand = Awaited<ReturnType<Automation["PulumiCommand"]["get"]>>;

/** The internals we rely on, typed here because the published typings omit them. */
interface Internals {
  CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => unknown;
  createCommandError: (result: unknown) => Error;
}

type Run = (
  args: string[],
  cwd: string | undefined,
  env: Record<string, string>,
  onOutput?: (s: string) => void,
  onError?: (s: string) => void,
  signal?: AbortSignal,
) => Promise<unknown>;

/** Spawns `command` in a new process group; resolves with a CommandResult, rejects with the Automation API's classified errors. */
export function runDetached(internals: Internals, command: string): Run {
  return async (args, cwd, additionalEnv, onOutput, onError, signal) => {
    // Private (0700) files for the CLI's output: it outlives this process if it must (see above).
    const t0 = performance.now();
    const dir = await mkdtemp(join(tmpdir(), "formations-pulumi-"));
    const out = await open(join(dir, "stdout"), "w+", 0o600);
    const err = await open(join(dir, "stderr"), "w+", 0o600);
    try {
      const { code, spawnError } = await new Promise<{ code: number; spawnError?: Error }>((resolve) => {
        // As the stock runner: never prompt, and mark the call as coming from the Automation API.
        const argv = args.includes("--non-interactive") ? args : [...args, "--non-interactive"];
        const env: Record<string, string | undefined> = { ...process.env, ...additionalEnv, PULUMI_AUTOMATION_API: "true" };
        // A CLI installed in a folder of its own finds the plugins bundled next to it.
        if (isAbsolute(command)) env.PATH = `${dirname(command)}${delimiter}${additionalEnv.PATH ?? process.env.PATH ?? ""}`;
        const child = spawn(command, argv, { cwd, env, detached: true, stdio: ["ignore", out.fd, err.fd] });
        const abort = () => {
          if (child.exitCode === null && child.pid !== undefined) child.kill("SIGINT");
        };
        if (signal?.aborted) abort();
        else signal?.addEventListener("abort", abort, { once: true });
        child.on("error", (e) => {
          signal?.removeEventListener("abort", abort);
          resolve({ code: -2, spawnError: e });
        });
        child.on("close", (c, sig) => {
          signal?.removeEventListener("abort", abort);
          resolve({ code: c ?? (sig ? 128 : -1) });
        });
      });
      if (spawnError) throw internals.createCommandError(new internals.CommandResult("", spawnError.message, -2, spawnError));
      const [stdout, stderr] = await Promise.all([readFile(join(dir, "stdout"), "utf8"), readFile(join(dir, "stderr"), "utf8")]);
      if (stdout) onOutput?.(stdout);
      if (stderr) onError?.(stderr);
      if (process.env.FORMATIONS_DEBUG) traceCall(args, code, performance.now() - t0);
      const result = new internals.CommandResult(stdout, stderr, code);
      if (code !== 0) throw internals.createCommandError(result);
      return result;
    } finally {
      await out.close().catch(() => undefined);
      await err.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  };
}

/**
 * With FORMATIONS_DEBUG set, one stderr line per CLI call: its subcommand words only (never an
 * argument: `config set-all` carries secrets), its exit code and how long it took, which is where
 * a session operation's time goes beyond the update itself.
 */
function traceCall(args: readonly string[], code: number, ms: number): void {
  const flag = args.findIndex((a) => a.startsWith("-"));
  const words = args.slice(0, flag < 0 ? 2 : Math.min(2, flag)).filter((a) => /^[a-z-]+$/.test(a));
  process.stderr.write(`formations: pulumi ${words.join(" ")} exited ${code} after ${Math.round(ms)} ms\n`);
}

/**
 * The Pulumi CLI (version-checked by the Automation API), run in its own process group: the one
 * in `root`/bin (found by pulumi-cli.ts), else `pulumi` on PATH.
 */
export async function detachedPulumiCommand(auto: Automation, root?: string): Promise<PulumiCommand> {
  const real = await auto.PulumiCommand.get(root ? { root } : undefined);
  const internals = auto as unknown as Partial<Internals>;
  if (typeof internals.CommandResult !== "function" || typeof internals.createCommandError !== "function") return real;
  if (typeof (real as unknown as { run?: unknown }).run !== "function") return real;
  const wrapped = Object.create(real) as PulumiCommand & { run: Run };
  wrapped.run = runDetached(internals as Internals, real.command);
  return wrapped;
}
