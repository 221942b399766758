/**
 * MemoryImages: a TEST DOUBLE of a cloud's ImageStore (automation/actions/types.ts), in memory:
 * the sizes it knows, the images `remove` was asked to delete, images already gone, and refusals.
 */
import type { ImageStore, StoredImage } from "../../automation/actions/types.js";

export class MemoryImages implements ImageStore {
  readonly removed: string[] = [];
  readonly sizes = new Map<string, number>();
  readonly gone = new Set<string>();
  /** What `remove` throws for an image (e.g. a refusal: not one formations took). */
  readonly refusals = new Map<string, Error>();
  async sizeGb(i: StoredImage) {
    return this.sizes.get(i.imageId);
  }
  async remove(i: StoredImage) {
    const refusal = this.refusals.get(i.imageId);
    if (refusal) throw refusal;
    if (this.gone.has(i.imageId)) return { deleted: [], gone: true };
    this.removed.push(i.imageId);
    return { deleted: [`image ${i.imageId}`, `snapshot snap-of-${i.imageId}`] };
  }
}
