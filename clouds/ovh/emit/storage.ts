/**
 * HPC shared storage on OVHcloud: a Public Cloud File Storage share (managed NFS) on the session's
 * private network, readable and writable from its subnet only. OVHcloud's API makes the share
 * network (the share's foothold in the subnet), the share and its access rule; every node mounts
 * the share's export.
 */
import * as pulumi from "@pulumi/pulumi";
import { CloudStorageFileShareNetwork } from "@ovhcloud/pulumi-ovh/cloudStorageFileShareNetwork.js";
import { CloudStorageFileShare } from "@ovhcloud/pulumi-ovh/cloudStorageFileShare.js";
import { CloudStorageFileShareAcl } from "@ovhcloud/pulumi-ovh/cloudStorageFileShareAcl.js";
import type { PlannedStorage } from "../../../plan/types.js";
import type { EmitContext, StorageHandle } from "../../../components/adapter.js";
import { ovh as catalog } from "../catalog.js";
import type { OvhNetwork } from "./network.js";

/** The share type of a single-zone region's File Storage. */
export const SHARE_TYPE = "STANDARD_1AZ";

export function createSharedStorage(ctx: EmitContext, net: OvhNetwork, storage: PlannedStorage): StorageHandle | undefined {
  if (storage.kind !== "managed") return undefined;
  if (!net.subnetId || !net.subnetCidr) throw new Error("an OVHcloud File Storage share is opened to the session subnet: name it in cloud.network.subnet");
  const { serviceName, opts } = net.project;
  const region = net.region;
  const shareNet = new CloudStorageFileShareNetwork(
    ctx.name("share-net"),
    { serviceName, region, name: `${ctx.plan.session}-share-net`, networkId: net.networkId, subnetId: net.subnetId },
    opts,
  );
  const share = new CloudStorageFileShare(
    ctx.name("shared"),
    {
      serviceName,
      region,
      name: `${ctx.plan.session}-shared`,
      description: `formations session ${ctx.plan.session}: shared storage at ${storage.mountPath}`,
      protocol: "NFS",
      shareType: SHARE_TYPE,
      // File Storage has a minimum size (the catalog's, noted in the plan when more than asked).
      size: Math.max(storage.sizeGb, catalog.sharedStorageMinGb ?? 0),
      shareNetworkId: shareNet.id,
    },
    opts,
  );
  const acl = new CloudStorageFileShareAcl(
    ctx.name("shared-acl"),
    { serviceName, shareId: share.id, accessTo: net.subnetCidr, accessLevel: "READ_WRITE" },
    opts,
  );
  // Machines mount once access is granted, not merely once the share exists.
  const source = pulumi.all([share.currentState, acl.id]).apply(([state]) => {
    const locations = state?.exportLocations ?? [];
    const path = (locations.find((l) => l.preferred) ?? locations[0])?.path;
    if (!path) throw new Error(`File Storage share ${ctx.plan.session}-shared has no export location`);
    return path;
  });
  return { source, mountPath: storage.mountPath, type: "nfs" };
}
