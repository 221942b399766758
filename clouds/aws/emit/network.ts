/**
 * The session network: a VPC with a public subnet (internet gateway) for entry points and, when
 * some machines have no public address, a private subnet whose egress goes through a NAT gateway
 * (they still need package mirrors and container registries). Or the network the formation names.
 * Then the default-deny security groups and the key pair.
 */
import * as pulumi from "@pulumi/pulumi";
import { getAvailabilityZonesOutput } from "@pulumi/aws/getAvailabilityZones.js";
import type { EmitContext } from "../../../components/adapter.js";
import { EMR_MANAGED_TAG, sessionProvider, tagsFor, type AwsNetwork } from "./provider.js";
import { securityGroups } from "./security.js";
import { ec2 } from "./sdk.js";

interface Subnets {
  vpcId: pulumi.Input<string>;
  publicSubnetId: pulumi.Input<string>;
  privateSubnetId: pulumi.Input<string>;
  owned: boolean;
}

/** The first subnet of a given VPC when the formation names the VPC only. */
function givenNetwork(ctx: EmitContext, opts: pulumi.InvokeOptions): Subnets {
  const existing = ctx.plan.network.existing!;
  const subnet = existing.subnet
    ? pulumi.output(existing.subnet)
    : ec2.getSubnetsOutput({ filters: [{ name: "vpc-id", values: [existing.id] }] }, opts).apply((r) => {
        const first = r.ids?.[0];
        if (!first) throw new Error(`VPC ${existing.id} has no subnet: set cloud.network.subnet`);
        return first;
      });
  return { vpcId: existing.id, publicSubnetId: subnet, privateSubnetId: subnet, owned: false };
}

function newNetwork(ctx: EmitContext, opts: pulumi.CustomResourceOptions): Subnets {
  const plan = ctx.plan;
  const emrTags = plan.bigData?.managed ? EMR_MANAGED_TAG : {};
  const vpc = new ec2.Vpc(ctx.name("vpc"), { cidrBlock: plan.network.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tagsFor(ctx, "vpc") }, opts);
  // One zone for both subnets: an EFS mount target serves its own zone only.
  const zone = plan.zone ? pulumi.output(plan.zone) : getAvailabilityZonesOutput({ state: "available" }, opts).apply((z) => z.names[0]!);
  const igw = new ec2.InternetGateway(ctx.name("igw"), { vpcId: vpc.id, tags: tagsFor(ctx, "igw") }, opts);
  const pub = new ec2.Subnet(
    ctx.name("subnet-public"),
    { vpcId: vpc.id, cidrBlock: plan.network.subnetCidr, availabilityZone: zone, mapPublicIpOnLaunch: false, tags: { ...tagsFor(ctx, "public"), ...emrTags } },
    opts,
  );
  const pubRoutes = new ec2.RouteTable(
    ctx.name("rt-public"),
    { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tagsFor(ctx, "public") },
    opts,
  );
  new ec2.RouteTableAssociation(ctx.name("rt-public-assoc"), { subnetId: pub.id, routeTableId: pubRoutes.id }, opts);
  const needsPrivate = plan.machines.some((m) => !m.public);
  if (!needsPrivate) return { vpcId: vpc.id, publicSubnetId: pub.id, privateSubnetId: pub.id, owned: true };

  const priv = new ec2.Subnet(
    ctx.name("subnet-private"),
    {
      vpcId: vpc.id,
      cidrBlock: plan.network.privateSubnetCidr ?? "10.42.16.0/20",
      availabilityZone: zone,
      mapPublicIpOnLaunch: false,
      tags: { ...tagsFor(ctx, "private"), ...emrTags },
    },
    opts,
  );
  const eip = new ec2.Eip(ctx.name("nat-eip"), { domain: "vpc", tags: tagsFor(ctx, "nat") }, { ...opts, dependsOn: [igw] });
  const nat = new ec2.NatGateway(ctx.name("nat"), { allocationId: eip.id, subnetId: pub.id, tags: tagsFor(ctx, "nat") }, { ...opts, dependsOn: [igw] });
  const privRoutes = new ec2.RouteTable(
    ctx.name("rt-private"),
    { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: tagsFor(ctx, "private") },
    opts,
  );
  new ec2.RouteTableAssociation(ctx.name("rt-private-assoc"), { subnetId: priv.id, routeTableId: privRoutes.id }, opts);
  return { vpcId: vpc.id, publicSubnetId: pub.id, privateSubnetId: priv.id, owned: true };
}

export function createNetwork(ctx: EmitContext): AwsNetwork {
  const plan = ctx.plan;
  const provider = sessionProvider(ctx);
  const opts: pulumi.CustomResourceOptions = { parent: ctx.parent, provider };
  const subnets = plan.network.existing ? givenNetwork(ctx, opts) : newNetwork(ctx, opts);
  const groups = securityGroups(ctx, subnets.vpcId, opts);
  const firstKey = plan.sshPublicKeys[0];
  const key = firstKey ? new ec2.KeyPair(ctx.name("key"), { publicKey: firstKey, tags: tagsFor(ctx, "key") }, opts) : undefined;
  return {
    provider: "aws",
    opts,
    region: plan.region!,
    ...subnets,
    ...groups,
    ...(key ? { keyName: key.keyName } : {}),
    keyIsRsa: firstKey?.startsWith("ssh-rsa ") ?? false,
    amis: new Map(),
  };
}
