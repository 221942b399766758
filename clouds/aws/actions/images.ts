/**
 * AWS machine images for the image catalog: a snapshot is an AMI whose disks are EBS snapshots.
 * Its size is the sum of its EBS volumes (what the snapshots hold at most: EBS bills the blocks
 * used, so this is an upper bound), and deleting it deregisters the AMI, then deletes each of its
 * EBS snapshots (deregistering alone leaves them, and their bill, behind).
 */
import type { Image } from "@aws-sdk/client-ec2";
import { ActionError, type ActionTarget, type ImageRemoval, type ImageStore, type StoredImage } from "../../../automation/actions/types.js";
import { Ec2Api } from "./ec2.js";

/** EC2's words for an image or snapshot that is not there (any more). */
const GONE = new Set(["InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", "InvalidSnapshot.NotFound"]);
const gone = (err: unknown) => err instanceof ActionError && (err.kind === "not-found" || GONE.has(String((err.cause as { name?: string } | undefined)?.name)));

export class AwsImages implements ImageStore {
  private readonly api: Ec2Api;

  constructor(ctx: { region?: string } = {}) {
    this.api = new Ec2Api(ctx.region);
  }

  /** Ec2Api speaks of machines: an image is named `images/<ami>` in its messages. */
  private target(i: StoredImage): ActionTarget {
    return { session: "images", machine: i.imageId, role: "machine", ...(i.region ? { region: i.region } : {}) };
  }

  private async describe(i: StoredImage): Promise<Image | undefined> {
    try {
      return await this.api.image(this.target(i), i.imageId);
    } catch (err) {
      if (gone(err)) return undefined;
      throw err;
    }
  }

  async sizeGb(i: StoredImage): Promise<number | undefined> {
    const image = await this.describe(i);
    const sizes = (image?.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeSize).filter((s): s is number => typeof s === "number");
    return sizes.length ? sizes.reduce((a, b) => a + b, 0) : undefined;
  }

  async remove(i: StoredImage): Promise<ImageRemoval> {
    const image = await this.describe(i);
    if (!image || image.State === "deregistered") return { deleted: [], gone: true };
    const snapshots = (image.BlockDeviceMappings ?? []).map((b) => b.Ebs?.SnapshotId).filter((s): s is string => Boolean(s));
    const t = this.target(i);
    await this.api.call(t, (sdk, c) => c.send(new sdk.DeregisterImageCommand({ ImageId: i.imageId })));
    const deleted = [`AMI ${i.imageId}`];
    for (const id of snapshots) {
      try {
        await this.api.call(t, (sdk, c) => c.send(new sdk.DeleteSnapshotCommand({ SnapshotId: id })));
        deleted.push(`EBS snapshot ${id}`);
      } catch (err) {
        if (!gone(err)) throw err;
      }
    }
    return { deleted };
  }
}
