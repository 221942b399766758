/**
 * Planning a docker formation never loads @pulumi/aws. Checked in a fresh Node process (vitest's
 * own worker may have loaded anything): the TypeScript sources run through a tiny loader hook
 * (typescript.transpileModule, `.js` specifiers mapped to the `.ts` beside them), the formation is
 * compiled with recordProgram, and the child reports which @pulumi packages ended up in Node's
 * module cache. Every @pulumi package is CommonJS, so even when imported from ESM each of its
 * files lands in `require.cache`; @pulumi/docker being there proves the check sees what loads.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(".");
const dir = mkdtempSync(join(tmpdir(), "formations-isolation-"));
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
// The control run loads one AWS module on purpose: the check must see it.
// Resolved from the project: this script lives in a temp dir, outside any node_modules.
if (process.argv[3] === "control") createRequire(root + "/package.json")("@pulumi/aws/ec2/securityGroup.js");
const loaded = Object.keys(createRequire(import.meta.url).cache);
const pkg = (name) => loaded.filter((f) => f.includes("/node_modules/@pulumi/" + name + "/"));
console.log(JSON.stringify({ resources: rec.resources.length, errors: rec.errors, aws: pkg("aws"), docker: pkg("docker").length, pulumi: pkg("pulumi").length }));
`;

writeFileSync(join(dir, "hooks.mjs"), HOOKS);
writeFileSync(join(dir, "child.mjs"), CHILD);

interface Report {
  resources: number;
  errors: string[];
  aws: string[];
  docker: number;
  pulumi: number;
}

function plan(formation: string, ...args: string[]): Report {
  const run = spawnSync(process.execPath, [join(dir, "child.mjs"), formation, ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
  expect(run.stderr.replace(/^.*ExperimentalWarning.*$|^.*--trace-warnings.*$/gm, "").trim()).toBe("");
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as Report;
}

describe("SDK isolation", () => {
  it.each(["formations/docker/hpc.yaml", "formations/docker/virtual-lab.yaml"])("planning %s loads @pulumi/docker and never @pulumi/aws", (formation) => {
    const report = plan(formation);
    expect(report.errors).toEqual([]);
    expect(report.resources).toBeGreaterThan(3);
    // The check sees what loads: the docker SDK and the Pulumi SDK are in the cache...
    expect(report.docker).toBeGreaterThan(0);
    expect(report.pulumi).toBeGreaterThan(0);
    // ...and not one file of the AWS SDK.
    expect(report.aws).toEqual([]);
  });

  it("the check catches @pulumi/aws when something does load it", () => {
    expect(plan("formations/docker/machine.yaml", "control").aws.length).toBeGreaterThan(0);
  });
});
