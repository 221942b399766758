/**
 * What every session verb (up, preview, refresh, destroy, sessions, show) shares: building the
 * Sessions with the right progress output (JSON lines, a live view on a terminal, plain lines
 * otherwise), Ctrl-C (first: cancel gracefully; second: stop waiting), questions on a terminal,
 * the offer to create a passphrase, and printing errors with the contract's exit codes.
 */
import { createInterface } from "node:readline/promises";
import { createHomePassphrase, homePassphraseFile } from "../automation/backend.js";
import { MissingPassphraseError, PulumiMissingError, SessionError } from "../automation/errors.js";
import type { SessionEvent } from "../automation/events.js";
import { parseSelector } from "../automation/naming.js";
import type { SessionListing } from "../automation/show.js";
import { jsonLine, plainLine } from "../automation/render.js";
import type { Sessions, SessionsOptions } from "../automation/sessions.js";
import { EXIT, UsageError } from "./exit.js";
import { failureOf, paint, type Output } from "./output.js";

/** Options every session verb accepts. */
export interface SessionFlags {
  json?: boolean;
  backendUrl?: string;
  secretsProvider?: string;
  createPassphrase?: boolean;
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

/** Prints an error the way the contract says (one clear message; engine details for exit 3) and returns its exit code. */
export function reportError(err: unknown, io: Output): number {
  const code = printError(err, io);
  // --json: the failure is also the one JSON document on stdout (after any JSON lines already printed).
  if (io.json) io.out(failureOf(err, code, (err as Error).message));
  return code;
}

function printError(err: unknown, io: Output): number {
  if (err instanceof UsageError) {
    io.err(`formations: ${err.message}`);
    return EXIT.usage;
  }
  if (err instanceof Error && err.name === "FormationError") {
    io.err(paint(err.message, io.color));
    return EXIT.invalid;
  }
  if (err instanceof SessionError) {
    io.err(`formations: ${err.message}`);
    if (err.exitCode === 3 && err.details && !(err instanceof PulumiMissingError)) {
      const lines = err.details
        .split(/\r?\n/)
        .map((l) => l.replace(/^\s*(stdout|stderr|err\?):\s?/, ""))
        .filter((l) => l.trim() && !/^\s*code:\s*-?\d+\s*$/.test(l));
      if (lines.length) io.err(["details (from the engine):", ...lines.slice(-25).map((l) => `  ${l}`)].join("\n"));
    }
    return err.exitCode;
  }
  throw err;
}

interface Progress {
  onEvent(e: SessionEvent): void;
  stop(): void;
}

async function progress(flags: SessionFlags, io: Output, deps: SessionDeps): Promise<Progress> {
  if (flags.json) return { onEvent: (e) => io.out(jsonLine(e)), stop: () => {} };
  if (deps.live ?? (Boolean(process.stderr.isTTY) && process.env.TERM !== "dumb")) {
    const { liveRenderer } = await import("../automation/render-live.js");
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
  const options: SessionsOptions = { onEvent: (e) => view.onEvent(e), ...(flags.backendUrl ? { backendUrl: flags.backendUrl } : {}), ...(flags.secretsProvider ? { secretsProvider: flags.secretsProvider } : {}) };
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
  try {
    try {
      return await body(sessions);
    } catch (err) {
      if (!(err instanceof MissingPassphraseError) || !err.localDefault) throw err;
      const create = flags.createPassphrase || (isInteractive(deps) && (await confirm(deps, `formations: no secrets passphrase is set. Create one in ${homePassphraseFile(err.home)} (mode 0600)?`)));
      if (!create) throw err;
      const file = await createHomePassphrase(err.home);
      io.err(`formations: created a passphrase in ${file} (mode 0600); back it up: without it this machine's sessions' secrets cannot be read`);
      return await body(sessions);
    }
  } catch (err) {
    return reportError(err, io);
  } finally {
    signals.off("SIGINT", onSigint);
    view.stop();
    await sessions.close();
  }
}

/**
 * Parses the --label selectors (a malformed one is a usage error before any backend is touched),
 * then runs `body` with the sessions they select.
 */
export async function withSelectedSessions(flags: SessionFlags & { label?: string[] }, io: Output, deps: SessionDeps, body: (s: Sessions, listed: SessionListing[]) => Promise<number>): Promise<number> {
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
  return all.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd()).join("\n");
}

/** `$0.4200/h`: hourly prices are small; four decimals keep a cheap machine from reading as free. */
export function usdPerHour(x: number | undefined): string {
  return x === undefined ? "-" : `$${x.toFixed(x >= 10 ? 2 : 4)}/h`;
}
