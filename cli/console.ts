/**
 * `formations console [--port N] [--host 127.0.0.1] [--label k=v]... [--dir FOLDER]`: the local
 * web console (console/), a thin verb like the others: the same Sessions (backend, passphrase,
 * progress lines on stderr), whose events also feed the console's live updates; the URL with its
 * token on stdout (`--json`: `{"url", "port"}`); Ctrl-C stops it after the running actions have saved their state. Loaded only
 * for this verb, so no other verb loads the server framework.
 */
import { resolve } from "node:path";
import { stat } from "node:fs/promises";
import { actor as currentActor } from "../automation/session/actor.js";
import { parseSelector } from "../automation/session/naming.js";
import { Hub } from "../console/live.js";
import { startConsole } from "../console/serve.js";
import { EXIT, UsageError } from "./exit.js";
import type { Output } from "./output.js";
import { withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

export interface ConsoleFlags extends SessionFlags {
  port?: string;
  host?: string;
  label?: string[];
  dir?: string;
}

export interface ConsoleDeps extends SessionDeps {
  /** Resolves when the console should stop (default: the first Ctrl-C). */
  stopped?: Promise<unknown>;
  /** Told the running console (tests: its URL and token). */
  onStart?: (c: { url: string; port: number }) => void;
}

const WILDCARD = new Set(["0.0.0.0", "::", "[::]", "*"]);

function checkFlags(flags: ConsoleFlags): { port: number; host: string } {
  const port = flags.port === undefined ? 0 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port '${flags.port}': a port number (0 picks a free one)`);
  const host = flags.host ?? "127.0.0.1";
  if (WILDCARD.has(host)) throw new UsageError(`--host ${host} would open the console to every network: name one address (default 127.0.0.1)`);
  parseSelector(flags.label ?? []);
  return { port, host };
}

/** The journal's `who`: the person running the console, marked as acting through it. */
export function consoleActor(env: NodeJS.ProcessEnv = process.env): string {
  return `${currentActor(env)} (console)`;
}

export async function consoleCommand(flags: ConsoleFlags, io: Output, deps: ConsoleDeps = {}): Promise<number> {
  let where: { port: number; host: string };
  try {
    where = checkFlags(flags);
  } catch (err) {
    if (err instanceof Error && !(err instanceof UsageError)) throw new UsageError(err.message);
    throw err;
  }
  const dir = resolve(flags.dir ?? ".");
  if (
    !(await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    throw new UsageError(`--dir ${dir} is not a folder`);
  const hub = new Hub();
  const actor = consoleActor();
  const make = deps.makeSessions ?? (async (o) => new (await import("../automation/sessions.js")).Sessions(o));
  const sessionDeps: SessionDeps = {
    ...deps,
    live: false,
    makeSessions: (o) => make({ ...o, actor, onEvent: (e) => (o.onEvent?.(e), hub.onEvent(e)) }),
  };
  return withSessions({ ...flags, json: false }, io, sessionDeps, async (sessions) => {
    // Proves the backend, the passphrase and the engine before printing a URL that would only show errors.
    await sessions.list();
    const running = await startConsole({ sessions, hub, host: where.host, port: where.port, dir, labels: flags.label ?? [], actor });
    io.out(flags.json ? JSON.stringify({ url: running.url, port: running.port }) : running.url);
    io.err(`formations: console for ${dir} at the URL above (it holds a secret token: share it with no one); Ctrl-C stops it`);
    if (where.host !== "127.0.0.1" && where.host !== "localhost" && where.host !== "::1")
      io.err(`formations: warning: listening on ${where.host}, not the loopback address: anyone who can reach it and has the token can act on your sessions`);
    deps.onStart?.({ url: running.url, port: running.port });
    await (deps.stopped ?? new Promise((r) => (deps.signals ?? process).on("SIGINT", r)));
    io.err("formations: console stopping (running actions finish and save their state)");
    await running.close();
    return EXIT.ok;
  });
}
