/**
 * Default-deny security groups, from the plan's inbound rules and nothing else: one group per
 * role, with ingress only from `access.allowFrom` CIDRs or from another role's group (a VirtualLab
 * target from its proxy), plus one self-referencing group for machines that talk to each other.
 * Outbound is open.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { InboundRule, PlannedMachine, Role } from "../../../plan/types.js";
import type { EmitContext } from "../../../components/adapter.js";
import { EGRESS_ALL, EMR_MANAGED_TAG, tagsFor } from "./provider.js";
import { ec2 } from "./sdk.js";

type Ingress = ec2.SecurityGroupArgs["ingress"] & unknown[];

/** Machines with instances of ours (not those a managed service creates). */
export function ownMachines(machines: readonly PlannedMachine[]): PlannedMachine[] {
  return machines.filter((m) => m.managedBy !== "bigdata");
}

export function usesSessionGroup(m: PlannedMachine): boolean {
  return m.inbound.some((r) => r.from.kind === "session");
}

function protocolOf(r: InboundRule): { protocol: string; fromPort: number; toPort: number } {
  return r.protocol === "all" ? { protocol: "-1", fromPort: 0, toPort: 0 } : { protocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort };
}

/** The ingress of a role's group: the union of its machines' rules, "session" rules excepted (membership covers them). */
function ingressOf(rules: readonly InboundRule[], groups: ReadonlyMap<Role, ec2.SecurityGroup>): Ingress {
  const seen = new Set<string>();
  const out: Ingress = [];
  for (const r of rules) {
    if (r.from.kind === "session") continue;
    const key = JSON.stringify(r);
    if (seen.has(key)) continue;
    seen.add(key);
    const base = { ...protocolOf(r), description: r.description };
    if (r.from.kind === "cidrs") {
      const v4 = r.from.cidrs.filter((c) => !c.includes(":"));
      const v6 = r.from.cidrs.filter((c) => c.includes(":"));
      out.push({ ...base, ...(v4.length ? { cidrBlocks: [...v4] } : {}), ...(v6.length ? { ipv6CidrBlocks: [...v6] } : {}) });
    } else {
      const source = groups.get(r.from.role);
      if (!source) throw new Error(`an inbound rule refers to role '${r.from.role}', which has no machine`);
      out.push({ ...base, securityGroups: [source.id] });
    }
  }
  return out;
}

/** Roles in creation order: a role another role's rules refer to comes first. */
function rolesInOrder(machines: readonly PlannedMachine[]): Role[] {
  const roles = [...new Set(machines.map((m) => m.role))];
  const referenced = new Set(machines.flatMap((m) => m.inbound.flatMap((r) => (r.from.kind === "role" ? [r.from.role] : []))));
  return [...roles.filter((r) => referenced.has(r)), ...roles.filter((r) => !referenced.has(r))];
}

export function securityGroups(
  ctx: EmitContext,
  vpcId: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): { sessionGroup?: ec2.SecurityGroup; roleGroups: Map<Role, ec2.SecurityGroup> } {
  const plan = ctx.plan;
  const emrTags = plan.bigData?.managed ? EMR_MANAGED_TAG : {};
  const own = ownMachines(plan.machines);
  const roleGroups = new Map<Role, ec2.SecurityGroup>();
  for (const role of rolesInOrder(own)) {
    const rules = own.filter((m) => m.role === role).flatMap((m) => m.inbound);
    roleGroups.set(
      role,
      new ec2.SecurityGroup(
        ctx.name(`sg-${role}`),
        {
          vpcId,
          description: `${plan.session}: ${role} machines, inbound only as the formation allows`,
          ingress: ingressOf(rules, roleGroups),
          egress: EGRESS_ALL,
          tags: tagsFor(ctx, `sg-${role}`, role),
        },
        opts,
      ),
    );
  }
  const needsSession = plan.machines.some(usesSessionGroup);
  if (!needsSession) return { roleGroups };
  const sessionGroup = new ec2.SecurityGroup(
    ctx.name("sg-session"),
    {
      vpcId,
      description: `${plan.session}: members of the session talk to each other`,
      ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true, description: "session members to each other" }],
      egress: EGRESS_ALL,
      tags: { ...tagsFor(ctx, "sg-session"), ...emrTags },
    },
    opts,
  );
  return { sessionGroup, roleGroups };
}
