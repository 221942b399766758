/**
 * Default-deny VPC firewall rules, from the plan's inbound rules and nothing else. Rules target
 * network tags (tags.ts in shapes): `access.allowFrom` to a role's entry ports, a VirtualLab
 * target from the proxy's tag only, cluster members (tag `<session>-cluster`) to each other, and
 * an explicit deny-all ingress for every machine of the session at low priority, so that even in
 * a shared network (`cloud.network`) its permissive defaults (default-allow-ssh...) never reach
 * our machines: at equal priority GCP lets a deny win.
 */
import type * as pulumi from "@pulumi/pulumi";
import { Firewall } from "@pulumi/gcp/compute/firewall.js";
import type { InboundRule, PlannedMachine, Role, SessionPlan } from "../../../plan/types.js";
import type { EmitContext } from "../../../components/adapter.js";
import { tags } from "./shapes.js";

/** Our allow rules: the usual default priority, well above the deny-all. */
export const ALLOW_PRIORITY = 1000;
/** The deny-all: below every allow of ours, tied with (and so beating) a shared network's default allows. */
export const DENY_PRIORITY = 65534;

export interface FirewallRule {
  protocol: string;
  ports?: string[];
}

/** One firewall resource: pure data, so its rules can be tested without Pulumi. */
export interface FirewallSpec {
  suffix: string;
  description: string;
  priority: number;
  targetTags: string[];
  sourceRanges?: string[];
  sourceTags?: string[];
  allows?: FirewallRule[];
  denies?: FirewallRule[];
}

/** `tcp 22`, `tcp 80-90`, `all`: a rule's protocol and ports merged into GCP's allow list. */
function allowsOf(rules: readonly InboundRule[]): FirewallRule[] {
  if (rules.some((r) => r.protocol === "all")) return [{ protocol: "all" }];
  const ports = new Map<string, Set<string>>();
  for (const r of rules) {
    const set = ports.get(r.protocol) ?? new Set<string>();
    set.add(r.fromPort === r.toPort ? `${r.fromPort}` : `${r.fromPort}-${r.toPort}`);
    ports.set(r.protocol, set);
  }
  return [...ports].map(([protocol, set]) => ({ protocol, ports: [...set].sort((a, b) => parseInt(a, 10) - parseInt(b, 10)) }));
}

const uniqueDescriptions = (rules: readonly InboundRule[]) => [...new Set(rules.map((r) => r.description))].join("; ");

/** Every firewall rule of the session. Machines a managed service owns join the cluster rule only. */
export function firewallSpecs(plan: SessionPlan): FirewallSpec[] {
  const session = plan.session;
  const own = plan.machines.filter((m) => m.managedBy !== "bigdata");
  const specs: FirewallSpec[] = [];
  const roles = [...new Set(own.map((m) => m.role))];
  for (const role of roles) {
    const target = [tags.role(session, role)];
    const rules = own.filter((m) => m.role === role).flatMap((m) => m.inbound);
    // GCP refuses a rule mixing IPv4 and IPv6 sources: one rule per family.
    for (const family of ["v4", "v6"] as const) {
      const matching = rules.filter((r) => r.from.kind === "cidrs" && r.from.cidrs.some((c) => c.includes(":") === (family === "v6")));
      if (matching.length === 0) continue;
      const ranges = [...new Set(matching.flatMap((r) => (r.from.kind === "cidrs" ? r.from.cidrs.filter((c) => c.includes(":") === (family === "v6")) : [])))];
      specs.push({
        suffix: `fw-${role}-allow-from${family === "v6" ? "-v6" : ""}`,
        description: `${session}: ${uniqueDescriptions(matching)}`,
        priority: ALLOW_PRIORITY,
        targetTags: target,
        sourceRanges: ranges,
        allows: allowsOf(matching),
      });
    }
    const fromRoles = [...new Set(rules.flatMap((r) => (r.from.kind === "role" ? [r.from.role] : [])))];
    for (const source of fromRoles) {
      if (!own.some((m) => m.role === source)) throw new Error(`an inbound rule of ${role} refers to role '${source}', which has no machine`);
      const matching = rules.filter((r) => r.from.kind === "role" && r.from.role === source);
      specs.push({
        suffix: `fw-${role}-from-${source}`,
        description: `${session}: ${uniqueDescriptions(matching)}`,
        priority: ALLOW_PRIORITY,
        targetTags: target,
        sourceTags: [tags.role(session, source)],
        allows: allowsOf(matching),
      });
    }
  }
  if (plan.machines.some(inCluster)) {
    const cluster = [tags.cluster(session)];
    specs.push({
      suffix: "fw-cluster",
      description: `${session}: cluster members to each other`,
      priority: ALLOW_PRIORITY,
      targetTags: cluster,
      sourceTags: cluster,
      allows: [{ protocol: "all" }],
    });
  }
  specs.push({
    suffix: "fw-deny-all",
    description: `${session}: nothing else reaches the session's machines`,
    priority: DENY_PRIORITY,
    targetTags: [tags.session(session)],
    sourceRanges: ["0.0.0.0/0"],
    denies: [{ protocol: "all" }],
  });
  return specs;
}

/** Whether a machine talks freely with the other members of its session. */
export function inCluster(m: PlannedMachine): boolean {
  return m.inbound.some((r) => r.from.kind === "session");
}

/** The network tags of one machine (or of every node of a managed cluster, `bigdata`). */
export function machineTags(session: string, role: Role | "bigdata", cluster: boolean): string[] {
  return [tags.session(session), tags.role(session, role), ...(cluster ? [tags.cluster(session)] : [])];
}

export function createFirewalls(ctx: EmitContext, network: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): Firewall[] {
  return firewallSpecs(ctx.plan).map(
    (s) =>
      new Firewall(
        ctx.name(s.suffix),
        {
          network,
          direction: "INGRESS",
          description: s.description,
          priority: s.priority,
          targetTags: s.targetTags,
          ...(s.sourceRanges ? { sourceRanges: s.sourceRanges } : {}),
          ...(s.sourceTags ? { sourceTags: s.sourceTags } : {}),
          ...(s.allows ? { allows: s.allows } : {}),
          ...(s.denies ? { denies: s.denies } : {}),
        },
        opts,
      ),
  );
}
