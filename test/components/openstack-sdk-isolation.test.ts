/**
 * Planning an openstack formation loads @pulumi/openstack and no other cloud's SDK (@pulumi/aws,
 * @pulumi/gcp, @pulumi/azure-native, @pulumi/docker). Checked in a fresh Node process (vitest's
 * own worker may have loaded anything): the TypeScript sources run through a tiny loader hook
 * (typescript.transpileModule, `.js` specifiers mapped to the `.ts` beside them), the formation is
 * compiled with recordProgram, and the child reports which @pulumi packages ended up in Node's
 * module cache. Every @pulumi package is CommonJS, so each file it loads lands in `require.cache`;
 * a control run that loads AWS and GCP modules on purpose proves the check sees them.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(".");
const dir = mkdtempSync(join(tmpdir(), "formations-openstack-isolation-"));
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
// The control run loads other clouds' modules on purpose: the check must see them.
// They resolve from the project (this script lives in a temporary directory).
if (process.argv[3] === "control") {
  const project = createRequire(root + "/package.json");
  for (const m of ["@pulumi/aws/ec2/securityGroup.js", "@pulumi/gcp/compute/firewall.js"]) await import(pathToFileURL(project.resolve(m)).href);
}
const loaded = Object.keys(createRequire(import.meta.url).cache);
const pkg = (name) => loaded.filter((f) => f.includes("/node_modules/@pulumi/" + name + "/")).length;
const others = Object.fromEntries(["aws", "gcp", "azure-native", "docker"].map((p) => [p, pkg(p)]));
console.log(JSON.stringify({ resources: rec.resources.length, errors: rec.errors, others, openstack: pkg("openstack"), pulumi: pkg("pulumi") }));
`;

writeFileSync(join(dir, "hooks.mjs"), HOOKS);
writeFileSync(join(dir, "child.mjs"), CHILD);

interface Report {
  resources: number;
  errors: string[];
  others: Record<string, number>;
  openstack: number;
  pulumi: number;
}

function plan(formation: string, ...args: string[]): Report {
  const run = spawnSync(process.execPath, [join(dir, "child.mjs"), formation, ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
  expect(run.stderr.replace(/^.*ExperimentalWarning.*$|^.*--trace-warnings.*$/gm, "").trim()).toBe("");
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as Report;
}

describe("OpenStack SDK isolation", () => {
  it.each(["formations/openstack/hpc.yaml", "formations/openstack/virtual-lab.yaml"])("planning %s loads @pulumi/openstack and no other cloud's SDK", (formation) => {
    const report = plan(formation);
    expect(report.errors).toEqual([]);
    expect(report.resources).toBeGreaterThan(10);
    // The check sees what loads: the OpenStack and Pulumi SDKs are in the cache...
    expect(report.openstack).toBeGreaterThan(0);
    expect(report.pulumi).toBeGreaterThan(0);
    // ...and not one file of AWS, GCP, Azure or Docker.
    expect(report.others).toEqual({ aws: 0, gcp: 0, "azure-native": 0, docker: 0 });
  });

  it("the check catches other SDKs when something does load them", () => {
    const { others } = plan("formations/openstack/machine.yaml", "control");
    expect(others.aws).toBeGreaterThan(0);
    expect(others.gcp).toBeGreaterThan(0);
  });
});
