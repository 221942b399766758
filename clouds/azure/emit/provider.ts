/**
 * The session's own azure-native provider (the plan's location) and the helpers the other Azure
 * modules share: tags, names, SSH keys. Every Azure resource of a session goes through this
 * provider, so no ambient `azure-native:location` config can send it elsewhere.
 *
 * The SDK is imported one file at a time (`@pulumi/azure-native/network/subnet.js`), never a
 * service's `index.js`: under ESM, Node reads every named export of a CommonJS module, which
 * triggers every lazy getter of the index, so `network/index.js` loads ~290 files (about 0.7 s)
 * where the files used here load in about 10 ms each.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/azure-native/provider.js";
import type { ApplicationSecurityGroup } from "@pulumi/azure-native/network/applicationSecurityGroup.js";
import type { NetworkSecurityGroup } from "@pulumi/azure-native/network/networkSecurityGroup.js";
import type { Role } from "../../../plan/types.js";
import type { EmitContext, NetworkHandle } from "../../../components/adapter.js";

/** What the Azure adapter's other calls get back from `network()`. */
export interface AzureNetwork extends NetworkHandle {
  readonly provider: "azure";
  /** Parent (the kind's component) and the session's provider: the options of every child. */
  readonly opts: pulumi.CustomResourceOptions;
  readonly location: string;
  /** The session's resource group: everything of the session lives (and is deleted) in it. */
  readonly resourceGroupName: pulumi.Output<string>;
  /** Hex digits unique to the subscription and resource group (ARM's `uniqueString` idiom) for globally unique names. */
  readonly unique: pulumi.Output<string>;
  readonly vnetId: pulumi.Input<string>;
  /** The machines' subnet. */
  readonly subnetId: pulumi.Input<string>;
  /** HDInsight's own subnet (with its subnet-level group); the machines' subnet in a given network. */
  readonly bigDataSubnetId?: pulumi.Input<string>;
  /** True when the network was made for this session (its subnets carry our NAT and service endpoints). */
  readonly owned: boolean;
  /** Machines that talk to each other ("session" rules) are members of this group. */
  readonly sessionAsg?: ApplicationSecurityGroup;
  /** One group per role another role's rules refer to (a VirtualLab target allows its proxy's). */
  readonly roleAsgs: ReadonlyMap<Role, ApplicationSecurityGroup>;
  /** One default-deny network security group per role, attached to its machines' NICs. */
  readonly roleNsgs: ReadonlyMap<Role, NetworkSecurityGroup>;
  /** The session's keys Azure's VM API accepts (RSA and Ed25519); cloud-init installs them all. */
  readonly sshKeys: readonly string[];
}

export function sessionProvider(ctx: EmitContext): Provider {
  const location = ctx.plan.region;
  if (!location) throw new Error("an azure formation needs cloud.region (the Azure location, e.g. westeurope)");
  return new Provider(ctx.name("azure"), { location }, { parent: ctx.parent });
}

/** Tags of a resource: the session's labels and its role (Azure has no default tags: each resource gets them). */
export function tagsFor(ctx: EmitContext, role?: string): Record<string, string> {
  return ctx.labels(role);
}

/** 8 hex digits from a resource group id: stable for the session, different in every subscription. */
export function uniqueOf(resourceGroupId: string): string {
  return createHash("sha256").update(resourceGroupId.toLowerCase()).digest("hex").slice(0, 8);
}

/**
 * A storage account name: 3-24 lower-case letters and digits, unique in all of Azure. The
 * session's letters keep it readable; the unique suffix keeps it unique.
 */
export function storageAccountName(prefix: string, session: string, unique: string): string {
  const room = 24 - prefix.length - unique.length;
  return `${prefix}${session.replace(/[^a-z0-9]/g, "").slice(0, room)}${unique}`;
}

/** Key types the Azure VM API accepts in `linuxConfiguration.ssh` (ECDSA and others are refused). */
export function azureSshKeys(keys: readonly string[]): string[] {
  return keys.filter((k) => /^(ssh-rsa|ssh-ed25519) /.test(k.trim()));
}

/** An alias azure-native declares for an explicit API version of the same type (`azure-native:compute/v20241101:VirtualMachine`). */
export function isVersionAlias(alias: unknown): boolean {
  if (typeof alias !== "object" || alias === null || !("type" in alias)) return false;
  const type = (alias as { type?: unknown }).type;
  return typeof type === "string" && /^azure-native:[A-Za-z0-9]+\/v\d{8}[a-z]*:/.test(type);
}

/**
 * Drops azure-native's API-version aliases (29 on a VM, about 60 on each network type). Pulumi
 * turns every alias into outputs and URNs at construction, which made a 200-node session take
 * ten times the time and memory; sessions only ever use the default (unversioned) types, so
 * those aliases can never match anything in their state. Any other alias is kept.
 */
export const withoutVersionAliases: pulumi.ResourceTransformation = ({ type, props, opts }) => {
  if (!type.startsWith("azure-native:") || !opts.aliases?.length) return undefined;
  return { props, opts: { ...opts, aliases: opts.aliases.filter((a) => !isVersionAlias(a)) } };
};

/** Outbound is Azure's default (AllowVnetOutBound, AllowInternetOutBound); inbound ends with this rule. */
export const DENY_ALL_PRIORITY = 4096;
