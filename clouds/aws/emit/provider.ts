/**
 * The session's own AWS provider (region and default tags from the plan) and small helpers the
 * other AWS modules share. Every AWS resource of a session goes through this provider, so no
 * ambient `aws:region` config can send it elsewhere.
 */
import type * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/aws/provider.js";
import type { SecurityGroup } from "./sdk-ec2.js";
import type { Role } from "../../../plan/types.js";
import type { EmitContext, NetworkHandle } from "../../../components/adapter.js";

/** What the AWS adapter's other calls get back from `network()`. */
export interface AwsNetwork extends NetworkHandle {
  readonly provider: "aws";
  /** Parent (the kind's component) and the session's provider: the options of every child. */
  readonly opts: pulumi.CustomResourceOptions;
  readonly region: string;
  readonly vpcId: pulumi.Input<string>;
  /** Entry points (a public address, reachable from access.allowFrom). */
  readonly publicSubnetId: pulumi.Input<string>;
  /** Everything else: egress through a NAT gateway. The same subnet as public in a given network. */
  readonly privateSubnetId: pulumi.Input<string>;
  /** True when the network was made for this session (the private subnet is really private). */
  readonly owned: boolean;
  /** The self-referencing group of machines that talk to each other ("session" rules). */
  readonly sessionGroup?: SecurityGroup;
  /** One default-deny group per role, with the ingress its machines' plans allow. */
  readonly roleGroups: ReadonlyMap<Role, SecurityGroup>;
  /** The key pair of the first ssh key, if any. */
  readonly keyName?: pulumi.Output<string>;
  /** Whether the first ssh key is RSA (Windows instances refuse other key pairs). */
  readonly keyIsRsa: boolean;
  /** AMI lookups, one per distinct image and architecture. */
  readonly amis: Map<string, pulumi.Output<string>>;
}

export function sessionProvider(ctx: EmitContext): Provider {
  const region = ctx.plan.region;
  if (!region) throw new Error("an aws formation needs cloud.region");
  return new Provider(ctx.name("aws"), { region, defaultTags: { tags: { ...ctx.plan.labels } } }, { parent: ctx.parent });
}

/** `aws`, `aws-cn` or `aws-us-gov`: ARNs of AWS-managed policies and actions depend on it. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** Tags of a resource: the session's labels, its role, and a readable Name. */
export function tagsFor(ctx: EmitContext, suffix: string, role?: string): Record<string, string> {
  return { ...ctx.labels(role), Name: `${ctx.plan.session}-${suffix}` };
}

/** The tag AmazonEMRServicePolicy_v2 requires on the subnets and security groups EMR uses. */
export const EMR_MANAGED_TAG = { "for-use-with-amazon-emr-managed-policies": "true" } as const;

/** Outbound open (package mirrors, container registries, AWS APIs); inbound is what plans allow. */
export const EGRESS_ALL = [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"], description: "all outbound" }];
