/**
 * Test layer: unit, in fresh Node processes (what a process loads); no engine, no cloud.
 * The AWS and Azure drivers load their SDKs only when first used: importing the driver modules
 * and constructing drivers loads no @aws-sdk or @azure package; the first AWS call loads the EC2
 * client and nothing of Azure (nor the ECS client, which only an ECS service's first call loads); the first Azure call with a given credential loads the compute SDK
 * but not @azure/identity, which only a driver without a credential loads. Checked in a fresh
 * Node process (the vitest worker has loaded everything already): a loader hook records every
 * module Node resolves, the TypeScript sources running through the same hook.
 */
import { describe, expect, it } from "vitest";
import { freshTestTimeout, runFresh, src as source } from "../helpers/fresh-node.js";

/** Runs `script` in a fresh process; returns the cloud SDK packages resolved before and after `await MARK()`. */
function loaded(script: string): { before: string[]; after: string[] } {
  const r = runFresh(script);
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  const lines = r.resolved.filter((p) => p === "--mark--" || /^@(aws-sdk|azure)\//.test(p));
  const i = lines.indexOf("--mark--");
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return { before: uniq(i < 0 ? lines : lines.slice(0, i)), after: uniq(i < 0 ? [] : lines.slice(i + 1)) };
}

const IMPORTS = `const { AwsDriver } = await import(${source("clouds/aws/actions/driver.ts")}); const { AzureDriver } = await import(${source("clouds/azure/actions/driver.ts")});`;
const CREDENTIAL = `{ getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 3600000 }) }`;

// Up to two fresh processes per test: the test's limit is above theirs (a loaded machine is slow, not broken).
describe("cloud SDKs load on first use only", { timeout: freshTestTimeout(2) }, () => {
  it("importing both drivers and constructing them loads no SDK; the first AWS call loads only the EC2 client", () => {
    const { before, after } = loaded(`${IMPORTS}
new AwsDriver(); new AzureDriver();
await MARK();
await new AwsDriver({ region: "eu-west-1" }).api.load();`);
    expect(before).toEqual([]);
    expect(after).toContain("@aws-sdk/client-ec2");
    expect(after).not.toContain("@aws-sdk/client-ecs");
    expect(after.filter((p) => p.startsWith("@azure/"))).toEqual([]);
  });

  it("the ECS client loads only for an ECS service's first call, and not the EC2 client", () => {
    const { before, after } =
      loaded(`const { EcsDriver } = await import(${source("clouds/aws/actions/ecs.ts")}); const { AwsDriver } = await import(${source("clouds/aws/actions/driver.ts")});
new AwsDriver(); const ecs = new EcsDriver({ pollMs: 0, waitMs: 0 });
await MARK();
await ecs.load();`);
    expect(before).toEqual([]);
    expect(after).toContain("@aws-sdk/client-ecs");
    expect(after).not.toContain("@aws-sdk/client-ec2");
  });

  it("the first Azure call loads the compute SDK; @azure/identity only without a given credential", () => {
    const given = loaded(`${IMPORTS}
await MARK();
await new AzureDriver({ credential: ${CREDENTIAL} }).arm.client("sub");`);
    expect(given.before).toEqual([]);
    expect(given.after).toContain("@azure/arm-compute");
    expect(given.after).not.toContain("@azure/identity");
    expect(given.after.filter((p) => p.startsWith("@aws-sdk/"))).toEqual([]);
    const fallback = loaded(`${IMPORTS}
await MARK();
await new AzureDriver().arm.client("sub");`);
    expect(fallback.after).toContain("@azure/identity");
  });
});
