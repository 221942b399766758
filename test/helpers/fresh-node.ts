/**
 * Runs a script in a FRESH Node process (a vitest worker may already have loaded anything) with
 * the project's TypeScript sources importable: a loader hook maps `.js` specifiers of our sources
 * to the `.ts` beside them and transpiles them (esbuild: about a third of the CPU of loading the
 * TypeScript compiler for it, per child). Reports what got loaded, two ways:
 * - `resolved`: every package an ESM import resolved to, in order, with "--mark--" where the
 *   script called `await MARK()` (to tell start-up apart from first use);
 * - `cached`: the files in Node's CommonJS cache at exit (every @pulumi package is CommonJS, so
 *   all its files land there, even when imported from ESM).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export const ROOT = resolve(".");
const esbuild = pathToFileURL(createRequire(join(ROOT, "package.json")).resolve("esbuild")).href;

const hooks = (seen: string) => `
import { appendFileSync, existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { transformSync } from ${JSON.stringify(esbuild)};
const PKG = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//;
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? "";
  if (specifier.startsWith(".") && specifier.endsWith(".js") && parent.startsWith("file:") && !parent.includes("/node_modules/")) {
    const url = new URL(specifier.slice(0, -3) + ".ts", parent);
    if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
  }
  const r = await next(specifier, context);
  const m = PKG.exec(r.url);
  if (m) appendFileSync(${JSON.stringify(seen)}, m[1] + "\\n");
  return r;
}
export async function load(url, context, next) {
  if (!url.endsWith(".ts")) return next(url, context);
  const source = await readFile(fileURLToPath(url), "utf8");
  // esnext keeps import attributes (\`with { type: "json" }\`) as they are written.
  const out = transformSync(source, { loader: "ts", format: "esm", target: "esnext", sourcefile: fileURLToPath(url) });
  return { format: "module", source: out.code, shortCircuit: true };
}
`;

export interface FreshRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Packages resolved by ESM imports, in order, "--mark--" where the script called MARK(). */
  resolved: string[];
  /** Files in the CommonJS module cache at exit. */
  cached: string[];
}

/** A project source as an importable URL string literal, for scripts: `await import(${src("plan/index.ts")})`. */
export const src = (path: string): string => JSON.stringify(pathToFileURL(join(ROOT, path)).href);

/** How long one fresh child may take: generous, the machine may be loaded (it transpiles our sources and loads SDKs). */
export const CHILD_TIMEOUT_MS = 120_000;

/** A test's time limit when it runs `children` fresh processes one after the other: always above their own limits. */
export function freshTestTimeout(children = 1): number {
  return children * CHILD_TIMEOUT_MS + 30_000;
}

/** Writes the loader hooks and `script` (with its prelude) into `dir`: the arguments to run it with Node. */
function prepareFresh(dir: string, script: string): { args: string[]; seen: string; cache: string } {
  const seen = join(dir, "seen.txt");
  const cache = join(dir, "cache.json");
  writeFileSync(seen, "");
  writeFileSync(join(dir, "hooks.mjs"), hooks(seen));
  writeFileSync(join(dir, "register.mjs"), `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});`);
  const prelude = `
import { appendFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
const ROOT = ${JSON.stringify(ROOT)};
// Packages resolve from the project: this script lives in a temporary directory.
const projectRequire = createRequire(ROOT + "/package.json");
const MARK = async () => appendFileSync(${JSON.stringify(seen)}, "--mark--\\n");
process.on("exit", () => writeFileSync(${JSON.stringify(cache)}, JSON.stringify(Object.keys(projectRequire.cache))));
`;
  writeFileSync(join(dir, "main.mjs"), `${prelude}\n${script}`);
  return { args: ["--import", pathToFileURL(join(dir, "register.mjs")).href, join(dir, "main.mjs")], seen, cache };
}

/** Runs `script` (an ES module body; `ROOT`, `MARK()` and `projectRequire` are in scope). */
export function runFresh(script: string, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): FreshRun {
  const dir = mkdtempSync(join(tmpdir(), "formations-fresh-"));
  try {
    const { args, seen, cache } = prepareFresh(dir, script);
    const r = spawnSync(process.execPath, args, {
      cwd: ROOT,
      encoding: "utf8",
      timeout: opts.timeoutMs ?? CHILD_TIMEOUT_MS,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...opts.env },
    });
    let cached: string[] = [];
    try {
      cached = JSON.parse(readFileSync(cache, "utf8")) as string[];
    } catch {
      cached = [];
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, resolved: readFileSync(seen, "utf8").split("\n").filter(Boolean), cached };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Files of `@pulumi/<name>` in a run's module cache. */
export function pulumiFiles(run: FreshRun, name: string): string[] {
  return run.cached.filter((f) => f.includes(`/node_modules/@pulumi/${name}/`)).map((f) => f.split(`/@pulumi/${name}/`)[1] ?? f);
}

/** Node's harmless start-up warnings (the loader hook API is experimental on Node 20). */
export function unexpectedStderr(run: FreshRun): string {
  return run.stderr.replace(/^.*ExperimentalWarning.*$|^.*--trace-warnings.*$/gm, "").trim();
}

/** A fresh Node process running `script` that the test talks to (stdin, stdout) while it runs: several can race. */
export interface FreshChild {
  child: ChildProcess;
  /** Output so far. */
  out(): string;
  err(): string;
  /** Settles when it exits (its temporary folder removed). */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `script` (as runFresh runs it) without waiting for it. */
export function startFresh(script: string, opts: { env?: NodeJS.ProcessEnv } = {}): FreshChild {
  const dir = mkdtempSync(join(tmpdir(), "formations-fresh-"));
  const { args } = prepareFresh(dir, script);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...opts.env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal });
    });
  });
  return { child, out: () => stdout, err: () => stderr, done };
}
