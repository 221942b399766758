/**
 * What every session verb (up, preview, refresh, destroy, sessions, show) shares: building the
 * Sessions with the right progress output (JSON lines, a live view on a terminal, plain lines
 * otherwise), Ctrl-C (first: cancel gracefully; second: stop waiting), questions on a terminal,
 * the offer to create a passphrase, and printing errors with the contract's exit codes.
 */
import { createInterface } from "node:readline/promises";
import { createHomePassphrase, homePassphraseFile } from "../automation/session/backend.js";
import { MissingPassphraseError, PulumiMissingError, SessionError } from "../automation/session/errors.js";
import type { SessionEvent } from "../automation/session/events.js";
import { parseSelector } from "../automation/session/naming.js";
import type { SessionListing } from "../automation/session/show.js";
import { jsonLine, plainLine } from "./render.js";
import type { Sessions, SessionsOptions } from "../automation/sessions.js";
import { FormationError } from "../format/diagnostics.js";
import type { Provider } from "../format/types.js";
import { UserError } from "../user-error.js";
import { EXIT } from "./exit.js";
import { failureOf, paint, type Output } from "./output.js";

/** Options every session verb accepts. */
export interface SessionFlags {
  json?: boolean;
  backendUrl?: string;
  secretsProvider?: string;
  createPassphrase?: boolean;
  installPulumi?: boolean;
}

/** What the verbs take from the process; tests replace each. */
export interface SessionDeps {
  /** Builds the Sessions (tests pass a FakeEngine through the options). */
  makeSessions?: (opts: SessionsOptions) => Sessions | Promise<Sessions>;
  /** Someone at a terminal can answer questions (stdin and stderr are TTYs). */
  interactive?: boolean;
  /** Asks one question on the terminal; returns the answer. */
  ask?: (question: string) => Promise<string>;
  /** Where SIGINT is listened for. */
  signals?: Pick<NodeJS.EventEmitter, "on" | "off">;
  /** Ends the process at once (the second Ctrl-C). */
  exit?: (code: number) => never;
  /** Draws the live view (default: log-update on stderr, when stderr is a terminal and not --json). */
  live?: boolean;
  /** Installs the pinned Pulumi CLI into the home (default: the Automation API's installer). */
  installPulumi?: (home: string) => Promise<{ path: string }>;
  /** What `doctor` says of a provider's credentials after a credentials failure (default: the real checks). */
  explainCredentials?: (provider: Provider) => Promise<string>;
  /** Prerequisites missing besides the one that failed (default: the Pulumi CLI, checked when no Sessions is injected). */
  otherMissing?: (flags: SessionFlags) => Promise<string[]>;
}

export function isInteractive(deps: SessionDeps): boolean {
  return deps.interactive ?? (Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY));
}

async function askOnTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // On a terminal readline reads Ctrl-C as a key: unhandled, it only pauses input and the
  // question never settles. Abort the question and raise a real SIGINT, so Ctrl-C interrupts.
  const asked = new AbortController();
  rl.on("SIGINT", () => {
    asked.abort();
    process.kill(process.pid, "SIGINT");
  });
  try {
    return await rl.question(question, { signal: asked.signal });
  } finally {
    rl.close();
  }
}

export async function ask(deps: SessionDeps, question: string): Promise<string> {
  return (deps.ask ?? askOnTerminal)(question);
}

export async function confirm(deps: SessionDeps, question: string): Promise<boolean> {
  return /^y(es)?$/i.test((await ask(deps, `${question} [y/N] `)).trim());
}

/**
 * Prints a user error the way the contract says (one clear message, its hint, the engine's
 * details for a failed operation) and returns its exit code; anything else is a bug: rethrown.
 */
export function reportError(err: unknown, io: Output): number {
  if (!(err instanceof UserError)) throw err;
  // A formation's diagnostics are printed as they are (file:line:col, the line, a caret), coloured on a terminal.
  io.err(err instanceof FormationError ? paint(err.message, io.color) : `formations: ${err.message}`);
  if (err.hint) io.err(`hint: ${err.hint}`);
  if (err instanceof SessionError && err.exitCode === 3 && err.details && !(err instanceof PulumiMissingError)) {
    const lines = err.details
      .split(/\r?\n/)
      .map((l) => l.replace(/^\s*(stdout|stderr|err\?):\s?/, ""))
      .filter((l) => l.trim() && !/^\s*code:\s*-?\d+\s*$/.test(l));
    if (lines.length) io.err(["details (from the engine):", ...lines.slice(-25).map((l) => `  ${l}`)].join("\n"));
  }
  // --json: the failure is also the one JSON document on stdout (after any JSON lines already printed).
  if (io.json) io.out(failureOf(err, err.exitCode, err.message));
  return err.exitCode;
}

interface Progress {
  onEvent(e: SessionEvent): void;
  stop(): void;
}

async function progress(flags: SessionFlags, io: Output, deps: SessionDeps): Promise<Progress> {
  if (flags.json) return { onEvent: (e) => io.out(jsonLine(e)), stop: () => {} };
  if (deps.live ?? (Boolean(process.stderr.isTTY) && process.env.TERM !== "dumb")) {
    const { liveRenderer } = await import("./render-live.js");
    return liveRenderer(process.stderr);
  }
  return {
    onEvent: (e) => {
      const line = plainLine(e);
      if (line) io.err(line);
    },
    stop: () => {},
  };
}

/**
 * Runs `body` with a Sessions whose progress goes to the right place; Ctrl-C cancels the
 * running operations gracefully, a second Ctrl-C stops waiting. A missing passphrase for the
 * local default backend can be created (--create-passphrase, or yes on a terminal), then the
 * body runs again. Returns the body's exit code, or the error's.
 */
export async function withSessions(flags: SessionFlags, io: Output, deps: SessionDeps, body: (s: Sessions) => Promise<number>): Promise<number> {
  const view = await progress(flags, io, deps);
  const options: SessionsOptions = {
    onEvent: (e) => view.onEvent(e),
    ...(flags.backendUrl ? { backendUrl: flags.backendUrl } : {}),
    ...(flags.secretsProvider ? { secretsProvider: flags.secretsProvider } : {}),
  };
  const sessions = deps.makeSessions ? await deps.makeSessions(options) : new (await import("../automation/sessions.js")).Sessions(options);
  const signals = deps.signals ?? process;
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      const cancelled = sessions.cancel();
      if (cancelled.length === 0) {
        // Nothing in flight (still loading, reading, or asking): there is no state to save, so
        // stop now; going on would start the very operation the user just interrupted.
        io.err("formations: interrupted before any operation started; nothing was changed");
        (deps.exit ?? process.exit)(EXIT.failed);
        return;
      }
      io.err(`formations: cancelling ${cancelled.join(", ")}: the engine finishes the steps in flight and saves the state; Ctrl-C again to stop waiting`);
      return;
    }
    io.err("formations: no longer waiting; the engine goes on in the background until it has saved the state");
    (deps.exit ?? process.exit)(EXIT.failed);
  };
  signals.on("SIGINT", onSigint);
  // What may be missing and offered, each at most once: the passphrase, the Pulumi CLI.
  const fixes = new Set<string>();
  const attempt = async (): Promise<number> => {
    try {
      return await body(sessions);
    } catch (err) {
      if (err instanceof MissingPassphraseError && !fixes.has("reported")) {
        // The passphrase is checked first: say now what else is missing, rather than one thing per run.
        fixes.add("reported");
        const others = await (deps.otherMissing ?? (deps.makeSessions ? async () => [] : missingBesidesPassphrase))(flags).catch(() => []);
        if (others.length)
          io.err(
            [
              "formations: missing prerequisites ('formations doctor' checks them all):",
              "  - the secrets passphrase (below)",
              ...others.map((o) => `  - ${o}`),
            ].join("\n"),
          );
      }
      if (err instanceof MissingPassphraseError && err.localDefault && !fixes.has("passphrase")) {
        fixes.add("passphrase");
        const create =
          flags.createPassphrase ||
          (isInteractive(deps) &&
            (await confirm(deps, `formations: no secrets passphrase is set. Create one in ${homePassphraseFile(err.home)} (mode 0600)?`)));
        if (!create) throw err;
        const file = await createHomePassphrase(err.home);
        io.err(`formations: created a passphrase in ${file} (mode 0600); back it up: without it this machine's sessions' secrets cannot be read`);
        return attempt();
      }
      if (err instanceof PulumiMissingError && err.home && !fixes.has("pulumi")) {
        fixes.add("pulumi");
        const home = err.home;
        const install =
          flags.installPulumi ||
          (isInteractive(deps) &&
            (await confirm(deps, `formations: the Pulumi CLI is missing. Download the version formations is pinned to into ${home}/pulumi?`)));
        if (!install) throw err;
        io.err(`formations: downloading the Pulumi CLI into ${home}/pulumi ...`);
        const cli = await (deps.installPulumi ?? (async (h: string) => (await import("../automation/session/pulumi-cli.js")).installPulumi(h)))(home).catch(
          (e: unknown) => {
            throw new SessionError(
              `could not install the Pulumi CLI: ${e instanceof Error ? e.message : String(e)}; without internet, build it from source in a clone of formations: scripts/pulumi-engine.sh build`,
              3,
            );
          },
        );
        io.err(`formations: installed ${cli.path}`);
        return attempt();
      }
      throw err;
    }
  };
  try {
    return await attempt();
  } catch (err) {
    return reportError(err, io);
  } finally {
    signals.off("SIGINT", onSigint);
    view.stop();
    await sessions.close();
  }
}

/** The Pulumi CLI, when it is missing too (its one-line fix), checked without starting anything. */
async function missingBesidesPassphrase(flags: SessionFlags): Promise<string[]> {
  if (flags.installPulumi) return [];
  const [{ locatePulumi }, { formationsHome }] = await Promise.all([import("../automation/session/pulumi-cli.js"), import("../automation/session/backend.js")]);
  const home = formationsHome();
  if (await locatePulumi(process.env, home)) return [];
  return [
    `the Pulumi CLI: not found; install it (https://www.pulumi.com/docs/install/), or run again with --install-pulumi (downloads it into ${home}/pulumi)`,
  ];
}

/**
 * Parses the --label selectors (a malformed one is a usage error before any backend is touched),
 * then runs `body` with the sessions they select.
 */
export async function withSelectedSessions(
  flags: SessionFlags & { label?: string[] },
  io: Output,
  deps: SessionDeps,
  body: (s: Sessions, listed: SessionListing[]) => Promise<number>,
): Promise<number> {
  let selector: Record<string, string>;
  try {
    selector = parseSelector(flags.label ?? []);
  } catch (err) {
    return reportError(err, io);
  }
  return withSessions(flags, io, deps, async (sessions) => body(sessions, await sessions.list({ labels: selector })));
}

/** Aligned columns: the header, then one line per row. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)));
  return all
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** `$0.4200/h`: hourly prices are small; four decimals keep a cheap machine from reading as free. */
export function usdPerHour(x: number | undefined): string {
  return x === undefined ? "-" : `$${x.toFixed(x >= 10 ? 2 : 4)}/h`;
}
