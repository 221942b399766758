/**
 * The provider-neutral harness of the component tests: compile a formation under Pulumi's mock
 * runtime (planSession, then recordProgram over emitPlan) and look at what the adapter registered.
 * Each provider's `test/components/<provider>-helpers.ts` adds only what is its own (type table,
 * rules, user data...) on top of this.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { loadFormation, loadFormationText } from "../../format/load.js";
import type { Formation, Provider } from "../../format/types.js";
import { planSession, type PlanOptions } from "../../plan/index.js";
import type { SessionPlan } from "../../plan/types.js";
import { emitPlan } from "../../components/index.js";
import { isSecretValue, recordProgram, redact, unwrapSecrets, type RecordedResource, type Recording } from "../../components/offline.js";
import type { MachineOutput } from "../../components/base.js";

/** A resource's inputs as recorded. */
export type Inputs = Record<string, unknown>;

/** An SSH key every inline formation may grant. */
export const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7yK5YQQX7+PX1LdZ/1IhisRnKb6bgc7s1lYmM0jQyj alice@example.org";
/** An `access` block: that key, and one documentation CIDR allowed in. */
export const ACCESS = `access: { sshPublicKeys: ["${KEY}"], allowFrom: [203.0.113.0/24] }\n`;
/** What the mock runtime's generated secrets look like, in the clear or base64: never in a visible input. */
export const MOCK_SECRET = /mock-secret-|bW9jay1zZWNyZXQt/;

/** Inputs with every secret replaced: what a plan shows and a log could print. */
export const visible = (r: RecordedResource) => JSON.stringify(redact(r.inputs));

/**
 * Compiles a formation and returns lookups over the recording. Fails the test on any error the
 * program reported. `tweak` changes the plan before emitting (to test what a plan alone can ask for).
 */
export async function compile(f: Formation, opts: PlanOptions = {}, tweak?: (plan: SessionPlan) => void) {
  const plan = planSession(f, opts);
  tweak?.(plan);
  const rec = await recordProgram(() => emitPlan(plan), { stack: plan.session });
  expect(rec.errors).toEqual([]);
  /** Every resource of one type, in registration order. */
  const of = (type: string) => rec.resources.filter((r) => r.type === type);
  /** The inputs of the one resource of `type` named `<session>-<suffix>`; throws when there is none. */
  const named = (type: string, suffix: string): Inputs => {
    const r = rec.resources.find((x) => x.type === type && x.name === `${plan.session}-${suffix}`);
    if (!r) throw new Error(`no ${type} ${suffix}`);
    return r.inputs;
  };
  const outputs = rec.outputs.get(plan.session) ?? {};
  const machines = (outputs.machines ?? []) as MachineOutput[];
  return { plan, rec, of, named, outputs, machines };
}

/** What `compile` returns. */
export type Compiled = Awaited<ReturnType<typeof compile>>;

/** How many resources of each type of `table` were registered, by the table's key; types with none left out. */
export function countsOf(of: Compiled["of"], table: Readonly<Record<string, string>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(table)
      .map(([k, t]) => [k, of(t).length])
      .filter(([, n]) => n !== 0),
  );
}

/** One input that must be a Pulumi secret (user data, an OS profile...), unwrapped; `what` names it in the failure. */
export function secretInput(inputs: Inputs, field: string, what: string): unknown {
  const raw = inputs[field];
  expect(isSecretValue(raw), `${what} is a secret`).toBe(true);
  return unwrapSecrets(raw);
}

/** A provider's example formations and a compile of each, memoised for the test file that asks. */
export interface ExampleSet<C> {
  /** The file names of formations/<provider>/*.yaml. */
  names: string[];
  /** Loads one example by file name. */
  example: (name: string) => Promise<Formation>;
  /** One example compiled once per test file (the recording is plain data; tests only read it). */
  compileExample: (name: string) => Promise<C>;
}

/**
 * The examples of `provider`, compiled by `compileWith` (a provider's own compile, with its
 * lookups) or by `compile`. The memo lives in the returned set: a helpers module calls this once,
 * and every test file gets its own module instance, so its own memo.
 */
export function examples(provider: Provider): ExampleSet<Compiled>;
export function examples<C>(provider: Provider, compileWith: (f: Formation) => Promise<C>): ExampleSet<C>;
export function examples<C>(provider: Provider, compileWith?: (f: Formation) => Promise<C>): ExampleSet<C> {
  const run = compileWith ?? (compile as unknown as (f: Formation) => Promise<C>);
  const dir = join("formations", provider);
  const example = (name: string) => loadFormation(join(dir, name));
  const compiled = new Map<string, Promise<C>>();
  const compileExample = (name: string): Promise<C> => {
    let c = compiled.get(name);
    if (!c) {
      c = example(name).then((f) => run(f));
      compiled.set(name, c);
    }
    return c;
  };
  return { names: readdirSync(dir).filter((f) => f.endsWith(".yaml")), example, compileExample };
}

/** The `cloud` block of each provider's inline formations: its test region (and GCP's project). */
const CLOUD: Record<Provider, string> = {
  aws: "provider: aws, region: eu-west-1",
  azure: "provider: azure, region: westeurope",
  gcp: "provider: gcp, region: us-central1, project: p-test",
  openstack: "provider: openstack, region: RegionOne",
  ovh: "provider: ovh, region: GRA11",
  docker: "provider: docker",
};

/**
 * A small formation of `kind` on `provider`, named `t-<kind>`: `spec` is the spec block's body
 * (indented), `extra` top-level blocks before it (access, lifecycle...), `cloud` more fields of
 * the cloud block (", zone: ...").
 */
export function inlineFormation(provider: Provider, kind: string, spec: string, extra = "", cloud = ""): Formation {
  return loadFormationText(
    `apiVersion: formations/v1\nkind: ${kind}\nmetadata: { name: t-${kind.toLowerCase()}, labels: { team: qa } }\ncloud: { ${CLOUD[provider]}${cloud} }\n${extra}spec:\n${spec}`,
  );
}

/**
 * The shape every adapter registers: first the session's one component (a root), then every
 * other resource as its child, named `<session>-...`, of the provider's own types (`typePrefix`),
 * its provider resource (`providerType`, exactly one) or the session's generated secrets.
 * Returns the children and that provider resource.
 */
export function expectOneComponent(
  c: Pick<Compiled, "plan" | "rec">,
  typePrefix: string,
  providerType: string,
): { children: RecordedResource[]; provider: RecordedResource } {
  const { plan, rec } = c;
  const [component, ...children] = rec.resources;
  expect(component).toMatchObject({ type: `formations:index:${plan.kind}`, name: plan.session, parent: null });
  for (const r of children) {
    expect(r.parent, `${r.type} ${r.name}`).toBe(plan.session);
    expect(r.name.startsWith(`${plan.session}-`), r.name).toBe(true);
    expect(r.type.startsWith(typePrefix) || r.type === providerType || r.type.startsWith("random:"), r.type).toBe(true);
  }
  const providers = children.filter((r) => r.type === providerType);
  expect(providers).toHaveLength(1);
  return { children, provider: providers[0]! };
}

/** No input of any resource shows a generated secret once secrets are redacted. */
export function expectNoPlainSecret(rec: Recording): void {
  for (const r of rec.resources) expect(visible(r), r.name).not.toMatch(MOCK_SECRET);
}
