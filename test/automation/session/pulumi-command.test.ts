/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * The Pulumi CLI runs in its own process group and gets exactly one SIGINT on cancel. Tested
 * with a stand-in `pulumi` script (the real CLI is not needed to test how we spawn it).
 */
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classify, PulumiMissingError } from "../../../automation/session/errors.js";
import { detachedPulumiCommand, runDetached } from "../../../automation/session/pulumi-command.js";

let dir: string;
let auto: typeof Auto;
const savedPath = process.env.PATH;

const SCRIPT = `#!/bin/sh
if [ "$1" = version ]; then echo v3.248.0; exit 0; fi
if [ "$1" = ok ]; then echo "out:$*"; echo "warn" >&2; exit 0; fi
if [ "$1" = orphan ]; then echo $$ > "$OUT/pid"; while [ ! -e "$OUT/go" ]; do sleep 0.02; done; echo "still writing"; echo "to stderr too" >&2; touch "$OUT/saved"; exit 0; fi
echo $$ > "$OUT/pid"
trap 'echo INT >> "$OUT/signals"' INT
while [ ! -e "$OUT/stop" ]; do sleep 0.02; done
echo "error: update canceled" >&2
exit 255
`;

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 5000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error("condition never held");
}

const pgrp = async (pid: number | "self") => (await readFile(`/proc/${pid}/stat`, "utf8")).replace(/^.*\) /s, "").split(" ")[2];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "formations-fake-pulumi-"));
  await writeFile(join(dir, "pulumi"), SCRIPT);
  await chmod(join(dir, "pulumi"), 0o755);
  auto = await import("@pulumi/pulumi/automation/index.js");
});
afterAll(async () => {
  process.env.PATH = savedPath;
  await rm(dir, { recursive: true, force: true });
});

describe("running the Pulumi CLI", () => {
  it("finds it on PATH, runs it, and returns its output", async () => {
    process.env.PATH = `${dir}:${savedPath}`;
    const cmd = (await detachedPulumiCommand(auto)) as unknown as { run: (...a: unknown[]) => Promise<{ stdout: string; stderr: string; code: number }> };
    const out: string[] = [];
    const r = await cmd.run(["ok", "--flag"], dir, {}, (s: string) => out.push(s));
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("out:ok --flag --non-interactive");
    expect(r.stderr.trim()).toBe("warn");
    expect(out.join("").trim()).toBe(r.stdout.trim());
  });

  it("puts it in its own process group and sends exactly one SIGINT on abort", async () => {
    const out = join(dir, "run1");
    await mkdir(out);
    const run = runDetached(auto as never, join(dir, "pulumi"));
    const controller = new AbortController();
    const done = run(["up"], dir, { OUT: out }, undefined, undefined, controller.signal).catch((e: unknown) => e);
    await until(() => existsSync(join(out, "pid")));
    const pid = Number((await readFile(join(out, "pid"), "utf8")).trim());
    // Its own group: a Ctrl-C on our terminal (sent to our group) does not reach it.
    expect(await pgrp(pid)).toBe(String(pid));
    expect(await pgrp(pid)).not.toBe(await pgrp("self"));
    controller.abort();
    controller.abort();
    await until(() => existsSync(join(out, "signals")));
    await writeFile(join(out, "stop"), "");
    const err = (await done) as Error;
    expect(err.name).toBe("CommandError");
    expect(err.message).toContain("error: update canceled");
    expect((await readFile(join(out, "signals"), "utf8")).trim().split("\n")).toEqual(["INT"]);
  });

  it("outlives a caller killed with SIGKILL and still finishes: its output goes to files, not to pipes that would SIGPIPE it", async () => {
    const out = join(dir, "run2");
    await mkdir(out);
    // A caller in a process of its own (compiled module: npm test builds first), killed while the CLI runs.
    const mod = join(process.cwd(), "dist", "automation", "session", "pulumi-command.js");
    const caller = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const a = await import("@pulumi/pulumi/automation/index.js"); const { runDetached } = await import(${JSON.stringify(mod)}); await runDetached(a, ${JSON.stringify(join(dir, "pulumi"))})(["orphan"], ${JSON.stringify(dir)}, { OUT: ${JSON.stringify(out)} });`,
      ],
      { stdio: "ignore" },
    );
    await until(() => existsSync(join(out, "pid")));
    caller.kill("SIGKILL");
    await new Promise((r) => caller.once("exit", r));
    await writeFile(join(out, "go"), "");
    await until(() => existsSync(join(out, "saved")));
  });

  it("a missing CLI becomes the one-line install hint", async () => {
    process.env.PATH = "/nonexistent";
    const err = await detachedPulumiCommand(auto).catch((e: unknown) => e);
    process.env.PATH = savedPath;
    const e = classify(err, { action: "up" });
    expect(e).toBeInstanceOf(PulumiMissingError);
    expect(e.message).toContain("https://get.pulumi.com");
  });
});
