/**
 * Importing the session library, and constructing Sessions, loads no @pulumi package: the
 * Automation API is imported when an operation first runs. Checked in a fresh Node process (the
 * vitest worker may have loaded anything), the TypeScript sources run through a tiny loader hook;
 * every @pulumi package is CommonJS, so whatever of it loads lands in `require.cache`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(".");
const dir = mkdtempSync(join(tmpdir(), "formations-automation-isolation-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const typescript = pathToFileURL(createRequire(join(root, "package.json")).resolve("typescript")).href;

const HOOKS = `
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from ${JSON.stringify(typescript)};
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? "";
  if (specifier.startsWith(".") && specifier.endsWith(".js") && parent.startsWith("file:") && !parent.includes("/node_modules/")) {
    const url = new URL(specifier.slice(0, -3) + ".ts", parent);
    if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.endsWith(".ts")) return next(url, context);
  const source = await readFile(fileURLToPath(url), "utf8");
  const out = ts.transpileModule(source, { fileName: fileURLToPath(url), compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  return { format: "module", source: out.outputText, shortCircuit: true };
}
`;

function loaded(script: string): string[] {
  writeFileSync(join(dir, "hooks.mjs"), HOOKS);
  writeFileSync(join(dir, "register.mjs"), `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});`);
  writeFileSync(join(dir, "main.mjs"), `${script}\nconst { createRequire } = await import("node:module");\nconst req = createRequire(import.meta.url);\nconsole.log(JSON.stringify(Object.keys(req.cache).filter((k) => k.includes("/@pulumi/"))));`);
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(dir, "register.mjs")).href, join(dir, "main.mjs")], { cwd: root, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "[]") as string[];
}

describe("the session library loads Pulumi only when an operation runs", () => {
  it("importing automation/index and constructing Sessions loads no @pulumi package", () => {
    const lib = pathToFileURL(join(root, "automation", "index.ts")).href;
    expect(loaded(`const { Sessions } = await import(${JSON.stringify(lib)}); new Sessions({ onEvent() {} });`)).toEqual([]);
  });

  it("the check sees Pulumi when it is loaded (control)", () => {
    const automation = pathToFileURL(join(root, "node_modules", "@pulumi", "pulumi", "automation", "index.js")).href;
    expect(loaded(`await import(${JSON.stringify(automation)});`).length).toBeGreaterThan(0);
  });
});
