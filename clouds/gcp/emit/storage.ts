/**
 * HPC shared storage on GCP: a Filestore Basic HDD instance in the session's zone, one share
 * (`/shared`) exported read-write only to the session's subnetwork. Basic HDD provisions 1 TiB
 * at least: a smaller `sharedStorage.sizeGb` is rounded up (the plan notes it; the estimate
 * bills the rounded size). It serves NFSv3, which boot.ts mounts.
 */
import { Instance } from "@pulumi/gcp/filestore/instance.js";
import type { PlannedStorage } from "../../../plan/types.js";
import { gcp as catalog } from "../catalog.js";
import type { EmitContext, StorageHandle } from "../../../components/adapter.js";
import { labelsFor, note, type GcpNetwork } from "./provider.js";

/** The share's name (Filestore: letters, digits and `_`, at most 16 characters). */
export const SHARE = "shared";
/** Basic HDD's largest share (63.9 TiB). */
const BASIC_HDD_MAX_GB = 65434;

/** The provisioned capacity: the asked size within Basic HDD's limits. */
export function filestoreCapacityGb(sizeGb: number): number {
  return Math.min(Math.max(sizeGb, catalog.sharedStorageMinGb ?? 1024), BASIC_HDD_MAX_GB);
}

export function createSharedStorage(ctx: EmitContext, net: GcpNetwork, storage: PlannedStorage): StorageHandle | undefined {
  // head-nfs: the head node exports the directory itself (cloud-init).
  if (storage.kind !== "managed") return undefined;
  const capacityGb = filestoreCapacityGb(storage.sizeGb);
  // Rounding up to the minimum is noted by the planner (the catalog's sharedStorageMinGb).
  if (capacityGb < storage.sizeGb) note(ctx, `shared storage: Filestore Basic HDD holds at most ${capacityGb} GB; ${storage.sizeGb} GB was asked`);
  const fs = new Instance(
    ctx.name("shared"),
    {
      name: `${ctx.plan.session}-shared`,
      location: net.zone,
      tier: "BASIC_HDD",
      description: `shared file system of ${ctx.plan.session} (${storage.mountPath})`,
      fileShares: {
        name: SHARE,
        capacityGb,
        // Only the session's own subnetwork may mount it (a given network's ranges are its owner's business).
        ...(net.owned ? { nfsExportOptions: [{ ipRanges: [ctx.plan.network.subnetCidr], accessMode: "READ_WRITE", squashMode: "NO_ROOT_SQUASH" }] } : {}),
      },
      networks: [{ network: net.networkName, modes: ["MODE_IPV4"], connectMode: "DIRECT_PEERING" }],
      labels: labelsFor(ctx, "storage"),
    },
    { ...net.opts, deleteBeforeReplace: true },
  );
  const source = fs.networks.apply((n) => {
    const ip = n[0]?.ipAddresses?.[0];
    if (!ip) throw new Error(`Filestore instance ${ctx.plan.session}-shared has no address`);
    return `${ip}:/${SHARE}`;
  });
  return { source, mountPath: storage.mountPath, type: "nfs" };
}
