/**
 * Layer 2 (Pulumi mocks, fresh Node processes): a plan loads @pulumi/pulumi without its closure
 * serialiser (TypeScript) and code-path finder (arborist), which still work when called; and a
 * mock run turns the SDK's promise debugging and source positions off only while it runs, with
 * the same recorded resources as with them on (FORMATIONS_DEBUG).
 */
import { describe, expect, it } from "vitest";
import { freshTestTimeout, runFresh, src, unexpectedStderr } from "../helpers/fresh-node.js";

const heavy = (cached: string[]) => cached.filter((f) => /\/node_modules\/(typescript|@npmcli\/arborist)\//.test(f));

function run(script: string, env: NodeJS.ProcessEnv = {}) {
  const r = runFresh(script, { env });
  expect(
    unexpectedStderr(r)
      .replace(/^.*DeprecationWarning.*$|^.*WASI.*$/gm, "")
      .trim(),
  ).toBe("");
  expect(r.status).toBe(0);
  return r;
}

const PLAN = `
const { deferClosureSerializer } = await import(${src("components/sdk-load.ts")});
deferClosureSerializer();
const { loadFormation } = await import(${src("format/load.ts")});
const { planSession } = await import(${src("plan/index.ts")});
const { emitPlan } = await import(${src("components/index.ts")});
const { recordProgram } = await import(${src("components/offline.ts")});
const plan = planSession(await loadFormation(ROOT + "/formations/aws/hpc.yaml"));
const rec = await recordProgram(() => emitPlan(plan), { stack: plan.session });
`;

describe("the SDK as a plan loads and runs it", () => {
  it(
    "a plan loads neither TypeScript nor arborist; the deferred functions load them when called",
    () => {
      const r = run(`${PLAN}
const heavy = () => Object.keys(projectRequire.cache).filter((f) => /\\/node_modules\\/(typescript|@npmcli\\/arborist)\\//.test(f)).length;
console.log(JSON.stringify({ resources: rec.resources.length, errors: rec.errors, heavy: heavy() }));
const pulumi = projectRequire("@pulumi/pulumi");
const answer = 41;
const fn = await pulumi.runtime.serializeFunction(() => answer + 1);
const paths = await pulumi.runtime.computeCodePaths();
console.log(JSON.stringify({ text: fn.text.includes("41"), paths: paths.size > 0, heavy: heavy() > 0 }));
`);
      const [planned, called] = r.stdout
        .trim()
        .split("\n")
        .slice(-2)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(planned).toEqual({ resources: expect.any(Number), errors: [], heavy: 0 });
      expect(called).toEqual({ text: true, paths: true, heavy: true });
    },
    freshTestTimeout(2),
  );

  it(
    "the check sees TypeScript and arborist when the SDK is imported before the deferral (control)",
    () => {
      expect(
        heavy(
          run(`projectRequire("@pulumi/pulumi"); const { deferClosureSerializer } = await import(${src("components/sdk-load.ts")}); deferClosureSerializer();`)
            .cached,
        ).length,
      ).toBeGreaterThan(0);
    },
    freshTestTimeout(2),
  );

  it(
    "a mock run records the same resources with the SDK's debugging on (FORMATIONS_DEBUG) and off, and puts it back after",
    () => {
      const script = `${PLAN}
const debuggable = projectRequire("@pulumi/pulumi/runtime/debuggable.js");
const pulumi = projectRequire("@pulumi/pulumi");
console.log(JSON.stringify({
  resources: rec.resources.map((r) => [r.type, r.name, r.parent, r.inputs]),
  restored: debuggable.debuggablePromise.name === "debuggablePromise" && pulumi.Resource.callsites().length > 0,
}));
`;
      const last = (out: string) => JSON.parse(out.trim().split("\n").pop() ?? "{}") as { resources: unknown[]; restored: boolean };
      const light = last(run(script).stdout);
      const debug = last(run(script, { FORMATIONS_DEBUG: "1" }).stdout);
      expect(light.resources.length).toBeGreaterThan(10);
      expect(light.resources).toEqual(debug.resources);
      expect(light.restored).toBe(true);
      expect(debug.restored).toBe(true);
    },
    freshTestTimeout(2),
  );
});
