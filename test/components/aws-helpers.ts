/**
 * Shared helpers of the AWS component tests: compile a formation under Pulumi's mock runtime and
 * look at what the AWS adapter registered.
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
  provider: "pulumi:providers:aws",
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  igw: "aws:ec2/internetGateway:InternetGateway",
  nat: "aws:ec2/natGateway:NatGateway",
  eip: "aws:ec2/eip:Eip",
  routes: "aws:ec2/routeTable:RouteTable",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  sgRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  key: "aws:ec2/keyPair:KeyPair",
  instance: "aws:ec2/instance:Instance",
  state: "aws:ec2transitgateway/instanceState:InstanceState",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  efs: "aws:efs/fileSystem:FileSystem",
  mount: "aws:efs/mountTarget:MountTarget",
  emr: "aws:emr/cluster:Cluster",
  role: "aws:iam/role:Role",
  attach: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  profile: "aws:iam/instanceProfile:InstanceProfile",
} as const;

export interface Ingress {
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrBlocks?: string[];
  ipv6CidrBlocks?: string[];
  securityGroups?: string[];
  self?: boolean;
}
export type Inputs = Record<string, unknown>;

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
  /** The user data a machine boots with, unwrapped (it is a secret input). */
  const userData = (machine: string) => {
    const raw = named(T.instance, machine).userData;
    expect(isSecretValue(raw), `${machine} user data is a secret`).toBe(true);
    return String(unwrapSecrets(raw));
  };
  return { plan, rec, of, named, counts, outputs, machines, userData };
}

export const example = (name: string) => loadFormation(join("formations", "aws", name));

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
export const inline = (kind: string, spec: string, extra = "") =>
  loadFormationText(`apiVersion: formations/v1\nkind: ${kind}\nmetadata: { name: t-${kind.toLowerCase()}, labels: { team: qa } }\ncloud: { provider: aws, region: eu-west-1 }\n${extra}spec:\n${spec}`);
export const ingress = (sg: Inputs) => (sg.ingress ?? []) as Ingress[];
export const visible = (r: RecordedResource) => JSON.stringify(redact(r.inputs));
export const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7yK5YQQX7+PX1LdZ/1IhisRnKb6bgc7s1lYmM0jQyj alice@example.org";
export const ACCESS = `access: { sshPublicKeys: ["${KEY}"], allowFrom: [203.0.113.0/24] }\n`;

