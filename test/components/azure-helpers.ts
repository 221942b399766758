/**
 * Shared helpers of the Azure component tests: compile a formation under Pulumi's mock runtime
 * and look at what the Azure adapter registered.
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
  provider: "pulumi:providers:azure-native",
  rg: "azure-native:resources:ResourceGroup",
  vnet: "azure-native:network:VirtualNetwork",
  subnet: "azure-native:network:Subnet",
  nat: "azure-native:network:NatGateway",
  ip: "azure-native:network:PublicIPAddress",
  nsg: "azure-native:network:NetworkSecurityGroup",
  asg: "azure-native:network:ApplicationSecurityGroup",
  nic: "azure-native:network:NetworkInterface",
  vm: "azure-native:compute:VirtualMachine",
  ext: "azure-native:compute:VirtualMachineExtension",
  schedule: "azure-native:devtestlab:GlobalSchedule",
  account: "azure-native:storage:StorageAccount",
  share: "azure-native:storage:FileShare",
  container: "azure-native:storage:BlobContainer",
  hdinsight: "azure-native:hdinsight:Cluster",
  password: "random:index/randomPassword:RandomPassword",
  bytes: "random:index/randomBytes:RandomBytes",
} as const;

export type Inputs = Record<string, unknown>;

export interface Rule {
  name: string;
  priority: number;
  access: "Allow" | "Deny";
  direction: string;
  protocol: string;
  destinationPortRange: string;
  sourceAddressPrefix?: string;
  sourceAddressPrefixes?: string[];
  sourceApplicationSecurityGroups?: { id: string }[];
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
  const outputs = rec.outputs.get(plan.session) ?? {};
  const machines = (outputs.machines ?? []) as MachineOutput[];
  /** A VM's OS profile, unwrapped (it holds the custom data, a secret). */
  const osProfile = (machine: string): Inputs => {
    const raw = named(T.vm, machine).osProfile;
    expect(isSecretValue(raw), `${machine} OS profile is a secret`).toBe(true);
    return unwrapSecrets(raw) as Inputs;
  };
  /** The boot script a VM gets, decoded from its custom data. */
  const bootScript = (machine: string) => Buffer.from(String(osProfile(machine).customData), "base64").toString("utf8");
  const rules = (nsgSuffix: string) => (named(T.nsg, nsgSuffix).securityRules ?? []) as Rule[];
  return { plan, rec, of, named, outputs, machines, osProfile, bootScript, rules };
}

export const example = (name: string) => loadFormation(join("formations", "azure", name));

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
export const inline = (kind: string, spec: string, extra = ACCESS) =>
  loadFormationText(`apiVersion: formations/v1\nkind: ${kind}\nmetadata: { name: t-${kind.toLowerCase()}, labels: { team: qa } }\ncloud: { provider: azure, region: westeurope }\n${extra}spec:\n${spec}`);
/** Inputs with every secret replaced: what a plan shows and a log could print. */
export const visible = (r: RecordedResource) => JSON.stringify(redact(r.inputs));
/** Sources Azure reads as "anywhere": never allowed in an inbound Allow rule unless allowFrom lists them. */
export const ANYWHERE = new Set(["*", "0.0.0.0/0", "::/0", "Internet", "Any"]);
