/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * The CLI against hostile and unlucky use (issue 12): directories of YAML that is not formations
 * (secrets in them), error storms, --json on failure, conflicting flags, a symlink loop, through
 * `run()` in process; then a reader that goes away (`plan | head -1`) through the real bin in a
 * child process (after `npm run build`). No engine: nothing here reaches Pulumi.
 */
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../cli/main.js";
import type { Output } from "../../cli/output.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: Output = { color: false, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
  const code = await run(argv, io);
  return { code, out: stdout.join("\n"), err: stderr.join("\n") };
}

const FORMATION = "apiVersion: formations/v1\nkind: Docker\nmetadata:\n  name: web\ncloud:\n  provider: docker\nspec:\n  container:\n    image: nginx\n";
const SECRETS = ["hunter2", "s3cr3t-token", "424242"];

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "formations-hostile-cli-"));
  const repo = join(dir, "repo");
  await mkdir(join(repo, "deploy", "chart"), { recursive: true });
  await writeFile(join(repo, "web.yaml"), FORMATION);
  // A formation whose error sits on a secret's line: neither the line nor the value is printed.
  await writeFile(join(repo, "api.yaml"), `${FORMATION}    env:\n      DB_PASSWORD: 424242\n`);
  await writeFile(join(repo, "deploy", "compose.yaml"), "services:\n  db:\n    image: postgres\n    environment:\n      DB_PASSWORD: hunter2\n");
  await writeFile(join(repo, "deploy", "chart", "values.yml"), "auth:\n  apiToken: s3cr3t-token\nreplicas: {{ .Values.n }}\n");
  await mkdir(join(dir, "only-compose"));
  await writeFile(join(dir, "only-compose", "compose.yaml"), "services: {}\n");
  await writeFile(join(dir, "storm.yaml"), FORMATION + Array.from({ length: 150 }, (_, i) => `bogus${i}: 1\n`).join(""));
  await symlink(join(dir, "loop.yaml"), join(dir, "loop.yaml"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a secret's key with a control character inside it (found by the fuzz target, FUZZ_SEED=680876925)", () => {
  it("is still recognised: the line and its value are not printed", async () => {
    const file = join(dir, "nul-secret.yaml");
    await writeFile(file, `${FORMATION}    env:\n      s\u0000ecret: S3CRET-VALUE\n`);
    const r = await cli("validate", file);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${file}:11:8: error: control character U+0000 is not allowed in a YAML file`);
    expect(r.out + r.err).not.toContain("S3CRET-VALUE");
  });
});

describe("validate <dir> with YAML that is not formations (item 6)", () => {
  it("skips them with one line each, and never prints a secret's line or value", async () => {
    const r = await cli("validate", join(dir, "repo"));
    expect(r.code).toBe(1);
    const api = join(dir, "repo", "api.yaml");
    expect(r.out.split("\n")).toEqual([
      `${api}:11:20: error: 'DB_PASSWORD' must be a string, not an integer (at /spec/container/env/DB_PASSWORD)`,
      "     = hint: quote it",
    ]);
    expect(r.err.split("\n")).toEqual([
      `formations: skipped ${join(dir, "repo", "deploy", "chart", "values.yml")}: not a formation: no 'apiVersion: formations/v1' line (--strict reports it)`,
      `formations: skipped ${join(dir, "repo", "deploy", "compose.yaml")}: not a formation: no 'apiVersion: formations/v1' line (--strict reports it)`,
      "1 of 2 files invalid (1 error); 2 YAML files skipped (not formations)",
    ]);
    for (const s of SECRETS) expect(r.out + r.err).not.toContain(s);
  });

  it("--strict reports them, without their content", async () => {
    const r = await cli("validate", "--strict", join(dir, "repo"));
    expect(r.code).toBe(1);
    const compose = join(dir, "repo", "deploy", "compose.yaml");
    expect(r.out).toContain(
      `${compose}:1:1: error: not a formation: no 'apiVersion: formations/v1' line (at /)\n     = hint: without --strict, YAML files that are not formations are skipped`,
    );
    expect(r.err).toBe("3 of 4 files invalid (3 errors)");
    for (const s of SECRETS) expect(r.out + r.err).not.toContain(s);
  });

  it("--json lists the formations only; the skips go to stderr", async () => {
    const r = await cli("validate", "--json", join(dir, "repo"));
    expect((JSON.parse(r.out) as { file: string }[]).map((x) => x.file)).toEqual([join(dir, "repo", "api.yaml"), join(dir, "repo", "web.yaml")]);
    expect(r.err.split("\n")).toHaveLength(2);
  });

  it("a directory with no formation at all is a usage error (a wrong path, most likely)", async () => {
    const r = await cli("validate", join(dir, "only-compose"));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`formations: no formation in ${join(dir, "only-compose")}: its 1 YAML file is not formations`);
  });
});

describe("each file read once: open, fstat, read (the sniff and the validation share the bytes)", () => {
  const big = (head: string) => head + "# " + "x".repeat(2 * 1024 * 1024) + "\n";

  it("a YAML file too large to validate is still sniffed: skipped when it is no formation, refused for its size when it is one", async () => {
    const d = join(dir, "large");
    await mkdir(d);
    await writeFile(join(d, "data.yaml"), big("rows:\n  - 1\n"));
    await writeFile(join(d, "huge.yaml"), big(FORMATION));
    await writeFile(join(d, "web.yaml"), FORMATION);
    const r = await cli("validate", d);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${join(d, "huge.yaml")}:1:1: error: file is ${big(FORMATION).length} bytes; formations are limited to 1048576 bytes (1 MiB)`);
    expect(r.err.split("\n")).toEqual([
      `formations: skipped ${join(d, "data.yaml")}: not a formation: no 'apiVersion: formations/v1' line (--strict reports it)`,
      "1 of 2 files invalid (1 error); 1 YAML file skipped (not formations)",
    ]);
  });

  it("a FIFO named as a formation is refused at once, never waiting for a writer", async () => {
    const fifo = join(dir, "pipe.yaml");
    execFileSync("mkfifo", [fifo]);
    const r = await cli("validate", "--json", fifo);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual([{ file: fifo, valid: false, errors: [{ line: 1, col: 1, pointer: "", message: "not a regular file" }] }]);
  });

  it("a Unix socket named as a formation is refused as not a regular file", async () => {
    const sock = join(dir, "socket.yaml");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const r = await cli("validate", "--json", sock);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out)).toEqual([{ file: sock, valid: false, errors: [{ line: 1, col: 1, pointer: "", message: "not a regular file" }] }]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("an error storm (item 2)", () => {
  it("text prints the first 100 errors of a file and counts the rest; --json keeps every one", async () => {
    const file = join(dir, "storm.yaml");
    const text = await cli("validate", file);
    expect(text.code).toBe(1);
    expect(text.out.split("\n").filter((l) => l.includes(": error: "))).toHaveLength(100);
    expect(text.out.split("\n").at(-1)).toBe(
      `${file}: 50 more errors not shown (the first 100 are above; 'formations validate --json ${file}' lists every one)`,
    );
    expect(text.err).toBe("1 of 1 file invalid (150 errors)");
    const json = await cli("validate", "--json", file);
    expect((JSON.parse(json.out) as { errors: unknown[] }[])[0]!.errors).toHaveLength(150);
  });

  it("plan caps its message the same way", async () => {
    const r = await cli("plan", join(dir, "storm.yaml"));
    expect(r.code).toBe(1);
    expect(r.err.split("\n").filter((l) => l.includes(": error: "))).toHaveLength(100);
    expect(r.err).toContain("50 more errors not shown");
  });
});

describe("exit codes and --json on failure (item 10)", () => {
  it("a missing file is invalid input (1) in plan as in validate, and --json still prints one JSON document", async () => {
    expect((await cli("plan", "/no/such/formation.yaml")).code).toBe(1);
    const r = await cli("plan", "--json", "/no/such/formation.yaml");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual({
      error: {
        exitCode: 1,
        message: "/no/such/formation.yaml: 1 error",
        errors: [{ file: "/no/such/formation.yaml", line: 1, col: 1, pointer: "", message: "cannot read file: no such file" }],
      },
    });
  });

  it("a usage error with --json is a JSON document too", async () => {
    const r = await cli("validate", "--json");
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toEqual({ error: { exitCode: 2, message: "missing required argument 'paths'" } });
  });

  it.each([
    [
      "stop-all --label with --session",
      ["stop-all", "--label", "team=a", "--session", "lab", "--yes"],
      "option '--label <k=v>' cannot be used with option '--session <name>'",
    ],
    [
      "terminate-all --session with --label",
      ["terminate-all", "--session", "lab", "--label", "team=a", "--yes"],
      "option '--label <k=v>' cannot be used with option '--session <name>'",
    ],
    [
      "connect --ssh-config with --rdp-file",
      ["connect", "lab", "--ssh-config", "--rdp-file", "x.rdp"],
      "option '--ssh-config' cannot be used with option '--rdp-file <path>'",
    ],
    ["connect --ssh-config with --json", ["connect", "lab", "--json", "--ssh-config"], "option '--ssh-config' cannot be used with option '--json'"],
    ["connect --rdp-file with --json", ["connect", "lab", "--rdp-file", "x.rdp", "--json"], "option '--rdp-file <path>' cannot be used with option '--json'"],
    ["sessions --live without --states", ["sessions", "--live"], "formations: --live goes with --states (or: formations show <session> --live)"],
  ])("conflicting flags are a usage error (exit 2) with the reason: %s", async (_name, argv, reason) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(reason);
    // With --json the failure is also the one JSON document on stdout.
    if (argv.includes("--json")) expect(JSON.parse(r.out)).toEqual({ error: { exitCode: 2, message: reason } });
    else expect(r.out).toBe("");
  });

  it("a symlink loop says so (it is not 'no such file')", async () => {
    const r = await cli("validate", join(dir, "loop.yaml"));
    expect(r.code).toBe(1);
    expect(r.out).toBe(`${join(dir, "loop.yaml")}:1:1: error: cannot read file: too many levels of symbolic links (a symlink loop) (at /)`);
  });
});

describe("a reader that goes away (the real bin, after `npm run build`)", () => {
  it("`formations plan ... | head -1` ends quietly, exit 0, no EPIPE stack trace", async () => {
    const child = spawn(process.execPath, [join(root, "bin/formations.js"), "plan", join(root, "formations/aws/pool.yaml")], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    // Like head -1: read the first chunk, then close the pipe while the CLI still writes.
    const first = await new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString("utf8"))));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(first).toMatch(/^Plan of session 'linux-admin-lab'/);
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(code).toBe(0);
  }, 120_000);
});
