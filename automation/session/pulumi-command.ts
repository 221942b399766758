/**
 * Runs the Pulumi CLI in its own process group, so that cancelling is ours to do, exactly once.
 *
 * Why: the Pulumi CLI cancels gracefully on its first SIGINT (finishes in-flight steps, saves
 * the state) and terminates at once on the second, leaving pending operations. With the CLI in
 * our process group, a Ctrl-C on the terminal reaches it directly AND through the AbortSignal
 * the Automation API forwards: two SIGINTs, an abrupt stop. In its own group it gets only the
 * one we send. A side effect we want: if this process is killed, the CLI still finishes and
 * saves the state.
 *
 * The Automation API's PulumiCommand runs every CLI call through its `run` method; we keep the
 * real command (found on PATH, version-checked) and replace `run` with this spawn. `run` and
 * the CommandResult/createCommandError helpers are internal to @pulumi/pulumi (pinned to
 * 3.248.0): when they are missing, the stock command is used unchanged.
 */
import { spawn } from "node:child_process";
import { delimiter, dirname, isAbsolute } from "node:path";
import type * as Auto from "@pulumi/pulumi/automation/index.js";

type Automation = typeof Auto;
type PulumiCommand = Awaited<ReturnType<Automation["PulumiCommand"]["get"]>>;

/** The internals we rely on, typed here because the published typings omit them. */
interface Internals {
  CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => unknown;
  createCommandError: (result: unknown) => Error;
}

type Run = (args: string[], cwd: string | undefined, env: Record<string, string>, onOutput?: (s: string) => void, onError?: (s: string) => void, signal?: AbortSignal) => Promise<unknown>;

/** Spawns `command` in a new process group; resolves with a CommandResult, rejects with the Automation API's classified errors. */
export function runDetached(internals: Internals, command: string): Run {
  return (args, cwd, additionalEnv, onOutput, onError, signal) =>
    new Promise((resolve, reject) => {
      // As the stock runner: never prompt, and mark the call as coming from the Automation API.
      const argv = args.includes("--non-interactive") ? args : [...args, "--non-interactive"];
      const env: Record<string, string | undefined> = { ...process.env, ...additionalEnv, PULUMI_AUTOMATION_API: "true" };
      // A CLI installed in a folder of its own finds the plugins bundled next to it.
      if (isAbsolute(command)) env.PATH = `${dirname(command)}${delimiter}${additionalEnv.PATH ?? process.env.PATH ?? ""}`;
      const child = spawn(command, argv, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
        onOutput?.(d);
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
        onError?.(d);
      });
      const abort = () => {
        if (child.exitCode === null && child.pid !== undefined) child.kill("SIGINT");
      };
      if (signal?.aborted) abort();
      else signal?.addEventListener("abort", abort, { once: true });
      child.on("error", (err) => {
        signal?.removeEventListener("abort", abort);
        reject(internals.createCommandError(new internals.CommandResult("", err.message, -2, err)));
      });
      child.on("close", (code, sig) => {
        signal?.removeEventListener("abort", abort);
        const exit = code ?? (sig ? 128 : -1);
        const result = new internals.CommandResult(stdout, stderr, exit);
        if (exit === 0) resolve(result);
        else reject(internals.createCommandError(result));
      });
    });
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
