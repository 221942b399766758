/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * Formations' own files when the disk fails (issue 12, items 3 and 10): a full disk while
 * creating the passphrase, a read-only home while creating the state folder. Unit tests, no
 * engine: node:fs/promises is wrapped so that, under one folder, writes fail as a full or a
 * read-only file system makes them fail (a full disk after the file was created, as a real write
 * does; a read-only one with Node's ENOENT from a recursive mkdir). The CLI runs in process.
 */
import type * as FsPromises from "node:fs/promises";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createHomePassphrase } from "../../../automation/session/backend.js";
import { exitCodeOf, LocalFileError } from "../../../automation/session/errors.js";
import { run } from "../../../cli/main.js";
import type { Output } from "../../../cli/output.js";

const fault = vi.hoisted(() => ({ under: "", code: "" as "" | "ENOSPC" | "EROFS" }));

vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const hit = (p: unknown) => fault.code !== "" && typeof p === "string" && p.startsWith(fault.under);
  const errno = (code: string, syscall: string, path?: string) =>
    Object.assign(
      new Error(
        `${code}: ${code === "ENOSPC" ? "no space left on device" : code === "EROFS" ? "read-only file system" : "no such file or directory"}, ${syscall}${path ? ` '${path}'` : ""}`,
      ),
      { code, syscall, ...(path ? { path } : {}) },
    );
  const full = () => Promise.reject(errno("ENOSPC", "write"));
  const wrapped = {
    ...real,
    // The path the old code took: the file is created, then the write fails.
    writeFile: (async (p, data, opts) => {
      if (!hit(p)) return real.writeFile(p, data, opts);
      if (fault.code === "EROFS") throw errno("EROFS", "open", p as string);
      await real.writeFile(p, "", opts);
      return full();
    }) as typeof real.writeFile,
    open: (async (p, flags, mode) => {
      if (hit(p) && fault.code === "EROFS" && flags !== "r") throw errno("EROFS", "open", p as string);
      const handle = await real.open(p, flags, mode);
      if (!hit(p) || fault.code !== "ENOSPC") return handle;
      return new Proxy(handle, {
        get: (t, k) =>
          k === "writeFile" || k === "write"
            ? full
            : typeof Reflect.get(t, k) === "function"
              ? (Reflect.get(t, k) as (...a: unknown[]) => unknown).bind(t)
              : Reflect.get(t, k),
      });
    }) as typeof real.open,
    mkdir: (async (p, opts) => {
      if (hit(p) && fault.code === "EROFS") {
        const recursive = typeof opts === "object" && opts?.recursive;
        throw recursive ? errno("ENOENT", "mkdir", p as string) : errno("EROFS", "mkdir", p as string);
      }
      return real.mkdir(p, opts);
    }) as typeof real.mkdir,
  };
  return { ...wrapped, default: wrapped };
});

let dir = "";
const out: string[] = [];
const err: string[] = [];
const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), color: false };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "formations-local-files-"));
  out.length = 0;
  err.length = 0;
  for (const k of ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_BACKEND_URL"]) vi.stubEnv(k, undefined);
  vi.stubEnv("FORMATIONS_HOME", join(dir, "home"));
});
afterEach(async () => {
  fault.code = "";
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

describe("a full disk while creating the passphrase", () => {
  it("fails naming the path and the cause, and leaves no file behind (an empty one would be read as the passphrase)", async () => {
    const home = join(dir, "home");
    Object.assign(fault, { under: home, code: "ENOSPC" });
    const e = await createHomePassphrase(home).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LocalFileError);
    expect(exitCodeOf(e)).toBe(3);
    expect((e as Error).message).toBe(`cannot create the passphrase file ${home}/passphrase: no space left on the device (ENOSPC)`);
    expect(await readdir(home)).toEqual([]);
  });

  it("the CLI: exit 3 with one clear line, no stack trace; the next run asks for a passphrase again", async () => {
    Object.assign(fault, { under: join(dir, "home"), code: "ENOSPC" });
    expect(await run(["sessions", "--create-passphrase"], io)).toBe(3);
    expect(err).toEqual([`formations: cannot create the passphrase file ${dir}/home/passphrase: no space left on the device (ENOSPC)`]);
    fault.code = "";
    err.length = 0;
    expect(await run(["sessions"], io)).toBe(2);
    expect(err[0]).toMatch(/^formations: no secrets passphrase: PULUMI_CONFIG_PASSPHRASE is not set/);
  });
});

describe("a read-only home", () => {
  it("says read-only file system, not ENOENT 'from the engine' (exit 3), and --json prints the failure as JSON", async () => {
    vi.stubEnv("PULUMI_CONFIG_PASSPHRASE", "pw");
    Object.assign(fault, { under: dir, code: "EROFS" });
    expect(await run(["sessions"], io)).toBe(3);
    expect(err).toEqual([`formations: cannot create the folder ${dir}/home/state: read-only file system (EROFS)`]);
    err.length = 0;
    expect(await run(["sessions", "--json"], io)).toBe(3);
    expect(out.map((l) => JSON.parse(l) as unknown)).toEqual([
      { error: { exitCode: 3, message: `cannot create the folder ${dir}/home/state: read-only file system (EROFS)` } },
    ]);
  });
});
