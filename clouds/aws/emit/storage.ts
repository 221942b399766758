/**
 * HPC shared storage on AWS: an encrypted EFS file system with one mount target in the session's
 * zone, reachable on NFS (2049) from the session's machines only. EFS grows with its content, so
 * `sharedStorage.sizeGb` sizes the estimate, not the file system.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlannedStorage } from "../../../plan/types.js";
import type { EmitContext, StorageHandle } from "../../../components/adapter.js";
import { tagsFor, type AwsNetwork } from "./provider.js";
import { ec2, efs } from "./sdk.js";

export function createSharedStorage(ctx: EmitContext, net: AwsNetwork, storage: PlannedStorage): StorageHandle | undefined {
  // head-nfs: the head node exports the directory itself (cloud-init); volume: Docker only.
  if (storage.kind !== "managed") return undefined;
  if (!net.sessionGroup) throw new Error("shared storage needs the session's security group (an HPC plan has one)");
  const opts = net.opts;
  const fs = new efs.FileSystem(
    ctx.name("shared"),
    { encrypted: true, performanceMode: "generalPurpose", throughputMode: "elastic", tags: tagsFor(ctx, "shared", "storage") },
    opts,
  );
  const group = new ec2.SecurityGroup(
    ctx.name("sg-shared"),
    {
      vpcId: net.vpcId,
      description: `${ctx.plan.session}: NFS to the shared file system from the session's machines only`,
      ingress: [{ protocol: "tcp", fromPort: 2049, toPort: 2049, securityGroups: [net.sessionGroup.id], description: "NFS from the session" }],
      // A mount target answers; it never opens connections.
      egress: [],
      tags: tagsFor(ctx, "sg-shared", "storage"),
    },
    opts,
  );
  const mount = new efs.MountTarget(ctx.name("shared-mount"), { fileSystemId: fs.id, subnetId: net.privateSubnetId, securityGroups: [group.id] }, opts);
  // Machines mount once the mount target exists, not merely the file system.
  const source = pulumi.all([fs.dnsName, mount.id]).apply(([dns]) => `${dns}:/`);
  return { source, mountPath: storage.mountPath, type: "nfs" };
}
