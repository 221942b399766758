/**
 * Shared helpers of the GCP component tests: compile a formation under Pulumi's mock runtime and
 * look at what the GCP adapter registered.
 */
import { join } from "node:path";
import { expect } from "vitest";
import { loadFormation, loadFormationText } from "../../format/load.js";
import type { Formation } from "../../format/types.js";
import { planSession, type PlanOptions } from "../../plan/index.js";
import { emitPlan } from "../../components/index.js";
import { isSecretValue, recordProgram, redact, unwrapSecrets, type RecordedResource } from "../../components/offline.js";
import type { MachineOutput } from "../../components/base.js";

export const T = {
  provider: "pulumi:providers:gcp",
  network: "gcp:compute/network:Network",
  subnet: "gcp:compute/subnetwork:Subnetwork",
  router: "gcp:compute/router:Router",
  nat: "gcp:compute/routerNat:RouterNat",
  firewall: "gcp:compute/firewall:Firewall",
  instance: "gcp:compute/instance:Instance",
  filestore: "gcp:filestore/instance:Instance",
  dataproc: "gcp:dataproc/cluster:Cluster",
  password: "random:index/randomPassword:RandomPassword",
  bytes: "random:index/randomBytes:RandomBytes",
} as const;

export type Inputs = Record<string, unknown>;

export interface Firewall {
  direction: string;
  priority: number;
  targetTags: string[];
  sourceRanges?: string[];
  sourceTags?: string[];
  allows?: { protocol: string; ports?: string[] }[];
  denies?: { protocol: string; ports?: string[] }[];
}

export async function compile(f: Formation, opts: PlanOptions = {}) {
  const plan = planSession(f, opts);
  const rec = await recordProgram(() => emitPlan(plan), { stack: plan.session });
  expect(rec.errors).toEqual([]);
  const of = (type: string) => rec.resources.filter((r) => r.type === type);
  const named = (type: string, suffix: string): Inputs => {
    const r = rec.resources.find((x) => x.type === type && x.name === `${plan.session}-${suffix}`);
    if (!r) throw new Error(`no ${type} ${suffix}`);
    return r.inputs;
  };
  const counts = () => Object.fromEntries(Object.entries(T).map(([k, t]) => [k, of(t).length]).filter(([, n]) => n !== 0));
  const outputs = rec.outputs.get(plan.session) ?? {};
  const machines = (outputs.machines ?? []) as MachineOutput[];
  /** An instance's metadata, unwrapped: Pulumi marks the whole map secret (the user data in it is). */
  const metadata = (machine: string): Record<string, string> => {
    const raw = named(T.instance, machine).metadata;
    expect(isSecretValue(raw), `${machine} metadata is a secret`).toBe(true);
    return unwrapSecrets(raw) as Record<string, string>;
  };
  const firewalls = () => of(T.firewall).map((r) => ({ name: r.name, ...(r.inputs as unknown as Firewall) }));
  return { plan, rec, of, named, counts, outputs, machines, metadata, firewalls };
}

export const example = (name: string) => loadFormation(join("formations", "gcp", name));

const compiled = new Map<string, ReturnType<typeof compile>>();
/** An example compiled once per test file (the recording is plain data; tests only read it). */
export function compileExample(name: string): ReturnType<typeof compile> {
  let c = compiled.get(name);
  if (!c) {
    c = example(name).then((f) => compile(f));
    compiled.set(name, c);
  }
  return c;
}

export const inline = (kind: string, spec: string, extra = "", cloud = "") =>
  loadFormationText(
    `apiVersion: formations/v1\nkind: ${kind}\nmetadata: { name: t-${kind.toLowerCase()}, labels: { team: qa } }\ncloud: { provider: gcp, region: us-central1, project: p-test${cloud} }\n${extra}spec:\n${spec}`,
  );
export const visible = (r: RecordedResource) => JSON.stringify(redact(r.inputs));
export const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7yK5YQQX7+PX1LdZ/1IhisRnKb6bgc7s1lYmM0jQyj alice@example.org";
export const ACCESS = `access: { sshPublicKeys: ["${KEY}"], allowFrom: [203.0.113.0/24] }\n`;
