/**
 * The OVHcloud layer of the component-test harness (test/helpers/compile.ts): OVHcloud's own
 * resource types next to the OpenStack ones its servers are made of, and lookups by name.
 */
import type { Formation } from "../../../format/types.js";
import type { PlanOptions } from "../../../plan/index.js";
import type { SessionPlan } from "../../../plan/types.js";
import { compile as compileFormation, examples, inlineFormation, secretInput } from "../../helpers/compile.js";

export { ACCESS, KEY, visible, type Inputs } from "../../helpers/compile.js";

export const T = {
  ovhProvider: "pulumi:providers:ovh",
  openstackProvider: "pulumi:providers:openstack",
  network: "ovh:CloudProject/networkPrivate:NetworkPrivate",
  subnet: "ovh:CloudProject/networkPrivateSubnetV2:NetworkPrivateSubnetV2",
  gateway: "ovh:CloudProject/gateway:Gateway",
  shareNetwork: "ovh:index/cloudStorageFileShareNetwork:CloudStorageFileShareNetwork",
  share: "ovh:index/cloudStorageFileShare:CloudStorageFileShare",
  shareAcl: "ovh:index/cloudStorageFileShareAcl:CloudStorageFileShareAcl",
  sg: "openstack:networking/secGroup:SecGroup",
  rule: "openstack:networking/secGroupRule:SecGroupRule",
  port: "openstack:networking/port:Port",
  fip: "openstack:networking/floatingIp:FloatingIp",
  key: "openstack:compute/keypair:Keypair",
  instance: "openstack:compute/instance:Instance",
  osNetwork: "openstack:networking/network:Network",
  router: "openstack:networking/router:Router",
} as const;

export async function compile(f: Formation, opts: PlanOptions = {}, tweak?: (plan: SessionPlan) => void) {
  const c = await compileFormation(f, opts, tweak);
  const id = (suffix: string) => `${c.plan.session}-${suffix}-id`;
  const userData = (machine: string) => String(secretInput(c.named(T.instance, machine), "userData", `${machine} user data`));
  return { ...c, id, userData };
}

export const { names: exampleNames, example, compileExample } = examples("ovh", compile);
export const inline = (kind: string, spec: string, extra = "", cloud = "") => inlineFormation("ovh", kind, spec, extra, cloud);
