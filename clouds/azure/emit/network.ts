/**
 * The session network on Azure: a resource group per session (`<session>-rg`: every Azure name of
 * the session is its Pulumi name, so state and portal read alike; deleting the group deletes all),
 * a virtual network with a subnet for the machines and, for HDInsight, a subnet of its own behind
 * a subnet-level default-deny group; or the network the formation names. Subnets are private
 * (no default outbound access): machines without a public address reach package mirrors through
 * a NAT gateway. Then the application and network security groups (security.ts).
 */
import type * as pulumi from "@pulumi/pulumi";
import { ResourceGroup } from "@pulumi/azure-native/resources/resourceGroup.js";
import { VirtualNetwork } from "@pulumi/azure-native/network/virtualNetwork.js";
import { Subnet } from "@pulumi/azure-native/network/subnet.js";
import { NatGateway } from "@pulumi/azure-native/network/natGateway.js";
import { PublicIPAddress } from "@pulumi/azure-native/network/publicIPAddress.js";
import { NetworkSecurityGroup } from "@pulumi/azure-native/network/networkSecurityGroup.js";
import { getVirtualNetworkOutput } from "@pulumi/azure-native/network/getVirtualNetwork.js";
import type { Role } from "../../../plan/types.js";
import type { EmitContext } from "../../../components/adapter.js";
import { azureSshKeys, sessionProvider, tagsFor, uniqueOf, withoutVersionAliases, type AzureNetwork } from "./provider.js";
import { bigDataNsgRules, ownMachines, securityGroups, toSecurityRule } from "./security.js";

const VNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)$/i;

/** The resource group and name of a VNet resource id. */
export function parseVnetId(id: string): { resourceGroupName: string; name: string } {
  const m = VNET_ID.exec(id.trim());
  if (!m)
    throw new Error(
      `cloud.network.id '${id}' is not an Azure virtual network id: use /subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/NAME`,
    );
  return { resourceGroupName: m[1]!, name: m[2]! };
}

/** A subnet of a given VNet: a full id, a name within the VNet, or its first subnet. */
function givenSubnet(ctx: EmitContext, opts: pulumi.InvokeOptions): pulumi.Input<string> {
  const existing = ctx.plan.network.existing!;
  const vnet = parseVnetId(existing.id);
  if (existing.subnet) return existing.subnet.startsWith("/") ? existing.subnet : `${existing.id.trim()}/subnets/${existing.subnet}`;
  return getVirtualNetworkOutput({ resourceGroupName: vnet.resourceGroupName, virtualNetworkName: vnet.name }, opts).apply((v) => {
    const first = v.subnets?.[0]?.id;
    if (!first) throw new Error(`virtual network ${existing.id} has no subnet: set cloud.network.subnet`);
    return first;
  });
}

interface Subnets {
  vnetId: pulumi.Input<string>;
  subnetId: pulumi.Input<string>;
  bigDataSubnetId?: pulumi.Input<string>;
}

function newNetwork(
  ctx: EmitContext,
  rg: pulumi.Output<string>,
  opts: pulumi.CustomResourceOptions,
  asgId: (ref: Role | "session") => pulumi.Input<string>,
): Subnets {
  const plan = ctx.plan;
  const where = { resourceGroupName: rg, location: plan.region! };
  const vnet = new VirtualNetwork(
    ctx.name("vnet"),
    { ...where, virtualNetworkName: ctx.name("vnet"), addressSpace: { addressPrefixes: [plan.network.cidr] }, tags: tagsFor(ctx) },
    opts,
  );
  const needsNat = ownMachines(plan.machines).some((m) => !m.public) || plan.bigData?.managed === true;
  let nat: NatGateway | undefined;
  if (needsNat) {
    const ip = new PublicIPAddress(
      ctx.name("nat-ip"),
      { ...where, publicIpAddressName: ctx.name("nat-ip"), sku: { name: "Standard" }, publicIPAllocationMethod: "Static", tags: tagsFor(ctx) },
      opts,
    );
    nat = new NatGateway(
      ctx.name("nat"),
      { ...where, natGatewayName: ctx.name("nat"), sku: { name: "Standard" }, publicIpAddresses: [{ id: ip.id }], tags: tagsFor(ctx) },
      opts,
    );
  }
  // Azure Files NFS and HDInsight's storage accept traffic from our subnets only, over this endpoint.
  const storageEndpoint = plan.storage?.kind === "managed" || plan.bigData?.managed ? { serviceEndpoints: [{ service: "Microsoft.Storage" }] } : {};
  const subnet = (suffix: string, cidr: string, extra: Record<string, unknown>, dependsOn: pulumi.Resource[]) =>
    new Subnet(
      ctx.name(suffix),
      {
        resourceGroupName: rg,
        virtualNetworkName: vnet.name,
        subnetName: ctx.name(suffix),
        addressPrefix: cidr,
        defaultOutboundAccess: false,
        ...(nat ? { natGateway: { id: nat.id } } : {}),
        ...storageEndpoint,
        ...extra,
      },
      { ...opts, dependsOn },
    );
  const machines = subnet("subnet", plan.network.subnetCidr, {}, []);
  if (!plan.bigData?.managed) return { vnetId: vnet.id, subnetId: machines.id };
  const bigDataCidr = plan.network.privateSubnetCidr ?? "10.42.16.0/20";
  const nsg = new NetworkSecurityGroup(
    ctx.name("nsg-bigdata"),
    {
      ...where,
      networkSecurityGroupName: ctx.name("nsg-bigdata"),
      securityRules: bigDataNsgRules(bigDataCidr).map((r) => toSecurityRule(r, asgId)),
      tags: tagsFor(ctx, "bigdata"),
    },
    opts,
  );
  // One subnet operation at a time per VNet: Azure answers a concurrent one with AnotherOperationInProgress.
  const bigData = subnet("subnet-bigdata", bigDataCidr, { networkSecurityGroup: { id: nsg.id } }, [machines]);
  return { vnetId: vnet.id, subnetId: machines.id, bigDataSubnetId: bigData.id };
}

export function createNetwork(ctx: EmitContext): AzureNetwork {
  const plan = ctx.plan;
  const provider = sessionProvider(ctx);
  const opts: pulumi.CustomResourceOptions = { parent: ctx.parent, provider, transformations: [withoutVersionAliases] };
  const rg = new ResourceGroup(ctx.name("rg"), { resourceGroupName: ctx.name("rg"), location: plan.region!, tags: tagsFor(ctx) }, opts);
  const groups = securityGroups(ctx, rg.name, opts);
  let subnets: Subnets;
  if (plan.network.existing) {
    const subnetId = givenSubnet(ctx, { parent: ctx.parent, provider });
    subnets = { vnetId: plan.network.existing.id, subnetId, ...(plan.bigData?.managed ? { bigDataSubnetId: subnetId } : {}) };
  } else {
    subnets = newNetwork(ctx, rg.name, opts, groups.asgId);
  }
  return {
    provider: "azure",
    opts,
    location: plan.region!,
    resourceGroupName: rg.name,
    unique: rg.id.apply(uniqueOf),
    ...subnets,
    owned: !plan.network.existing,
    ...(groups.sessionAsg ? { sessionAsg: groups.sessionAsg } : {}),
    roleAsgs: groups.roleAsgs,
    roleNsgs: groups.roleNsgs,
    sshKeys: azureSshKeys(plan.sshPublicKeys),
  };
}
