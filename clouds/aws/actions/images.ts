/**
 * AWS machine images for the image catalog: a snapshot is an AMI whose disks are EBS snapshots.
 * Its size is the sum of its EBS volumes (what the snapshots hold at most: EBS bills the blocks
 * used, so this is an upper bound).
 *
 * Deleting it: read the AMI (EC2 no longer has it: gone, nothing sent); refuse it unless it, and
 * each EBS snapshot its block device mappings name, carries the tags formations' snapshot put on
 * both (ec2.ts createImage: `managed-by: formations` and `formations-snapshot-of`), all checked
 * before any deleting call, so an AMI someone else registered, or a snapshot of theirs an AMI
 * points at, is never touched; then deregister the AMI and delete each of those snapshots
 * (deregistering alone leaves them, and their bill, behind). Only the snapshots the AMI's own
 * mappings name are ever deleted. A failure halfway says what was deleted and what was not.
 */
import type { Image, Tag } from "@aws-sdk/client-ec2";
import { MANAGED_BY_TAG, SNAPSHOT_OF_TAG, Ec2Api } from "./ec2.js";
import { ActionError, type ActionTarget, type ImageRemoval, type ImageStore, type StoredImage } from "../../../automation/actions/types.js";
import { UserError } from "../../../user-error.js";

/** EC2's words for an image or snapshot that is not there (any more). */
const GONE = new Set(["InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", "InvalidSnapshot.NotFound"]);
const gone = (err: unknown) => err instanceof ActionError && (err.kind === "not-found" || GONE.has(String((err.cause as { name?: string } | undefined)?.name)));

/** The marks formations' snapshot sets that these tags lack ([] when they carry both). */
export function missingMarks(tags: readonly Tag[] | undefined): string[] {
  const value = (key: string) => tags?.find((t) => t.Key === key)?.Value;
  return [
    ...(value(MANAGED_BY_TAG.Key) === MANAGED_BY_TAG.Value ? [] : [`${MANAGED_BY_TAG.Key}: ${MANAGED_BY_TAG.Value}`]),
    ...(value(SNAPSHOT_OF_TAG) ? [] : [SNAPSHOT_OF_TAG]),
  ];
}

const MARKS = `${MANAGED_BY_TAG.Key}: ${MANAGED_BY_TAG.Value} and ${SNAPSHOT_OF_TAG}`;

export class AwsImages implements ImageStore {
  private readonly api: Ec2Api;
  private readonly region?: string;

  constructor(ctx: { region?: string } = {}) {
    this.api = new Ec2Api(ctx.region);
    if (ctx.region) this.region = ctx.region;
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

  /** The tags of each snapshot EC2 still has, by id (one gone is left out). */
  private async snapshotTags(t: ActionTarget, ids: string[]): Promise<Map<string, Tag[] | undefined>> {
    if (!ids.length) return new Map();
    try {
      const out = await this.api.call(t, (sdk, c) => c.send(new sdk.DescribeSnapshotsCommand({ SnapshotIds: ids })));
      return new Map((out.Snapshots ?? []).flatMap((s) => (s.SnapshotId && ids.includes(s.SnapshotId) ? [[s.SnapshotId, s.Tags] as const] : [])));
    } catch (err) {
      if (!gone(err)) throw err;
      if (ids.length === 1) return new Map();
      // EC2 answers for none when one of them is gone: ask for each.
      const each = new Map<string, Tag[] | undefined>();
      for (const id of ids) for (const [k, v] of await this.snapshotTags(t, [id])) each.set(k, v);
      return each;
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
    const snapshots = [...new Set((image.BlockDeviceMappings ?? []).map((b) => b.Ebs?.SnapshotId).filter((s): s is string => Boolean(s)))];
    const region = i.region ?? this.region;
    const aws = `aws ec2${region ? ` --region ${region}` : ""}`;
    const byHand = (ids: string[]) =>
      `if it is yours to delete: ${aws} deregister-image --image-id ${i.imageId}${ids.length ? `, then ${aws} delete-snapshot --snapshot-id SNAP for each of ${ids.join(", ")}` : ""}`;
    const missing = missingMarks(image.Tags);
    if (missing.length)
      throw new UserError(
        `AMI ${i.imageId} (${image.Name ?? i.name}) lacks the tag${missing.length > 1 ? "s" : ""} ${missing.join(" and ")}: formations' snapshot tags every image it takes with ${MARKS}, and deletes only those, so nothing was deleted`,
        1,
        byHand(snapshots),
      );
    const t = this.target(i);
    const live = await this.snapshotTags(t, snapshots);
    const unmarked = [...live].flatMap(([id, tags]) => {
      const m = missingMarks(tags);
      return m.length ? [`${id} (no ${m.join(", no ")})`] : [];
    });
    if (unmarked.length)
      throw new UserError(
        `AMI ${i.imageId} (${image.Name ?? i.name}) is formations', but its EBS snapshot${unmarked.length > 1 ? "s" : ""} ${unmarked.join(", ")} lack${unmarked.length > 1 ? "" : "s"} the tags formations' snapshot puts on the snapshots it takes (${MARKS}): formations deletes only what it made, so nothing was deleted`,
        1,
        byHand([...live.keys()]),
      );
    const deleted: string[] = [];
    const toDelete = snapshots.filter((s) => live.has(s));
    const step = async (what: string, send: () => Promise<unknown>, left: string[], fix: string) => {
      try {
        await send();
        deleted.push(what);
      } catch (err) {
        // Deleted by someone else meanwhile: nothing left to do for it.
        if (gone(err)) return;
        const e = err instanceof ActionError ? err : new ActionError("other", String(err));
        const done = deleted.length ? `deleted ${deleted.join(", ")}; ` : "nothing was deleted; ";
        throw new ActionError(e.kind, `${e.message}; ${done}still there: ${left.join(", ")} (${fix})`, {}, { cause: err });
      }
    };
    await step(
      `AMI ${i.imageId}`,
      () => this.api.call(t, (sdk, c) => c.send(new sdk.DeregisterImageCommand({ ImageId: i.imageId }))),
      [`AMI ${i.imageId}`, ...toDelete.map((s) => `EBS snapshot ${s}`)],
      "images delete again does it once that is fixed",
    );
    for (const [n, id] of toDelete.entries())
      await step(
        `EBS snapshot ${id}`,
        () => this.api.call(t, (sdk, c) => c.send(new sdk.DeleteSnapshotCommand({ SnapshotId: id }))),
        toDelete.slice(n).map((s) => `EBS snapshot ${s}`),
        // The AMI is gone, so images delete again would find nothing: the snapshots are left to delete by hand.
        `the AMI is deregistered: ${aws} delete-snapshot --snapshot-id SNAP for each once that is fixed`,
      );
    return { deleted };
  }
}
