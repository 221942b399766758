/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * `formations validate`, through `run()` with an in-memory Output (exit codes, the error line,
 * the source line and its caret, `--json` in the spec's exact shape), then once through the real
 * bin in a child process, which also proves that validating loads no Pulumi and no cloud SDK.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../cli/main.js";
import type { Output } from "../../cli/output.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = (kind: "valid" | "invalid", name = "") => join(root, "test/fixtures", kind, name);
const VALID = fixture("valid", "hpc-aws.yaml");
const INVALID = fixture("invalid", "range-compute-count-1001.yaml");

interface Captured extends Output {
  stdout: string[];
  stderr: string[];
}

function memory(): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, color: false, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memory();
  const code = await run(argv, io);
  return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
}

describe("formations validate (in process)", () => {
  it("exits 0 for a valid file, printing nothing on stdout", async () => {
    const r = await cli("validate", VALID);
    expect(r.code).toBe(0);
    expect(r.out).toBe("");
    expect(r.err).toBe("1 formation valid");
  });

  it("exits 0 for a directory of valid files, searched for *.yaml", async () => {
    const r = await cli("validate", fixture("valid"));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^\d+ formations valid$/);
    expect(Number(r.err.split(" ")[0])).toBeGreaterThanOrEqual(6);
  });

  it("exits 1 for an invalid file: FILE:LINE:COL: error: MESSAGE (at /ptr), the source line, a caret under the column", async () => {
    const r = await cli("validate", INVALID);
    expect(r.code).toBe(1);
    const [head, source, caret] = r.out.split("\n");
    expect(head).toBe(`${INVALID}:14:12: error: 'count' is 1001: must be between 1 and 1000 (at /spec/computeNodes/count)`);
    const text = (await readFile(INVALID, "utf8")).split("\n")[13]!;
    expect(text).toBe("    count: 1001");
    const gutter = "  14 | ";
    expect(source).toBe(`${gutter}${text}`);
    expect(caret).toMatch(/^\s+\| \s*\^$/);
    expect(caret!.indexOf("^")).toBe(gutter.length + 12 - 1);
    expect(text[caret!.indexOf("^") - gutter.length]).toBe("1");
    expect(r.err).toBe("1 of 1 file invalid (1 error)");
  });

  it("prints every error of a file, each with its caret, then hints", async () => {
    const file = fixture("invalid", "unknown-key-top-level.yaml");
    const r = await cli("validate", file);
    expect(r.code).toBe(1);
    const heads = r.out.split("\n").filter((l) => l.includes(": error: "));
    expect(heads).toHaveLength(3);
    for (const h of heads) expect(h).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: error: .+ \\(at /\\S+\\)$`));
    expect(r.out).toContain("= hint: did you mean 'labels'?");
    expect(r.out.split("\n").filter((l) => /^\s+\| \s*\^$/.test(l))).toHaveLength(3);
  });

  it("exits 1 when any one of several files is invalid, and validates them all", async () => {
    const r = await cli("validate", VALID, INVALID, fixture("invalid", "enum-size.yaml"));
    expect(r.code).toBe(1);
    expect(r.err).toBe("2 of 3 files invalid (2 errors)");
  });

  it.each([
    ["an unknown flag", ["validate", "--bogus", VALID]],
    ["no path", ["validate"]],
    ["an unknown command", ["validat", VALID]],
    ["no command", []],
  ])("exits 2 for a usage error: %s", async (_name, argv) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err.length).toBeGreaterThan(0);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace for a user mistake
  });

  it("a missing file is invalid input (exit 1, as in plan), reported as that file's error; the others are still validated", async () => {
    const r = await cli("validate", VALID, "/no/such/formation.yaml");
    expect(r.code).toBe(1);
    expect(r.out).toBe("/no/such/formation.yaml:1:1: error: cannot read file: no such file (at /)");
    expect(r.err).toBe("1 of 2 files invalid (1 error)");
  });

  it("--json keeps the good file's result beside the missing one (issue 12)", async () => {
    const r = await cli("validate", "--json", VALID, "/no/such/formation.yaml");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual([
      { file: VALID, valid: true, errors: [] },
      { file: "/no/such/formation.yaml", valid: false, errors: [{ line: 1, col: 1, pointer: "", message: "cannot read file: no such file" }] },
    ]);
  });

  it("suggests the command meant by a typo", async () => {
    expect((await cli("validat", VALID)).err).toContain("validate");
  });

  it("--json prints exactly [{file, valid, errors: [{line, col, pointer, message}]}]", async () => {
    const several = fixture("invalid", "several-errors-at-once.yaml");
    const r = await cli("validate", "--json", VALID, several);
    expect(r.code).toBe(1);
    expect(r.err).toBe("");
    const parsed: unknown = JSON.parse(r.out);
    expect(Array.isArray(parsed)).toBe(true);
    const results = parsed as Record<string, unknown>[];
    expect(results).toHaveLength(2);
    for (const item of results) {
      expect(Object.keys(item).sort()).toEqual(["errors", "file", "valid"]);
      expect(typeof item.file).toBe("string");
      expect(typeof item.valid).toBe("boolean");
      expect(Array.isArray(item.errors)).toBe(true);
      for (const e of item.errors as Record<string, unknown>[]) {
        expect(Object.keys(e).sort()).toEqual(["col", "line", "message", "pointer"]);
        expect(Number.isInteger(e.line) && (e.line as number) >= 1).toBe(true);
        expect(Number.isInteger(e.col) && (e.col as number) >= 1).toBe(true);
        expect(typeof e.pointer).toBe("string");
        expect(typeof e.message).toBe("string");
      }
    }
    expect(results[0]).toEqual({ file: VALID, valid: true, errors: [] });
    expect(results[1]).toMatchObject({ file: several, valid: false });
    expect(results[1]!.errors).toHaveLength(8);
    expect((results[1]!.errors as unknown[])[0]).toEqual({
      line: 10,
      col: 13,
      pointer: "/apiVersion",
      message: "'apiVersion' must be 'formations/v1', not 'formations/v2'",
    });
  });

  it("--json exits 0 when every file is valid", async () => {
    const r = await cli("validate", fixture("valid"), "--json");
    expect(r.code).toBe(0);
    const results = JSON.parse(r.out) as { valid: boolean }[];
    expect(results.length).toBeGreaterThanOrEqual(6);
    expect(results.every((x) => x.valid)).toBe(true);
  });

  it("--json reports a file that cannot be read as an error at 1:1, exit 1", async () => {
    const r = await cli("validate", "--json", "/dev/null");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual([{ file: "/dev/null", valid: false, errors: [{ line: 1, col: 1, pointer: "", message: "not a regular file" }] }]);
  });
});

const exec = promisify(execFile);
const bin = join(root, "bin/formations.js");
const tracer = join(root, "test/cli/trace-modules.mjs");
/** Anything that would make `validate` slow to start or need credentials. */
const HEAVY = /node_modules\/(@pulumi|@aws-sdk|aws-sdk|@azure|@google-cloud|googleapis|openstack|pkgcloud|dockerode|docker-modem|ssh2|@grpc)\//;

/** Runs node with the module tracer; resolves whatever the exit code. */
async function traced(traceFile: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string; modules: string[] }> {
  const env = { ...process.env, FORMATIONS_TRACE: traceFile, NO_COLOR: "1" };
  const done = await exec(process.execPath, ["--import", tracer, ...args], { cwd: root, env, timeout: 120_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof e.code === "number" ? e.code : -1,
      stdout: e.stdout ?? "",
      stderr: e.stderr ?? "",
    }),
  );
  const modules = (await readFile(traceFile, "utf8")).split("\n").filter(Boolean);
  return { ...done, modules };
}

describe("the real bin (after `npm run build`)", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "formations-cli-"));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is built", () => {
    expect(existsSync(join(root, "dist/cli/main.js")), "dist/cli/main.js is missing: run `npm run build` (npm test does)").toBe(true);
  });

  it("exits 1 end to end on an invalid file, and loads neither Pulumi nor a cloud SDK", async () => {
    const r = await traced(join(dir, "validate.trace"), [bin, "validate", fixture("valid"), INVALID]);
    expect(r.stderr).toMatch(/^1 of \d+ files invalid \(1 error\)\n$/);
    expect(r.stdout).toContain(`${INVALID}:14:12: error: `);
    expect(r.code).toBe(1);
    // The trace did record this run (the format and CLI modules, yaml and ajv)...
    for (const m of ["dist/cli/validate.js", "dist/format/load.js", "node_modules/yaml/", "node_modules/ajv/"]) {
      expect(
        r.modules.some((x) => x.includes(m)),
        m,
      ).toBe(true);
    }
    // ...and nothing heavy.
    expect(r.modules.filter((x) => HEAVY.test(x))).toEqual([]);
  });

  it("exits 0 end to end when every file is valid", async () => {
    const r = await traced(join(dir, "valid.trace"), [bin, "validate", "--json", VALID]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ file: VALID, valid: true, errors: [] }]);
    expect(r.modules.filter((x) => HEAVY.test(x))).toEqual([]);
  });

  it("the tracer does see Pulumi when something loads it (control)", async () => {
    const r = await traced(join(dir, "control.trace"), ["--input-type=module", "-e", "await import('@pulumi/pulumi')"]);
    expect(r.code).toBe(0);
    expect(r.modules.some((x) => x.startsWith("esm ") && /node_modules\/@pulumi\/pulumi\//.test(x))).toBe(true);
    expect(r.modules.some((x) => x.startsWith("cjs ") && /node_modules\/@pulumi\/pulumi\//.test(x))).toBe(true);
  });
});
