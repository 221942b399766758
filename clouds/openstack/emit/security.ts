/**
 * Default-deny security groups, from the plan's inbound rules and nothing else: one group per
 * role with ingress only from `access.allowFrom` CIDRs or from another role's group (a VirtualLab
 * target from its proxy, by remote group), plus one group whose members talk to each other.
 *
 * OpenStack's `default` group lets every member of it in: no port of ours is ever in it (ports
 * carry their groups explicitly). A new group gets the cloud's default rules, which operators can
 * change (Neutron's default-rule templates may add ingress), so they are deleted and the two
 * egress rules OpenStack normally adds are written out: outbound open, inbound what plans allow.
 */
import type * as pulumi from "@pulumi/pulumi";
import { SecGroup } from "@pulumi/openstack/networking/secGroup.js";
import { SecGroupRule, type SecGroupRuleArgs } from "@pulumi/openstack/networking/secGroupRule.js";
import type { InboundRule, PlannedMachine, Role } from "../../../plan/types.js";
import type { EmitContext } from "../../../components/adapter.js";
import { tagsFor } from "./provider.js";

/** Machines with instances of ours (not those a managed service creates). */
export function ownMachines(machines: readonly PlannedMachine[]): PlannedMachine[] {
  return machines.filter((m) => m.managedBy !== "bigdata");
}

export function usesSessionGroup(m: PlannedMachine): boolean {
  return m.inbound.some((r) => r.from.kind === "session");
}

/** One Neutron rule: a single remote (one CIDR or one group), one ether type. */
export interface RuleSpec {
  ethertype: "IPv4" | "IPv6";
  protocol?: "tcp" | "udp";
  portRangeMin?: number;
  portRangeMax?: number;
  remoteIpPrefix?: string;
  /** The role whose group is the remote (VirtualLab target from its proxy). */
  remoteRole?: Role;
  description: string;
}

function ports(r: InboundRule): Pick<RuleSpec, "protocol" | "portRangeMin" | "portRangeMax"> {
  return r.protocol === "all" ? {} : { protocol: r.protocol, portRangeMin: r.fromPort, portRangeMax: r.toPort };
}

/** The ingress of a role's group: its machines' rules, one per CIDR, "session" rules excepted (membership covers them). */
export function ingressSpecs(rules: readonly InboundRule[]): RuleSpec[] {
  const seen = new Set<string>();
  const out: RuleSpec[] = [];
  for (const r of rules) {
    if (r.from.kind === "session") continue;
    const specs: RuleSpec[] =
      r.from.kind === "cidrs"
        ? r.from.cidrs.map((cidr) => ({ ethertype: cidr.includes(":") ? "IPv6" : "IPv4", ...ports(r), remoteIpPrefix: cidr, description: r.description }))
        : [{ ethertype: "IPv4", ...ports(r), remoteRole: r.from.role, description: r.description }];
    for (const s of specs) {
      const key = JSON.stringify(s);
      if (!seen.has(key)) out.push(s);
      seen.add(key);
    }
  }
  return out;
}

function group(ctx: EmitContext, suffix: string, description: string, role: string | undefined, opts: pulumi.CustomResourceOptions): SecGroup {
  const sg = new SecGroup(ctx.name(suffix), { name: `${ctx.plan.session}-${suffix}`, description, deleteDefaultRules: true, tags: tagsFor(ctx, role) }, opts);
  for (const ethertype of ["IPv4", "IPv6"] as const) {
    rule(ctx, `${suffix}-out-${ethertype.toLowerCase()}`, sg, { direction: "egress", ethertype, description: "all outbound" }, opts);
  }
  return sg;
}

function rule(
  ctx: EmitContext,
  suffix: string,
  sg: SecGroup,
  args: Omit<SecGroupRuleArgs, "securityGroupId">,
  opts: pulumi.CustomResourceOptions,
): SecGroupRule {
  return new SecGroupRule(ctx.name(suffix), { ...args, securityGroupId: sg.id }, opts);
}

export function securityGroups(ctx: EmitContext, opts: pulumi.CustomResourceOptions): { sessionGroup?: SecGroup; roleGroups: Map<Role, SecGroup> } {
  const plan = ctx.plan;
  const own = ownMachines(plan.machines);
  const roleGroups = new Map<Role, SecGroup>();
  const roles = [...new Set(own.map((m) => m.role))];
  for (const role of roles)
    roleGroups.set(role, group(ctx, `sg-${role}`, `${plan.session}: ${role} machines, inbound only as the formation allows`, role, opts));
  // Rules are separate resources, so a group may name another role's group whatever the order.
  for (const role of roles) {
    const specs = ingressSpecs(own.filter((m) => m.role === role).flatMap((m) => m.inbound));
    specs.forEach((s, i) => {
      const remote = s.remoteRole ? roleGroups.get(s.remoteRole) : undefined;
      if (s.remoteRole && !remote) throw new Error(`an inbound rule refers to role '${s.remoteRole}', which has no machine`);
      const { remoteRole: _, ...spec } = s;
      rule(ctx, `sg-${role}-in-${i + 1}`, roleGroups.get(role)!, { direction: "ingress", ...spec, ...(remote ? { remoteGroupId: remote.id } : {}) }, opts);
    });
  }
  if (!plan.machines.some(usesSessionGroup)) return { roleGroups };
  const sessionGroup = group(ctx, "sg-session", `${plan.session}: members of the session talk to each other`, undefined, opts);
  for (const ethertype of ["IPv4", "IPv6"] as const) {
    rule(
      ctx,
      `sg-session-in-${ethertype.toLowerCase()}`,
      sessionGroup,
      { direction: "ingress", ethertype, remoteGroupId: sessionGroup.id, description: "session members to each other" },
      opts,
    );
  }
  return { sessionGroup, roleGroups };
}
