/**
 * The session network on OVHcloud: a private network in the project's vRack (OVHcloud's API, one
 * VLAN per session), its subnet in the region, and an OVHcloud gateway (a managed router with
 * SNAT) so machines reach package mirrors and entry points can take floating IPs on Ext-Net. Or
 * the private network the formation names (`cloud.network`, its OpenStack id). Then what any
 * OpenStack session has (clouds/openstack/emit/network.ts): default-deny security groups and the
 * key pair, on the OpenStack provider of the region.
 */
import type * as pulumi from "@pulumi/pulumi";
import { NetworkPrivate } from "@ovhcloud/pulumi-ovh/cloudproject/networkPrivate.js";
import { NetworkPrivateSubnetV2 } from "@ovhcloud/pulumi-ovh/cloudproject/networkPrivateSubnetV2.js";
import { Gateway } from "@ovhcloud/pulumi-ovh/cloudproject/gateway.js";
import type { EmitContext } from "../../../components/adapter.js";
import { givenNetwork, sessionNetwork, type Placement } from "../../openstack/emit/network.js";
import { sessionProvider, type OpenStackNetwork } from "../../openstack/emit/provider.js";
import { ovhProject, type OvhProject } from "./project.js";

/** OVHcloud's external network: floating IPs come from it. */
export const EXT_NET = "Ext-Net";

/** What the OVH adapter's other calls get back from `network()`: an OpenStack network plus the project. */
export interface OvhNetwork extends OpenStackNetwork {
  readonly project: OvhProject;
}

/**
 * The session's VLAN in the vRack: stable for a session name, from 2 to 4001 (0 is the vRack's
 * untagged network, which other networks of the project may use). Two sessions of one project
 * that land on the same VLAN are refused by OVHcloud: rename one.
 */
export function vlanOf(session: string): number {
  let h = 0;
  for (const ch of session) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return 2 + (h % 4000);
}

function ownNetwork(ctx: EmitContext, project: OvhProject): Placement {
  const plan = ctx.plan;
  const region = plan.region!;
  const net = new NetworkPrivate(
    ctx.name("net"),
    { serviceName: project.serviceName, name: `${plan.session}-net`, regions: [region], vlanId: vlanOf(plan.session) },
    project.opts,
  );
  const networkId = net.regionsOpenstackIds.apply((ids) => {
    const id = ids[region];
    if (!id) throw new Error(`OVHcloud made private network ${plan.session}-net without a network in ${region}`);
    return id;
  });
  const subnet = new NetworkPrivateSubnetV2(
    ctx.name("subnet"),
    { serviceName: project.serviceName, region, networkId, name: `${plan.session}-subnet`, cidr: plan.network.subnetCidr, dhcp: true, enableGatewayIp: true },
    project.opts,
  );
  // Model s is the smallest: egress for a lab or a cluster's package installs.
  const gateway = new Gateway(
    ctx.name("gateway"),
    { serviceName: project.serviceName, region, name: `${plan.session}-gateway`, model: "s", networkId, subnetId: subnet.id },
    project.opts,
  );
  return { networkId, subnetId: subnet.id, subnetCidr: plan.network.subnetCidr, routed: [gateway], owned: true };
}

export function createNetwork(ctx: EmitContext): OvhNetwork {
  const project = ovhProject(ctx);
  // Servers, ports, groups and floating IPs are OpenStack's, in the formation's region.
  const opts: pulumi.CustomResourceOptions = { parent: ctx.parent, provider: sessionProvider(ctx) };
  const placement = ctx.plan.network.existing ? givenNetwork(ctx, opts) : ownNetwork(ctx, project);
  return { ...sessionNetwork(ctx, opts, placement, EXT_NET, "ovh"), project };
}
