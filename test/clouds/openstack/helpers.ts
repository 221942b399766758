/**
 * The OpenStack layer of the component-test harness (test/helpers/compile.ts): OpenStack's
 * resource types, security-group rules by group, user data, ports' addresses and tags.
 */
import type { Formation } from "../../../format/types.js";
import type { PlanOptions } from "../../../plan/index.js";
import type { SessionPlan } from "../../../plan/types.js";
import { compile as compileFormation, examples, inlineFormation, secretInput, type Inputs } from "../../helpers/compile.js";

export { ACCESS, KEY, visible, type Inputs } from "../../helpers/compile.js";

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
  const c = await compileFormation(f, opts, tweak);
  const id = (suffix: string) => `${c.plan.session}-${suffix}-id`;
  /** Rules of a security group (by its suffix: sg-proxy, sg-session...). */
  const rules = (group: string) =>
    c
      .of(T.rule)
      .map((r) => r.inputs as unknown as Rule)
      .filter((r) => r.securityGroupId === id(group));
  /** The user data a machine boots with, unwrapped (it is a secret input). */
  const userData = (machine: string) => String(secretInput(c.named(T.instance, machine), "userData", `${machine} user data`));
  /** A machine's private address as the mocks gave it to its port. */
  const portIp = (machine: string) => {
    const out = c.machines.find((m) => m.name === machine);
    if (!out) throw new Error(`no output for ${machine}`);
    return out.privateIp;
  };
  return { ...c, id, rules, userData, portIp };
}

export const { names: exampleNames, example, compileExample } = examples("openstack", compile);
/** An inline formation on OpenStack; `cloud` adds fields to its cloud block. */
export const inline = (kind: string, spec: string, extra = "", cloud = "") => inlineFormation("openstack", kind, spec, extra, cloud);
/** `key=value` tags of a resource. */
export const tagsOf = (inputs: Inputs) => (inputs.tags ?? []) as string[];
