/**
 * The session network: a custom-mode VPC with one subnetwork (GCP gives a machine a public
 * address per interface, so entry points and private machines share it) and, when some machine
 * has no public address, a Cloud Router with Cloud NAT so it still reaches package mirrors and
 * container registries. Or the network the formation names (then its egress is the owner's).
 * Then the default-deny firewall rules.
 */
import type * as pulumi from "@pulumi/pulumi";
import { Network } from "@pulumi/gcp/compute/network.js";
import { Subnetwork } from "@pulumi/gcp/compute/subnetwork.js";
import { Router } from "@pulumi/gcp/compute/router.js";
import { RouterNat } from "@pulumi/gcp/compute/routerNat.js";
import type { EmitContext } from "../../../components/adapter.js";
import { sessionProvider, type GcpNetwork } from "./provider.js";
import { createFirewalls } from "./firewall.js";

/** The last segment of a self link or id (`projects/p/global/networks/lab` → `lab`). */
export function lastSegment(id: string): string {
  return id.split("/").filter(Boolean).pop() ?? id;
}

interface Vpc {
  network: pulumi.Input<string>;
  networkName: pulumi.Input<string>;
  subnetwork?: pulumi.Input<string>;
  ready: pulumi.Resource[];
}

function newNetwork(ctx: EmitContext, region: string, opts: pulumi.CustomResourceOptions): Vpc {
  const plan = ctx.plan;
  const network = new Network(
    ctx.name("vpc"),
    { autoCreateSubnetworks: false, routingMode: "REGIONAL", description: `formations session ${plan.session}` },
    opts,
  );
  const subnet = new Subnetwork(
    ctx.name("subnet"),
    {
      network: network.id,
      region,
      ipCidrRange: plan.network.subnetCidr,
      // Dataproc nodes and private machines reach Google APIs (package mirrors on GCS) without NAT.
      privateIpGoogleAccess: true,
      description: `formations session ${plan.session}`,
    },
    opts,
  );
  const ready: pulumi.Resource[] = [];
  if (plan.machines.some((m) => !m.public)) {
    const router = new Router(ctx.name("router"), { network: network.id, region, description: `Cloud NAT of ${plan.session}` }, opts);
    ready.push(
      new RouterNat(
        ctx.name("nat"),
        {
          router: router.name,
          region,
          natIpAllocateOption: "AUTO_ONLY",
          // Only this subnetwork: a NAT never serves another network's machines.
          sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
          subnetworks: [{ name: subnet.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
          logConfig: { enable: true, filter: "ERRORS_ONLY" },
        },
        opts,
      ),
    );
  }
  return { network: network.id, networkName: network.name, subnetwork: subnet.id, ready };
}

function givenNetwork(ctx: EmitContext): Vpc {
  const existing = ctx.plan.network.existing!;
  // Without a subnetwork, an auto-mode network picks the region's own; a custom-mode one needs cloud.network.subnet.
  return { network: existing.id, networkName: lastSegment(existing.id), ...(existing.subnet ? { subnetwork: existing.subnet } : {}), ready: [] };
}

export function createNetwork(ctx: EmitContext): GcpNetwork {
  const { provider, project, region, zone } = sessionProvider(ctx);
  const opts: pulumi.CustomResourceOptions = { parent: ctx.parent, provider };
  const owned = !ctx.plan.network.existing;
  const vpc = owned ? newNetwork(ctx, region, opts) : givenNetwork(ctx);
  const firewalls = createFirewalls(ctx, vpc.network, opts);
  return { provider: "gcp", opts, project, region, zone, owned, ...vpc, ready: [...vpc.ready, ...firewalls] };
}
