/**
 * Global setup of the moto layer (vitest.moto.config.ts): installs moto's server into its venv
 * (scripts/moto.sh install; a no-op when warm), starts it on 127.0.0.1 on a free port through
 * test/moto/server.py (moto plus one documented shim), waits until it answers, and hands its
 * endpoint to the test files (`inject("motoEndpoint")`). The returned teardown stops it, and so
 * does this process's exit, so no server outlives the run.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** moto's server, e.g. http://127.0.0.1:41234 */
    motoEndpoint: string;
  }
}

const ROOT = resolve(import.meta.dirname, "../..");

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a === "object" ? ok(a.port) : fail(new Error("no port"))));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/moto-api/`)).ok;
  } catch {
    return false;
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(kill);
      done();
    });
    child.kill("SIGTERM");
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Progress on stderr; the server's path on stdout. A cold venv takes minutes (pip from PyPI).
  const server = execFileSync(join(ROOT, "scripts/moto.sh"), ["install"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
  const python = join(server, "..", "python");
  const dir = mkdtempSync(join(tmpdir(), "formations-moto-"));
  const logFile = join(dir, "moto.log");
  let child: ChildProcess | undefined;
  let url = "";
  // A port found free may be taken before moto binds it: then moto exits, and the next port is tried.
  for (let attempt = 0; attempt < 3 && !url; attempt++) {
    const port = await freePort();
    const log = openSync(logFile, "a");
    const c = spawn(python, [join(ROOT, "test/moto/server.py"), "-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", log, log] });
    child = c;
    const candidate = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && c.exitCode === null && c.signalCode === null) {
      if (await answers(candidate)) {
        url = candidate;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    if (!url) await stop(c);
  }
  if (!url || !child) {
    const tail = readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
    throw new Error(`moto_server did not answer on 127.0.0.1 (log ${logFile}):\n${tail}`);
  }
  const running = child;
  const onExit = () => running.kill("SIGKILL");
  process.once("exit", onExit);
  project.provide("motoEndpoint", url);
  return async () => {
    process.off("exit", onExit);
    await stop(running);
    rmSync(dir, { recursive: true, force: true });
  };
}
