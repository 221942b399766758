/**
 * Planning an Azure formation loads @pulumi/azure-native (only the files it uses) and no other
 * cloud's SDK; planning an AWS formation never loads @pulumi/azure-native. Checked in a fresh
 * Node process (vitest's own worker may have loaded anything): the TypeScript sources run
 * through a tiny loader hook (typescript.transpileModule, `.js` specifiers mapped to the `.ts`
 * beside them), the formation is compiled with recordProgram, and the child reports which files
 * of which @pulumi packages ended up in Node's module cache (every @pulumi package is CommonJS,
 * so each file lands in `require.cache` even when imported from ESM).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(".");
const dir = mkdtempSync(join(tmpdir(), "formations-azure-isolation-"));
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

const CHILD = `
import { register, createRequire } from "node:module";
import { pathToFileURL } from "node:url";
register(pathToFileURL(${JSON.stringify(join(dir, "hooks.mjs"))}));
const root = ${JSON.stringify(root)};
const at = (p) => import(pathToFileURL(root + "/" + p).href);
const { loadFormation } = await at("format/load.ts");
const { planSession } = await at("plan/index.ts");
const { emitPlan } = await at("components/index.ts");
const { recordProgram } = await at("components/offline.ts");
const plan = planSession(await loadFormation(root + "/" + process.argv[2]));
const rec = await recordProgram(() => emitPlan(plan), { stack: plan.session });
// The control run imports a whole service index on purpose: the check must see what that costs.
if (process.argv[3] === "control") await import(pathToFileURL(createRequire(root + "/package.json").resolve("@pulumi/azure-native/network/index.js")).href);
const loaded = Object.keys(createRequire(import.meta.url).cache);
const count = (name) => loaded.filter((f) => f.includes("/node_modules/@pulumi/" + name + "/")).length;
const packages = ["aws", "azure-native", "gcp", "openstack", "docker", "pulumi"];
console.log(JSON.stringify({ resources: rec.resources.length, errors: rec.errors, files: Object.fromEntries(packages.map((p) => [p, count(p)])) }));
`;

writeFileSync(join(dir, "hooks.mjs"), HOOKS);
writeFileSync(join(dir, "child.mjs"), CHILD);

interface Report {
  resources: number;
  errors: string[];
  files: Record<"aws" | "azure-native" | "gcp" | "openstack" | "docker" | "pulumi", number>;
}

function plan(formation: string, ...args: string[]): Report {
  const run = spawnSync(process.execPath, [join(dir, "child.mjs"), formation, ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
  expect(run.stderr.replace(/^.*ExperimentalWarning.*$|^.*--trace-warnings.*$/gm, "").trim()).toBe("");
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as Report;
}

/** Far below a service index (network/index.js alone loads ~290 files) and above what the adapter uses. */
const FILE_BUDGET = 40;

describe("Azure SDK isolation", () => {
  it.each(["formations/azure/hpc.yaml", "formations/azure/emr.yaml"])("planning %s loads a few azure-native files and no other cloud's SDK", (formation) => {
    const report = plan(formation);
    expect(report.errors).toEqual([]);
    expect(report.resources).toBeGreaterThan(10);
    expect(report.files.pulumi).toBeGreaterThan(0);
    expect(report.files["azure-native"]).toBeGreaterThan(0);
    expect(report.files["azure-native"]).toBeLessThanOrEqual(FILE_BUDGET);
    expect([report.files.aws, report.files.gcp, report.files.openstack, report.files.docker]).toEqual([0, 0, 0, 0]);
  });

  it("the check sees a whole service index when something imports one", () => {
    expect(plan("formations/azure/machine.yaml", "control").files["azure-native"]).toBeGreaterThan(200);
  });

  it("planning an aws formation never loads @pulumi/azure-native", () => {
    const report = plan("formations/aws/machine.yaml");
    expect(report.errors).toEqual([]);
    expect(report.files.aws).toBeGreaterThan(0);
    expect(report.files["azure-native"]).toBe(0);
  });
});
