/**
 * Azure machine images for the image catalog. A snapshot is a gallery image version (image.ts
 * says why): Azure stores its disks inside the gallery, as replicas of the version, so deleting
 * the version deletes them; there is no separate disk snapshot to delete. Sized by its OS and
 * data disk images (`sizeInGB`, the disks' provisioned sizes: an upper bound of what is billed).
 *
 * Deleting it: read the version; refuse one formations did not make (it carries the tags the
 * snapshot set: `managed-by: formations` and `formations-snapshot-of`); DELETE it (a long-running
 * operation, waited for); then, when its image definition holds no version any more and is
 * formations' too, delete the definition (free, but it counts against the subscription's quota
 * of definitions). The gallery and its resource group stay: every snapshot of the region shares
 * them. A 404 anywhere means someone got there first. Throttled and passing failures are retried
 * per call (there is no batch around `images delete`), after Azure's Retry-After.
 */
import type { ComputeManagementClient, GalleryImageVersion } from "@azure/arm-compute";
import { AzureArm, type ArmOptions, type Poller } from "./arm.js";
import { retrying, type RetryOptions } from "../../../automation/actions/retry.js";
import { ActionError, type ImageRemoval, type ImageStore, type StoredImage } from "../../../automation/actions/types.js";
import { UserError } from "../../../user-error.js";

export interface AzureImagesOptions extends ArmOptions, RetryOptions {
  /** Interval of long-running operation polls, in ms; default 5 000 (tests pass 0). */
  pollMs?: number;
  /** How long one deletion is waited for, in ms; default 600 000 (a version with replicas in several regions takes minutes). */
  waitMs?: number;
}

/** Where a gallery image version is. */
export interface VersionRef {
  subscription: string;
  resourceGroup: string;
  gallery: string;
  definition: string;
  version: string;
}

/** Takes a gallery image version id apart (ARM ids are case-insensitive); throws when it is not one. */
export function parseVersionId(id: string): VersionRef {
  const m =
    /^\/?subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/galleries\/([^/]+)\/images\/([^/]+)\/versions\/([^/]+)\/?$/i.exec(
      id.trim(),
    );
  if (!m)
    throw new ActionError(
      "other",
      `'${id}' is not an Azure gallery image version id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/galleries/<gallery>/images/<definition>/versions/<version>)`,
    );
  return { subscription: m[1]!, resourceGroup: m[2]!, gallery: m[3]!, definition: m[4]!, version: m[5]! };
}

/** Whether a resource's tags say the formations snapshot made it. */
export const isFormations = (tags: Readonly<Record<string, string>> | undefined): boolean =>
  tags?.["managed-by"] === "formations" && Boolean(tags["formations-snapshot-of"]);

const notFound = (err: unknown) => err instanceof ActionError && err.kind === "not-found";

export class AzureImages implements ImageStore {
  readonly arm: AzureArm;
  private readonly pollMs: number;
  private readonly waitMs: number;

  constructor(private readonly opts: AzureImagesOptions = {}) {
    this.arm = new AzureArm(opts);
    this.pollMs = opts.pollMs ?? 5_000;
    this.waitMs = opts.waitMs ?? 600_000;
  }

  async sizeGb(i: StoredImage): Promise<number | undefined> {
    const v = await this.version(parseVersionId(i.imageId), i);
    const profile = v?.storageProfile;
    const sizes = [profile?.osDiskImage?.sizeInGB, ...(profile?.dataDiskImages ?? []).map((d) => d.sizeInGB)].filter(
      (s): s is number => typeof s === "number" && s > 0,
    );
    return sizes.length ? sizes.reduce((a, b) => a + b, 0) : undefined;
  }

  async remove(i: StoredImage): Promise<ImageRemoval> {
    const ref = parseVersionId(i.imageId);
    const v = await this.version(ref, i);
    if (!v) return { deleted: [], gone: true };
    if (!isFormations(v.tags))
      throw new UserError(
        `Azure image version ${i.imageId} does not carry the tags formations' snapshot sets (managed-by: formations, formations-snapshot-of): formations deletes only images it took, so nothing was deleted`,
        1,
        `if it is yours to delete: az sig image-version delete -g ${ref.resourceGroup} -r ${ref.gallery} -i ${ref.definition} -e ${ref.version}`,
      );
    const what = `image version ${ref.definition}/${ref.version} of gallery ${ref.gallery}`;
    const gone = await this.delete(ref, what, (c, poll) =>
      c.galleryImageVersions.beginDelete(ref.resourceGroup, ref.gallery, ref.definition, ref.version, poll),
    );
    // Deleted by someone else meanwhile: the image is gone all the same, and what follows is theirs to decide.
    if (gone) return { deleted: [], gone: true };
    const deleted = [`gallery image version ${i.imageId}`];
    try {
      const definition = await this.emptyDefinition(ref);
      if (definition) {
        await this.delete(ref, `image definition ${ref.definition} of gallery ${ref.gallery}`, (c, poll) =>
          c.galleryImages.beginDelete(ref.resourceGroup, ref.gallery, ref.definition, poll),
        );
        deleted.push(`gallery image definition ${definition} (it held no other version)`);
      }
    } catch (err) {
      const e = err instanceof ActionError ? err : new ActionError("other", String(err));
      throw new ActionError(
        e.kind,
        `deleted ${deleted.join(", ")}, but not its image definition ${ref.definition}, now empty (it costs nothing; the machine's next snapshot reuses it): ${e.message}`,
        {},
        { cause: err },
      );
    }
    return { deleted };
  }

  /** The version, or undefined when Azure has none. */
  private async version(ref: VersionRef, i: StoredImage): Promise<GalleryImageVersion | undefined> {
    try {
      return await retrying(
        () =>
          this.arm.within(ref.subscription, `image ${i.name}`, (c) => c.galleryImageVersions.get(ref.resourceGroup, ref.gallery, ref.definition, ref.version)),
        this.opts,
      );
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  }

  /** The definition's id when it holds no version and formations made it; undefined otherwise. */
  private async emptyDefinition(ref: VersionRef): Promise<string | undefined> {
    const what = `image definition ${ref.definition} of gallery ${ref.gallery}`;
    return retrying(async () => {
      try {
        return await this.arm.within(ref.subscription, what, async (c) => {
          const def = await c.galleryImages.get(ref.resourceGroup, ref.gallery, ref.definition);
          if (!isFormations(def.tags)) return undefined;
          const first = await c.galleryImageVersions.listByGalleryImage(ref.resourceGroup, ref.gallery, ref.definition).next();
          return first.done ? (def.id ?? ref.definition) : undefined;
        });
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    }, this.opts);
  }

  /** Starts a deletion and waits for it within the bound; true when the resource was already gone. */
  private async delete(
    ref: VersionRef,
    what: string,
    begin: (c: ComputeManagementClient, poll: { updateIntervalInMs: number }) => Promise<Poller>,
  ): Promise<boolean> {
    try {
      const finished = await retrying(async () => {
        const poller = await this.arm.within(ref.subscription, what, (c) => begin(c, { updateIntervalInMs: this.pollMs }));
        return this.arm.settle(poller, this.waitMs, what);
      }, this.opts);
      if (!finished)
        throw new ActionError(
          "timeout",
          `Azure is still deleting ${what} after ${this.waitMs / 1000} s: run images delete again later (the catalog keeps the entry until then)`,
        );
      return false;
    } catch (err) {
      if (notFound(err)) return true;
      throw err;
    }
  }
}
