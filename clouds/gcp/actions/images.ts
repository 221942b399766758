/**
 * GCP machine images for the image catalog: a snapshot is a machine image
 * (`projects/<p>/global/machineImages/<name>`), sized by its `totalStorageBytes`, deleted with
 * machineImages.delete (the machine image holds its disks' data itself: nothing else to delete).
 */
import { ActionError, type ImageRemoval, type ImageStore, type StoredImage } from "../../../automation/actions/types.js";
import { GceApi, type GceApiOptions } from "./api.js";

interface MachineImage {
  name?: string;
  status?: string;
  totalStorageBytes?: string;
}

export class GcpImages implements ImageStore {
  readonly api: GceApi;

  constructor(opts: GceApiOptions = {}) {
    this.api = new GceApi(opts);
  }

  private path(i: StoredImage): string {
    if (!/^projects\/[^/]+\/global\/machineImages\/[^/]+$/.test(i.imageId))
      throw new ActionError("other", `'${i.imageId}' is not a GCE machine image (projects/<project>/global/machineImages/<name>)`);
    return `/${i.imageId}`;
  }

  private async read(i: StoredImage): Promise<MachineImage | undefined> {
    try {
      return await this.api.call<MachineImage>("GET", this.path(i), `machine image ${i.name}`);
    } catch (err) {
      if (err instanceof ActionError && err.kind === "not-found") return undefined;
      throw err;
    }
  }

  async sizeGb(i: StoredImage): Promise<number | undefined> {
    const bytes = Number((await this.read(i))?.totalStorageBytes);
    return Number.isFinite(bytes) && bytes > 0 ? Math.round((bytes / 1e9) * 1000) / 1000 : undefined;
  }

  async remove(i: StoredImage): Promise<ImageRemoval> {
    if (!(await this.read(i))) return { deleted: [], gone: true };
    await this.api.call("DELETE", this.path(i), `machine image ${i.name}`);
    return { deleted: [`machine image ${i.imageId}`] };
  }
}
