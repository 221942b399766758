/**
 * The session's own OpenStack provider (the plan's region) and the small helpers the other
 * OpenStack modules share: the network handle, tags, and the settings an operator may give as
 * Pulumi config (the external network's name differs from cloud to cloud).
 *
 * `@pulumi/openstack` is imported one module file at a time: importing a folder's index from ESM
 * makes Node read every lazy export of it, which loads the whole folder (see README.md).
 */
import * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/openstack/provider.js";
import type { SecGroup } from "@pulumi/openstack/networking/secGroup.js";
import type { Provider as CloudProvider } from "../../../format/types.js";
import type { Role } from "../../../plan/types.js";
import type { EmitContext, NetworkHandle } from "../../../components/adapter.js";

/** What the OpenStack adapter's other calls get back from `network()`. */
export interface OpenStackNetwork extends NetworkHandle {
  /** openstack, or a cloud built on it that reuses this adapter's servers (ovh). */
  readonly provider: CloudProvider;
  /** Parent (the kind's component) and the session's provider: the options of every child. */
  readonly opts: pulumi.CustomResourceOptions;
  readonly region: string;
  readonly networkId: pulumi.Input<string>;
  /** The subnet ports take their address from; undefined on a given network without one (Neutron picks). */
  readonly subnetId?: pulumi.Input<string>;
  /** The subnet's CIDR, for NFS exports and Manila access rules; undefined when Neutron picks the subnet. */
  readonly subnetCidr?: pulumi.Input<string>;
  /** Name of the external network: the router's gateway and the floating IPs' pool. */
  readonly externalNetwork: string;
  /** What a floating IP waits for: the subnet must be on a router with an external gateway first. */
  readonly routed: pulumi.Resource[];
  /** True when the network was made for this session. */
  readonly owned: boolean;
  /** The group whose members talk to each other ("session" rules). */
  readonly sessionGroup?: SecGroup;
  /** One default-deny group per role, with the ingress its machines' plans allow. */
  readonly roleGroups: ReadonlyMap<Role, SecGroup>;
  /** The Nova key pair of the first ssh key (the other keys come in through cloud-init). */
  readonly keyPairName?: pulumi.Output<string>;
  /** Glance lookups by image name, one per distinct name. */
  readonly images: Map<string, pulumi.Output<string>>;
}

/** Operator settings (Pulumi config, namespace `formations`), with documented defaults. */
export interface OpenStackSettings {
  /** `formations:externalNetwork`: the provider network with the floating IPs; default "public". */
  externalNetwork: string;
  /** `formations:dnsNameservers`: comma-separated resolvers for a session subnet; default: the cloud's DHCP. */
  dnsNameservers: string[];
}

export function settings(): OpenStackSettings {
  const config = new pulumi.Config("formations");
  return {
    externalNetwork: config.get("externalNetwork") ?? "public",
    dnsNameservers: (config.get("dnsNameservers") ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  };
}

export function sessionProvider(ctx: EmitContext): Provider {
  const region = ctx.plan.region;
  if (!region) throw new Error("an openstack formation needs cloud.region");
  // Credentials come from the usual OS_* variables or clouds.yaml (OS_CLOUD), never from the formation.
  return new Provider(ctx.name("openstack"), { region }, { parent: ctx.parent });
}

/** Neutron and Nova refuse tags longer than 60 characters. */
export const TAG_LIMIT = 60;

/**
 * Tags of a resource: the session's labels (plus its role) as `key=value`. A pair longer than
 * Neutron's limit is left out of the tags (the session tag always fits: names are at most 40
 * characters); instances keep every label in their metadata, which allows 255.
 */
export function tagsOf(labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .filter((t) => t.length <= TAG_LIMIT);
}

export function tagsFor(ctx: EmitContext, role?: string): string[] {
  return tagsOf(ctx.labels(role));
}

/** A Glance image or Neutron subnet given by UUID rather than by name. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
