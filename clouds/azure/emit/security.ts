/**
 * Default-deny network security groups, from the plan's inbound rules and nothing else. Azure's
 * built-in rules allow everything inside the virtual network (AllowVnetInBound, 65000), which
 * would open every port between machines; so each group ends with an explicit DenyAllInbound at
 * the lowest priority users may set (4096), and the traffic a session needs between its machines
 * is allowed by application security group: the VirtualLab target only from the proxy's group,
 * cluster members from the session's group. Outbound keeps Azure's defaults (package mirrors,
 * registries).
 */
import type * as pulumi from "@pulumi/pulumi";
import { ApplicationSecurityGroup } from "@pulumi/azure-native/network/applicationSecurityGroup.js";
import { NetworkSecurityGroup } from "@pulumi/azure-native/network/networkSecurityGroup.js";
import type * as azin from "@pulumi/azure-native/types/input.js";
import type { InboundRule, PlannedMachine, Role } from "../../../plan/types.js";
import type { EmitContext } from "../../../components/adapter.js";
import { DENY_ALL_PRIORITY, tagsFor } from "./provider.js";

/** Where a rule's traffic comes from: address prefixes, a service tag, or an application security group. */
export type RuleSource = { prefixes: readonly string[] } | { tag: string } | { asg: Role | "session" };

/** One inbound rule of a network security group, as plain data (tested without Pulumi). */
export interface NsgRule {
  name: string;
  priority: number;
  access: "Allow" | "Deny";
  protocol: "Tcp" | "Udp" | "*";
  /** `22`, `8000-8010` or `*`. */
  ports: string;
  from: RuleSource;
  description: string;
}

const FIRST_PRIORITY = 100;
const STEP = 10;

export function usesSessionAsg(m: PlannedMachine): boolean {
  return m.inbound.some((r) => r.from.kind === "session");
}

/** Machines with VMs of ours (not the nodes HDInsight creates). */
export function ownMachines(machines: readonly PlannedMachine[]): PlannedMachine[] {
  return machines.filter((m) => m.managedBy !== "bigdata");
}

function portsOf(r: InboundRule): { protocol: NsgRule["protocol"]; ports: string } {
  if (r.protocol === "all") return { protocol: "*", ports: "*" };
  return { protocol: r.protocol === "tcp" ? "Tcp" : "Udp", ports: r.fromPort === r.toPort ? String(r.fromPort) : `${r.fromPort}-${r.toPort}` };
}

/** The sources of a plan rule; IPv4 and IPv6 prefixes go in separate rules (Azure refuses a mix). */
function sourcesOf(r: InboundRule): RuleSource[] {
  if (r.from.kind === "session") return [{ asg: "session" }];
  if (r.from.kind === "role") return [{ asg: r.from.role }];
  const v4 = r.from.cidrs.filter((c) => !c.includes(":"));
  const v6 = r.from.cidrs.filter((c) => c.includes(":"));
  return [v4, v6].filter((p) => p.length > 0).map((prefixes) => ({ prefixes }));
}

/** Numbers allow rules from 100 up and closes the list with DenyAllInbound. */
export function withDenyAll(allows: readonly Omit<NsgRule, "name" | "priority" | "access">[]): NsgRule[] {
  const rules = allows.map((a, i): NsgRule => ({ ...a, name: `allow-${FIRST_PRIORITY + i * STEP}`, priority: FIRST_PRIORITY + i * STEP, access: "Allow" }));
  const last = rules.at(-1);
  if (last && last.priority >= DENY_ALL_PRIORITY) throw new Error(`too many inbound rules for one network security group (${rules.length})`);
  rules.push({
    name: "deny-all-inbound",
    priority: DENY_ALL_PRIORITY,
    access: "Deny",
    protocol: "*",
    ports: "*",
    from: { prefixes: ["*"] },
    description: "default deny: overrides Azure's AllowVnetInBound and AllowAzureLoadBalancerInBound",
  });
  return rules;
}

/** The inbound rules of a role's group: the union of its machines' plan rules, then DenyAllInbound. */
export function nsgRules(rules: readonly InboundRule[]): NsgRule[] {
  const seen = new Set<string>();
  const allows: Omit<NsgRule, "name" | "priority" | "access">[] = [];
  for (const r of rules) {
    for (const from of sourcesOf(r)) {
      const rule = { ...portsOf(r), from, description: r.description };
      const key = JSON.stringify([rule.protocol, rule.ports, rule.from]);
      if (seen.has(key)) continue;
      seen.add(key);
      allows.push(rule);
    }
  }
  return withDenyAll(allows);
}

/**
 * HDInsight's subnet: its nodes talk to each other, Azure's load balancer probes the cluster's
 * internal gateway, and the session's machines (the proxy) reach it. Nothing from outside the
 * network: the cluster's resource provider connection is outbound-only.
 */
export function bigDataNsgRules(subnetCidr: string): NsgRule[] {
  return withDenyAll([
    { protocol: "*", ports: "*", from: { prefixes: [subnetCidr] }, description: "HDInsight nodes to each other" },
    { protocol: "*", ports: "*", from: { tag: "AzureLoadBalancer" }, description: "health probes of the cluster's internal load balancer" },
    { protocol: "*", ports: "*", from: { asg: "session" }, description: "the session's machines (the proxy) to the cluster" },
  ]);
}

/** An NsgRule as azure-native's SecurityRule input. */
export function toSecurityRule(r: NsgRule, asgs: (ref: Role | "session") => pulumi.Input<string>): azin.network.SecurityRuleArgs {
  const from = r.from;
  const source =
    "asg" in from
      ? { sourceApplicationSecurityGroups: [{ id: asgs(from.asg) }] }
      : "tag" in from
        ? { sourceAddressPrefix: from.tag }
        : from.prefixes.length === 1
          ? { sourceAddressPrefix: from.prefixes[0]! }
          : { sourceAddressPrefixes: [...from.prefixes] };
  return {
    name: r.name,
    priority: r.priority,
    direction: "Inbound",
    access: r.access,
    protocol: r.protocol,
    sourcePortRange: "*",
    destinationAddressPrefix: "*",
    destinationPortRange: r.ports,
    description: r.description,
    ...source,
  };
}

/** Roles another role's rules refer to: they get an application security group. */
export function referencedRoles(machines: readonly PlannedMachine[]): Role[] {
  return [...new Set(machines.flatMap((m) => m.inbound.flatMap((r) => (r.from.kind === "role" ? [r.from.role] : []))))];
}

export interface SecurityGroups {
  sessionAsg?: ApplicationSecurityGroup;
  roleAsgs: Map<Role, ApplicationSecurityGroup>;
  roleNsgs: Map<Role, NetworkSecurityGroup>;
  asgId: (ref: Role | "session") => pulumi.Input<string>;
}

export function securityGroups(ctx: EmitContext, resourceGroupName: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): SecurityGroups {
  const plan = ctx.plan;
  const where = { resourceGroupName, location: plan.region! };
  const asg = (suffix: string, role?: string) =>
    new ApplicationSecurityGroup(ctx.name(suffix), { ...where, applicationSecurityGroupName: ctx.name(suffix), tags: tagsFor(ctx, role) }, opts);
  const roleAsgs = new Map<Role, ApplicationSecurityGroup>();
  for (const role of referencedRoles(plan.machines)) roleAsgs.set(role, asg(`asg-${role}`, role));
  const sessionAsg = plan.machines.some(usesSessionAsg) ? asg("asg-session") : undefined;
  const asgId = (ref: Role | "session"): pulumi.Input<string> => {
    const group = ref === "session" ? sessionAsg : roleAsgs.get(ref);
    if (!group) throw new Error(`an inbound rule refers to '${ref}', which has no application security group`);
    return group.id;
  };
  const own = ownMachines(plan.machines);
  const roleNsgs = new Map<Role, NetworkSecurityGroup>();
  for (const role of [...new Set(own.map((m) => m.role))]) {
    const rules = nsgRules(own.filter((m) => m.role === role).flatMap((m) => m.inbound));
    const name = ctx.name(`nsg-${role}`);
    roleNsgs.set(
      role,
      new NetworkSecurityGroup(
        name,
        { ...where, networkSecurityGroupName: name, securityRules: rules.map((r) => toSecurityRule(r, asgId)), tags: tagsFor(ctx, role) },
        opts,
      ),
    );
  }
  return { ...(sessionAsg ? { sessionAsg } : {}), roleAsgs, roleNsgs, asgId };
}
