/**
 * The session's own GCP provider (project, region, zone and default labels from the plan) and
 * what the GCP adapter's calls share. Every GCP resource of a session goes through this provider,
 * so no ambient `gcp:project` config can send it elsewhere.
 */
import type * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/gcp/provider.js";
import type { Role } from "../../../plan/types.js";
import type { EmitContext, NetworkHandle } from "../../../components/adapter.js";
import { gcpLabels } from "./shapes.js";

/** What the GCP adapter's other calls get back from `network()`. */
export interface GcpNetwork extends NetworkHandle {
  readonly provider: "gcp";
  /** Parent (the kind's component) and the session's provider: the options of every child. */
  readonly opts: pulumi.CustomResourceOptions;
  readonly project: string;
  readonly region: string;
  readonly zone: string;
  /** The VPC (self link or name) the machines join. */
  readonly network: pulumi.Input<string>;
  /** The VPC's name, for the services that want a name (Filestore). */
  readonly networkName: pulumi.Input<string>;
  /** The subnetwork, unless a given auto-mode network picks the region's own. */
  readonly subnetwork?: pulumi.Input<string>;
  /** True when the network was made for this session (its range is known, Cloud NAT is ours). */
  readonly owned: boolean;
  /** Machines wait for the firewall and NAT, so their first boot can reach package mirrors. */
  readonly ready: pulumi.Resource[];
}

export function sessionProvider(ctx: EmitContext): { provider: Provider; project: string; region: string; zone: string } {
  const { project, region } = ctx.plan;
  if (!project) throw new Error("a gcp formation needs cloud.project");
  if (!region) throw new Error("a gcp formation needs cloud.region");
  // Zone b exists in every GCP region (several have no zone a).
  const zone = ctx.plan.zone ?? `${region}-b`;
  const provider = new Provider(ctx.name("gcp"), { project, region, zone, defaultLabels: gcpLabels(ctx.plan.labels) }, { parent: ctx.parent });
  return { provider, project, region, zone };
}

/** Labels of a resource of this role: the session's plus formations-role, under GCP's label rules. */
export function labelsFor(ctx: EmitContext, role?: Role | "bigdata" | "storage"): Record<string, string> {
  return gcpLabels(ctx.labels(role));
}

/**
 * Adds a note to the plan (printed after compiling): some limits are known only here, where the
 * plan meets GCP's rules (Dataproc's smallest cluster, a spot VM that cannot suspend).
 */
export function note(ctx: EmitContext, text: string): void {
  if (!ctx.plan.notes.includes(text)) ctx.plan.notes.push(text);
}
