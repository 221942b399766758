/**
 * MemoryImages: a TEST DOUBLE of a cloud's ImageStore (automation/actions/types.ts), in memory:
 * the sizes it knows, the images `remove` was asked to delete, and images already gone.
 */
import type { ImageStore, StoredImage } from "../../automation/actions/types.js";

export class MemoryImages implements ImageStore {
  readonly removed: string[] = [];
  readonly sizes = new Map<string, number>();
  readonly gone = new Set<string>();
  async sizeGb(i: StoredImage) {
    return this.sizes.get(i.imageId);
  }
  async remove(i: StoredImage) {
    if (this.gone.has(i.imageId)) return { deleted: [], gone: true };
    this.removed.push(i.imageId);
    return { deleted: [`image ${i.imageId}`, `snapshot snap-of-${i.imageId}`] };
  }
}
