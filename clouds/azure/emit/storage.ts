/**
 * HPC shared storage on Azure: an Azure Files NFS 4.1 share in a premium FileStorage account.
 * The account refuses every network but the session's machine subnet (a service endpoint on
 * it), and public blob access and shared-key tricks are off. NFS on Azure Files does not use
 * HTTPS, so "secure transfer required" must be off for the account: the traffic never leaves
 * the virtual network.
 */
import * as pulumi from "@pulumi/pulumi";
import { StorageAccount } from "@pulumi/azure-native/storage/storageAccount.js";
import { FileShare } from "@pulumi/azure-native/storage/fileShare.js";
import type { PlannedStorage } from "../../../plan/types.js";
import { azure as catalog } from "../catalog.js";
import type { EmitContext, StorageHandle } from "../../../components/adapter.js";
import { storageAccountName, tagsFor, type AzureNetwork } from "./provider.js";

export const SHARE_NAME = "shared";

/** A premium share is provisioned (and billed) by size: at least the catalog's minimum. */
export function shareQuotaGb(sizeGb: number): number {
  return Math.max(sizeGb, catalog.sharedStorageMinGb ?? 100);
}

/** What machines mount: `<account>.file.core.windows.net:/<account>/<share>`. */
export function nfsSource(account: string, share: string): string {
  return `${account}.file.core.windows.net:/${account}/${share}`;
}

export function createSharedStorage(ctx: EmitContext, net: AzureNetwork, storage: PlannedStorage): StorageHandle | undefined {
  // head-nfs: the head node exports the directory itself (cloud-init); volume: Docker only.
  if (storage.kind !== "managed") return undefined;
  const accountName = net.unique.apply((u) => storageAccountName("nfs", ctx.plan.session, u));
  const account = new StorageAccount(
    ctx.name("shared"),
    {
      resourceGroupName: net.resourceGroupName,
      location: net.location,
      accountName,
      kind: "FileStorage",
      sku: { name: "Premium_LRS" },
      enableHttpsTrafficOnly: false,
      minimumTlsVersion: "TLS1_2",
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      publicNetworkAccess: "Enabled",
      networkRuleSet: { defaultAction: "Deny", bypass: "None", virtualNetworkRules: [{ virtualNetworkResourceId: net.subnetId, action: "Allow" }] },
      tags: tagsFor(ctx, "storage"),
    },
    net.opts,
  );
  const share = new FileShare(
    ctx.name("shared-share"),
    {
      resourceGroupName: net.resourceGroupName,
      accountName,
      shareName: SHARE_NAME,
      enabledProtocols: "NFS",
      // Root on the head node sets up the directory (chmod 1777) and Slurm jobs may run as root.
      rootSquash: "NoRootSquash",
      shareQuota: shareQuotaGb(storage.sizeGb),
    },
    { ...net.opts, dependsOn: [account] },
  );
  // Machines mount once the share exists, not merely the account.
  const source = pulumi.all([accountName, share.id]).apply(([name]) => nfsSource(name, SHARE_NAME));
  return { source, mountPath: storage.mountPath, type: "nfs" };
}
