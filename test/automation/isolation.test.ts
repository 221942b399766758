/**
 * Test layer: unit, in fresh Node processes (what a process loads); no engine, no cloud.
 * Importing the session library, and constructing Sessions, loads no @pulumi package: the
 * Automation API is imported when an operation first runs. Checked in a fresh Node process.
 */
import { describe, expect, it } from "vitest";
import { freshTestTimeout, runFresh, src } from "../helpers/fresh-node.js";

function pulumiLoaded(script: string): string[] {
  const run = runFresh(script);
  if (run.status !== 0) throw new Error(`child failed (${run.status}): ${run.stderr}`);
  return run.cached.filter((k) => k.includes("/@pulumi/"));
}

// One fresh process per test: the test's limit is above the child's (a loaded machine is slow, not broken).
describe("the session library loads Pulumi only when an operation runs", { timeout: freshTestTimeout(1) }, () => {
  it("importing automation/index and constructing Sessions loads no @pulumi package", () => {
    expect(pulumiLoaded(`const { Sessions } = await import(${src("automation/index.ts")}); new Sessions({ onEvent() {} });`)).toEqual([]);
  });

  it("the check sees Pulumi when it is loaded (control)", () => {
    expect(pulumiLoaded(`projectRequire("@pulumi/pulumi/automation/index.js");`).length).toBeGreaterThan(0);
  });
});
