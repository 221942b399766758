/**
 * Layer: unit. `formations console` as a verb: its flags (usage errors exit 2 before any backend),
 * the URL with its token on stdout, a server that answers the page and refuses the token-less,
 * a clean stop; sessions on FakeEngine, a test double (no Pulumi runs). And, on the real bin
 * after `npm run build`: no other verb loads the server framework.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { consoleCommand } from "../../cli/console.js";
import { run } from "../../cli/main.js";
import type { Output } from "../../cli/output.js";
import { Sessions } from "../../automation/sessions.js";
import { FakeEngine } from "../automation/fake-engine.js";

function capture(): { io: Output; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l), color: false }, out, err };
}

let home = "";
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "formations-console-cli-"));
});
afterEach(() => rm(home, { recursive: true, force: true }));

describe("formations console", () => {
  it("lists its options in --help", async () => {
    const c = capture();
    expect(await run(["console", "--help"], c.io)).toBe(0);
    for (const o of ["--port <n>", "--host <address>", "--label <k=v>", "--dir <folder>"]) expect(c.out.join("\n")).toContain(o);
  });

  it.each([
    [["--host", "0.0.0.0"], "formations: --host 0.0.0.0 would open the console to every network: name one address (default 127.0.0.1)"],
    [["--port", "http"], "formations: invalid --port 'http': a port number (0 picks a free one)"],
    [["--label", "team"], "formations: invalid label selector 'team': use key=value"],
    [["--dir", "/nonexistent-folder"], "formations: --dir /nonexistent-folder is not a folder"],
  ])("refuses %j as a usage error (exit 2) before any backend", async (args, message) => {
    const c = capture();
    expect(await run(["console", ...args], c.io)).toBe(2);
    expect(c.err).toEqual([message]);
  });

  it("prints the URL with its token, serves the page, refuses a request without the token, and stops cleanly", async () => {
    const c = capture();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const checks: Promise<void>[] = [];
    const code = await consoleCommand({ dir: home, label: ["team=bio"] }, c.io, {
      makeSessions: (o) => new Sessions({ ...o, home, env: { FORMATIONS_HOME: home, PULUMI_CONFIG_PASSPHRASE: "p" }, engine: new FakeEngine() }),
      stopped,
      onStart: ({ url, port }) => {
        checks.push(
          (async () => {
            expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[A-Za-z0-9_-]{43}$`));
            const page = await fetch(url);
            expect(page.status).toBe(200);
            expect(await page.text()).toContain("<title>Formations console</title>");
            const config = await fetch(url.replace("/?", "/api/config?"));
            expect(await config.json()).toMatchObject({ labels: ["team=bio"], dir: home, actor: expect.stringMatching(/ \(console\)$/) });
            expect((await fetch(`http://127.0.0.1:${port}/api/sessions`)).status).toBe(401);
          })().finally(stop),
        );
      },
    });
    await Promise.all(checks);
    expect(code).toBe(0);
    expect(c.out).toHaveLength(1);
    expect(c.err.join("\n")).toContain("Ctrl-C stops it");
  });
});

describe("the real bin (after `npm run build`)", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const exec = promisify(execFile);
  it("loads no server framework for another verb, nor for console --help", async () => {
    for (const args of [
      ["validate", join(root, "formations/docker/pool.yaml")],
      ["console", "--help"],
    ]) {
      const trace = join(home, `${args[0]}.trace`);
      await exec(process.execPath, ["--import", join(root, "test/cli/trace-modules.mjs"), join(root, "bin/formations.js"), ...args], {
        cwd: root,
        env: { ...process.env, FORMATIONS_TRACE: trace },
        timeout: 120_000,
      });
      const modules = (await readFile(trace, "utf8")).split("\n");
      expect(
        modules.some((m) => m.includes("dist/cli/main.js")),
        "the trace recorded the run",
      ).toBe(true);
      expect(modules.filter((m) => /node_modules\/(hono|@hono)\/|dist\/console\//.test(m))).toEqual([]);
    }
  });
});
