/**
 * The AWS layer of the component-test harness (test/helpers/compile.ts): AWS's resource types,
 * security-group ingress and the user data an instance boots with.
 */
import type { Formation } from "../../../format/types.js";
import type { PlanOptions } from "../../../plan/index.js";
import { compile as compileFormation, countsOf, examples, inlineFormation, secretInput, type Inputs } from "../../helpers/compile.js";

export { ACCESS, KEY, visible, type Inputs } from "../../helpers/compile.js";

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

export async function compile(f: Formation, opts: PlanOptions = {}) {
  const c = await compileFormation(f, opts);
  const counts = () => countsOf(c.of, T);
  /** The user data a machine boots with, unwrapped (it is a secret input). */
  const userData = (machine: string) => String(secretInput(c.named(T.instance, machine), "userData", `${machine} user data`));
  return { ...c, counts, userData };
}

export const { names: exampleNames, example, compileExample } = examples("aws", compile);
export const inline = (kind: string, spec: string, extra = "") => inlineFormation("aws", kind, spec, extra);
export const ingress = (sg: Inputs) => (sg.ingress ?? []) as Ingress[];
