/**
 * HPC shared storage on OpenStack. Manila is not deployed on every cloud, so the catalog plans
 * `head-nfs`: the head node exports the directory over NFS (plan/cloudinit) from its boot volume,
 * which grows by `sharedStorage.sizeGb` (machine.ts), and this returns undefined.
 *
 * Where Manila exists, set `managedStorage: true` (and its price) in clouds/openstack/catalog.ts:
 * plans then say `managed` and this creates an NFS share of `sizeGb` with read-write access for
 * the session subnet only; every node mounts its export location. A cloud whose share type needs
 * a share network takes it from `formations:manilaShareNetwork`, the type from
 * `formations:manilaShareType`.
 */
import * as pulumi from "@pulumi/pulumi";
import { Share } from "@pulumi/openstack/sharedfilesystem/share.js";
import { ShareAccess } from "@pulumi/openstack/sharedfilesystem/shareAccess.js";
import type { PlannedStorage } from "../../../plan/types.js";
import type { EmitContext, StorageHandle } from "../../../components/adapter.js";
import type { OpenStackNetwork } from "./provider.js";

export function createSharedStorage(ctx: EmitContext, net: OpenStackNetwork, storage: PlannedStorage): StorageHandle | undefined {
  if (storage.kind !== "managed") return undefined;
  if (!net.subnetCidr) throw new Error("a Manila share is opened to the session subnet: name it in cloud.network.subnet");
  const config = new pulumi.Config("formations");
  const shareNetwork = config.get("manilaShareNetwork");
  const shareType = config.get("manilaShareType");
  const share = new Share(
    ctx.name("shared"),
    {
      name: `${ctx.plan.session}-shared`,
      description: `formations session ${ctx.plan.session}: shared storage at ${storage.mountPath}`,
      shareProto: "NFS",
      size: storage.sizeGb,
      ...(shareNetwork ? { shareNetworkId: shareNetwork } : {}),
      ...(shareType ? { shareType } : {}),
      metadata: { ...ctx.labels("storage") },
    },
    net.opts,
  );
  // Read-write for the session's subnet only: nothing else reaches the export.
  const access = new ShareAccess(ctx.name("shared-access"), { shareId: share.id, accessType: "ip", accessTo: net.subnetCidr, accessLevel: "rw" }, net.opts);
  // Machines mount once access is granted, not merely once the share exists.
  const source = pulumi.all([share.exportLocations, access.id]).apply(([locations]) => {
    const path = (locations.find((l) => String(l.preferred) === "true") ?? locations[0])?.path;
    if (!path) throw new Error(`Manila share ${ctx.plan.session}-shared has no export location`);
    return path;
  });
  return { source, mountPath: storage.mountPath, type: "nfs" };
}
