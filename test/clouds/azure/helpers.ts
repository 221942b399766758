/**
 * The Azure layer of the component-test harness (test/helpers/compile.ts): Azure's resource
 * types, a VM's OS profile and boot script, and NSG rules.
 */
import type { Formation } from "../../../format/types.js";
import type { PlanOptions } from "../../../plan/index.js";
import { ACCESS, compile as compileFormation, examples, inlineFormation, secretInput, type Inputs } from "../../helpers/compile.js";

export { ACCESS, KEY, visible, type Inputs } from "../../helpers/compile.js";

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
  const c = await compileFormation(f, opts);
  /** A VM's OS profile, unwrapped (it holds the custom data, a secret). */
  const osProfile = (machine: string): Inputs => secretInput(c.named(T.vm, machine), "osProfile", `${machine} OS profile`) as Inputs;
  /** The boot script a VM gets, decoded from its custom data. */
  const bootScript = (machine: string) => Buffer.from(String(osProfile(machine).customData), "base64").toString("utf8");
  const rules = (nsgSuffix: string) => (c.named(T.nsg, nsgSuffix).securityRules ?? []) as Rule[];
  return { ...c, osProfile, bootScript, rules };
}

export const { names: exampleNames, example, compileExample } = examples("azure", compile);
/** An inline formation on Azure; unlike the other providers' it grants ACCESS unless told otherwise. */
export const inline = (kind: string, spec: string, extra = ACCESS) => inlineFormation("azure", kind, spec, extra);
/** Sources Azure reads as "anywhere": never allowed in an inbound Allow rule unless allowFrom lists them. */
export const ANYWHERE = new Set(["*", "0.0.0.0/0", "::/0", "Internet", "Any"]);
