/**
 * Shared helpers of the OpenStack component tests: compile a formation under Pulumi's mock
 * runtime and look at what the OpenStack adapter registered.
 */
import { join } from "node:path";
import { expect } from "vitest";
import { loadFormation, loadFormationText } from "../../format/load.js";
import type { Formation } from "../../format/types.js";
import { planSession, type PlanOptions } from "../../plan/index.js";
import type { SessionPlan } from "../../plan/types.js";
import { emitPlan } from "../../components/index.js";
import { isSecretValue, recordProgram, redact, unwrapSecrets, type RecordedResource } from "../../components/offline.js";
import type { MachineOutput } from "../../components/base.js";

export const T = {
  provider: "pulumi:providers:openstack",
  network: "openstack:networking/network:Network",
  subnet: "openstack:networking/subnet:Subnet",
  router: "openstack:networking/router:Router",
  routerInterface: "openstack:networking/routerInterface:RouterInterface",
  sg: "openstack:networking/secGroup:SecGroup",
  rule: "openstack:networking/secGroupRule:SecGroupRule",
  port: "openstack:networking/port:Port",
  fip: "openstack:networking/floatingIp:FloatingIp",
  key: "openstack:compute/keypair:Keypair",
  instance: "openstack:compute/instance:Instance",
  share: "openstack:sharedfilesystem/share:Share",
  shareAccess: "openstack:sharedfilesystem/shareAccess:ShareAccess",
} as const;

export type Inputs = Record<string, unknown>;

export interface Rule {
  direction: string;
  ethertype: string;
  protocol?: string;
  portRangeMin?: number;
  portRangeMax?: number;
  remoteIpPrefix?: string;
  remoteGroupId?: string;
  securityGroupId: string;
}

/**
 * Compiles a formation (or a plan, to test what a plan alone can ask for) and returns lookups.
 * `tweak` changes the plan before emitting (e.g. a catalog that has Manila).
 */
export async function compile(f: Formation, opts: PlanOptions = {}, tweak?: (plan: SessionPlan) => void) {
  const plan = planSession(f, opts);
  tweak?.(plan);
  const rec = await recordProgram(() => emitPlan(plan), { stack: plan.session });
  expect(rec.errors).toEqual([]);
  const of = (type: string) => rec.resources.filter((r) => r.type === type);
  const named = (type: string, suffix: string): Inputs => {
    const r = rec.resources.find((x) => x.type === type && x.name === `${plan.session}-${suffix}`);
    if (!r) throw new Error(`no ${type} ${suffix}`);
    return r.inputs;
  };
  const id = (suffix: string) => `${plan.session}-${suffix}-id`;
  /** Rules of a security group (by its suffix: sg-proxy, sg-session...). */
  const rules = (group: string) => of(T.rule).map((r) => r.inputs as unknown as Rule).filter((r) => r.securityGroupId === id(group));
  const outputs = rec.outputs.get(plan.session) ?? {};
  const machines = (outputs.machines ?? []) as MachineOutput[];
  /** The user data a machine boots with, unwrapped (it is a secret input). */
  const userData = (machine: string) => {
    const raw = named(T.instance, machine).userData;
    expect(isSecretValue(raw), `${machine} user data is a secret`).toBe(true);
    return String(unwrapSecrets(raw));
  };
  /** A machine's private address as the mocks gave it to its port. */
  const portIp = (machine: string) => {
    const out = machines.find((m) => m.name === machine);
    if (!out) throw new Error(`no output for ${machine}`);
    return out.privateIp;
  };
  return { plan, rec, of, named, id, rules, outputs, machines, userData, portIp };
}

export const example = (name: string) => loadFormation(join("formations", "openstack", name));

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

export const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7yK5YQQX7+PX1LdZ/1IhisRnKb6bgc7s1lYmM0jQyj alice@example.org";
export const ACCESS = `access: { sshPublicKeys: ["${KEY}"], allowFrom: [203.0.113.0/24] }\n`;
export const inline = (kind: string, spec: string, extra = "", cloud = "") =>
  loadFormationText(`apiVersion: formations/v1\nkind: ${kind}\nmetadata: { name: t-${kind.toLowerCase()}, labels: { team: qa } }\ncloud: { provider: openstack, region: RegionOne${cloud} }\n${extra}spec:\n${spec}`);
export const visible = (r: RecordedResource) => JSON.stringify(redact(r.inputs));
/** `key=value` tags of a resource. */
export const tagsOf = (inputs: Inputs) => (inputs.tags ?? []) as string[];
