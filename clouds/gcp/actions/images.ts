/**
 * GCP machine images for the image catalog: a snapshot is a machine image
 * (`projects/<p>/global/machineImages/<name>`), sized by its `totalStorageBytes`, deleted with
 * machineImages.delete (the machine image holds its disks' data itself: nothing else to delete).
 * Before deleting, its labels are read: one without the labels the driver's snapshot puts on it
 * (`formations-session`, `formations-machine`) is not formations' and is refused (exit 1),
 * with no deleting request sent.
 */
import { ActionError, type ImageRemoval, type ImageStore, type StoredImage } from "../../../automation/actions/types.js";
import { UserError } from "../../../user-error.js";
import { GceApi, type GceApiOptions } from "./api.js";
import { SNAPSHOT_LABELS } from "./states.js";

interface MachineImage {
  name?: string;
  status?: string;
  totalStorageBytes?: string;
  labels?: Record<string, string>;
}

const MARKS = Object.values(SNAPSHOT_LABELS);

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
    const image = await this.read(i);
    if (!image) return { deleted: [], gone: true };
    const missing = MARKS.filter((l) => !image.labels?.[l]);
    if (missing.length) {
      const [, project, name] = /^projects\/([^/]+)\/global\/machineImages\/([^/]+)$/.exec(i.imageId)!;
      throw new UserError(
        `GCE machine image ${i.imageId} lacks the label${missing.length > 1 ? "s" : ""} ${missing.join(" and ")}: formations' snapshot labels every machine image it takes with ${MARKS.join(" and ")}, and deletes only those, so nothing was deleted`,
        1,
        `if it is yours to delete: gcloud compute machine-images delete ${name} --project ${project}`,
      );
    }
    try {
      await this.api.call("DELETE", this.path(i), `machine image ${i.name}`);
    } catch (err) {
      // Deleted by someone else since it was read: gone all the same.
      if (err instanceof ActionError && err.kind === "not-found") return { deleted: [], gone: true };
      throw err;
    }
    return { deleted: [`machine image ${i.imageId}`] };
  }
}
