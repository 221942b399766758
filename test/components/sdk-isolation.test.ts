/**
 * Test layer: unit, in fresh Node processes (what a process loads); no engine, no cloud.
 * Planning a formation loads its own provider's Pulumi SDK, file by file, and never another
 * cloud's: checked in a fresh Node process per plan (see test/helpers/fresh-node.ts), with a
 * control run that loads other SDKs on purpose so the check is seen to work.
 */
import { describe, expect, it } from "vitest";
import { freshTestTimeout, pulumiFiles, runFresh, src, unexpectedStderr } from "../helpers/fresh-node.js";

const SDKS = ["aws", "azure-native", "gcp", "openstack", "docker"] as const;

/** Per provider: its SDK package and an upper bound on the files a plan may load from it (far below its service indexes). */
const CASES = [
  { provider: "aws", sdk: "aws", maxFiles: 40 },
  { provider: "azure", sdk: "azure-native", maxFiles: 40 },
  { provider: "gcp", sdk: "gcp", maxFiles: 20 },
  { provider: "openstack", sdk: "openstack", maxFiles: 40 },
  { provider: "docker", sdk: "docker", maxFiles: 30 },
] as const;

function plan(formation: string, control = false) {
  // As `formations plan` does: the SDK without its closure serialiser, which no plan calls.
  const run = runFresh(`
const { deferClosureSerializer } = await import(${src("components/sdk-load.ts")});
deferClosureSerializer();
const { loadFormation } = await import(${src("format/load.ts")});
const { planSession } = await import(${src("plan/index.ts")});
const { emitPlan } = await import(${src("components/index.ts")});
const { recordProgram } = await import(${src("components/offline.ts")});
const plan = planSession(await loadFormation(ROOT + "/" + ${JSON.stringify(formation)}));
const rec = await recordProgram(() => emitPlan(plan), { stack: plan.session });
${control ? `for (const m of ["@pulumi/aws/ec2/securityGroup.js", "@pulumi/gcp/compute/firewall.js"]) projectRequire(m);` : ""}
console.log(JSON.stringify({ resources: rec.resources.length, errors: rec.errors }));
`);
  expect(unexpectedStderr(run)).toBe("");
  expect(run.status).toBe(0);
  const report = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as { resources: number; errors: string[] };
  return {
    ...report,
    files: Object.fromEntries(SDKS.map((s) => [s, pulumiFiles(run, s)])) as Record<(typeof SDKS)[number], string[]>,
    pulumi: pulumiFiles(run, "pulumi").length,
  };
}

// One fresh process per test: the test's limit is above the child's (a loaded machine is slow, not broken).
describe("each plan loads only its provider's SDK", { timeout: freshTestTimeout(1) }, () => {
  it.each(CASES)("$provider: hpc.yaml loads @pulumi/$sdk (at most $maxFiles files) and no other cloud's SDK", ({ provider, sdk, maxFiles }) => {
    const report = plan(`formations/${provider}/hpc.yaml`);
    expect(report.errors).toEqual([]);
    expect(report.resources).toBeGreaterThan(3);
    expect(report.pulumi).toBeGreaterThan(0);
    expect(report.files[sdk].length).toBeGreaterThan(0);
    expect(report.files[sdk].length).toBeLessThanOrEqual(maxFiles);
    for (const other of SDKS.filter((s) => s !== sdk)) expect(report.files[other], `@pulumi/${other} loaded`).toEqual([]);
  });

  it("gcp loads resource modules one by one, never a service index", () => {
    const report = plan("formations/gcp/emr.yaml");
    expect(report.files.gcp).toContain("compute/instance.js");
    expect(report.files.gcp.filter((f) => /(^|\/)index\.js$/.test(f))).toEqual([]);
  });

  it("the check sees other SDKs when something does load them (control)", () => {
    const report = plan("formations/docker/machine.yaml", true);
    expect(report.files.aws.length).toBeGreaterThan(0);
    expect(report.files.gcp.length).toBeGreaterThan(0);
  });
});
