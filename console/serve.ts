/**
 * Starting and stopping the console: a fresh random token, the app on a loopback socket, the
 * URL to open, and a clean stop (event streams ended, the socket closed, running tasks waited
 * for so the engine saves its state). Hono's Node adapter serves it, without replacing Node's
 * global Request/Response (the cloud SDKs in this process use them).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { createAdaptorServer } from "@hono/node-server";
import type { Sessions } from "../automation/sessions.js";
import { consoleApp } from "./app.js";
import type { ConsoleContext, PlanView } from "./context.js";
import type { Hub } from "./live.js";
import { loadAssets, packageRoot } from "./routes/page.js";
import { readPage } from "./routes/sessions.js";
import { allowedHosts } from "./security.js";

export interface StartOptions {
  sessions: Sessions;
  /** The hub the Sessions' `onEvent` feeds (build it first: `new Hub()`). */
  hub: Hub;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** The formations folder (absolute). */
  dir: string;
  labels?: string[];
  actor: string;
  /** Default: 32 random bytes. */
  token?: string;
  plan?: (file: string) => Promise<PlanView>;
  now?: () => Date;
}

export interface RunningConsole {
  /** The URL to open, with the token. */
  url: string;
  port: number;
  token: string;
  ctx: ConsoleContext;
  /** Ends the event streams, stops listening, and waits for running tasks. */
  close(): Promise<void>;
}

const run = promisify(execFile);

/** `formations plan --json` of a file, in a child process (Pulumi's mock runtime must not share this process with real operations). */
export async function planInChild(file: string): Promise<PlanView> {
  const bin = join(packageRoot(), "bin", "formations.js");
  try {
    const { stdout } = await run(process.execPath, [bin, "plan", "--json", file], { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
    const p = JSON.parse(stdout) as PlanView & { resources: { type: string; name: string; parent: string | null; inputs?: unknown }[] };
    return { session: p.session, resources: p.resources.map(({ type, name, parent }) => ({ type, name, parent })), cost: p.cost, notes: p.notes ?? [] };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error((e.stderr?.trim() || e.message).split("\n").slice(-8).join("\n"), { cause: err });
  }
}

export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

export async function startConsole(opts: StartOptions): Promise<RunningConsole> {
  const host = opts.host ?? "127.0.0.1";
  const token = opts.token ?? newToken();
  const assets = await loadAssets();
  const ctx: ConsoleContext = {
    sessions: opts.sessions,
    hub: opts.hub,
    dir: opts.dir,
    labels: opts.labels ?? [],
    actor: opts.actor,
    plan: opts.plan ?? planInChild,
    now: opts.now ?? (() => new Date()),
  };
  opts.hub.reader = (session) => readPage(ctx, session);
  // Filled once the port is known (port 0 picks one); the security check reads it on every request.
  const hosts: string[] = [];
  const app = consoleApp(ctx, { token, hosts, assets });
  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  hosts.push(...allowedHosts(host, port));
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/?token=${token}`,
    port,
    token,
    ctx,
    close: async () => {
      opts.hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await opts.hub.idle();
    },
  };
}
