/**
 * The session network: a Neutron network and subnet on a router whose gateway is the external
 * network (`formations:externalNetwork`, default "public"), so machines reach package mirrors
 * through the router's SNAT and entry points can get floating IPs. Or the network the formation
 * names (`cloud.network`). Then the default-deny security groups and the key pair.
 */
import type * as pulumi from "@pulumi/pulumi";
import { Network } from "@pulumi/openstack/networking/network.js";
import { Subnet } from "@pulumi/openstack/networking/subnet.js";
import { Router } from "@pulumi/openstack/networking/router.js";
import { RouterInterface } from "@pulumi/openstack/networking/routerInterface.js";
import { getNetworkOutput } from "@pulumi/openstack/networking/getNetwork.js";
import { getSubnetOutput } from "@pulumi/openstack/networking/getSubnet.js";
import { Keypair } from "@pulumi/openstack/compute/keypair.js";
import type { EmitContext } from "../../../components/adapter.js";
import { sessionProvider, settings, tagsFor, UUID, type OpenStackNetwork, type OpenStackSettings } from "./provider.js";
import { securityGroups } from "./security.js";

/** Where a session's ports go: what a network of its own, or a given one, provides. */
export type Placement = Pick<OpenStackNetwork, "networkId" | "subnetId" | "subnetCidr" | "routed" | "owned">;

/** A given network: its subnet by UUID or by name, or none (Neutron picks one for each port). */
export function givenNetwork(ctx: EmitContext, opts: pulumi.CustomResourceOptions): Placement {
  const existing = ctx.plan.network.existing!;
  if (!existing.subnet) return { networkId: existing.id, routed: [], owned: false };
  const invoke = { parent: ctx.parent, ...(opts.provider ? { provider: opts.provider } : {}) };
  const subnet = getSubnetOutput(UUID.test(existing.subnet) ? { subnetId: existing.subnet } : { name: existing.subnet, networkId: existing.id }, invoke);
  return { networkId: existing.id, subnetId: subnet.id, subnetCidr: subnet.cidr, routed: [], owned: false };
}

function newNetwork(ctx: EmitContext, s: OpenStackSettings, opts: pulumi.CustomResourceOptions): Placement {
  const plan = ctx.plan;
  const tags = tagsFor(ctx);
  const net = new Network(ctx.name("net"), { name: `${plan.session}-net`, description: `formations session ${plan.session}`, adminStateUp: true, tags }, opts);
  // One subnet: machines without a floating IP are unreachable from outside anyway (no NAT inbound).
  const subnet = new Subnet(
    ctx.name("subnet"),
    {
      name: `${plan.session}-subnet`,
      networkId: net.id,
      cidr: plan.network.subnetCidr,
      ipVersion: 4,
      enableDhcp: true,
      ...(s.dnsNameservers.length > 0 ? { dnsNameservers: s.dnsNameservers } : {}),
      tags,
    },
    opts,
  );
  const external = getNetworkOutput({ name: s.externalNetwork, external: true }, { parent: ctx.parent, ...(opts.provider ? { provider: opts.provider } : {}) });
  const router = new Router(
    ctx.name("router"),
    {
      name: `${plan.session}-router`,
      description: `formations session ${plan.session}: egress and floating IPs`,
      adminStateUp: true,
      externalNetworkId: external.id,
      tags,
    },
    opts,
  );
  const attached = new RouterInterface(ctx.name("router-subnet"), { routerId: router.id, subnetId: subnet.id }, opts);
  return { networkId: net.id, subnetId: subnet.id, subnetCidr: plan.network.subnetCidr, routed: [attached], owned: true };
}

export function createNetwork(ctx: EmitContext): OpenStackNetwork {
  const s = settings();
  const provider = sessionProvider(ctx);
  const opts: pulumi.CustomResourceOptions = { parent: ctx.parent, provider };
  const placement = ctx.plan.network.existing ? givenNetwork(ctx, opts) : newNetwork(ctx, s, opts);
  return sessionNetwork(ctx, opts, placement, s.externalNetwork);
}

/**
 * The rest of a session network once its placement is known: the default-deny security groups
 * and the key pair. A cloud built on OpenStack (ovh) places ports its own way and calls this.
 */
export function sessionNetwork(
  ctx: EmitContext,
  opts: pulumi.CustomResourceOptions,
  placement: Placement,
  externalNetwork: string,
  provider: OpenStackNetwork["provider"] = "openstack",
): OpenStackNetwork {
  const plan = ctx.plan;
  const groups = securityGroups(ctx, opts);
  const firstKey = plan.sshPublicKeys[0];
  // Key pair names are unique per user: the old one goes before a new one takes its name.
  const key = firstKey ? new Keypair(ctx.name("key"), { name: `${plan.session}-key`, publicKey: firstKey }, { ...opts, deleteBeforeReplace: true }) : undefined;
  return {
    provider,
    opts,
    region: plan.region!,
    externalNetwork,
    ...placement,
    ...groups,
    ...(key ? { keyPairName: key.name } : {}),
    images: new Map(),
  };
}
