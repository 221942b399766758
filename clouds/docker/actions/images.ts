/**
 * Docker's machine images for the image catalog: a snapshot is a committed image (`docker
 * commit`), its size is what `docker image inspect` says, and deleting it removes its tag and,
 * when no other tag or container holds it, the image and its own layers. An image a container
 * still runs from is refused by the engine (409): the message names the fix. An image without
 * the label the snapshot's commit puts on it (`formations-snapshot-of`) is not formations' and
 * is refused (exit 1) before anything is removed.
 */
import type Dockerode from "dockerode";
import { ActionError, type ImageRemoval, type ImageStore, type StoredImage } from "../../../automation/actions/types.js";
import { UserError } from "../../../user-error.js";
import { classifyDockerError, dockerOptions } from "../engine.js";
import { SNAPSHOT_LABEL } from "../names.js";

const GB = 1e9;

export class DockerImages implements ImageStore {
  private client?: Promise<Dockerode>;

  constructor(private readonly opts: { host?: string } = {}) {}

  private docker(): Promise<Dockerode> {
    this.client ??= import("dockerode").then(({ default: Docker }) => new Docker(dockerOptions(this.opts.host)));
    return this.client;
  }

  /** The reference to act on: the committed tag where it is still there, else the id. */
  private async inspect(image: StoredImage): Promise<Dockerode.ImageInspectInfo | undefined> {
    const d = await this.docker();
    for (const ref of [image.name, image.imageId]) {
      try {
        const info = await d.getImage(ref).inspect();
        if (info.Id === image.imageId || ref === image.imageId) return info;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw classifyDockerError(err, { host: this.opts.host, what: `image ${ref}` });
      }
    }
    return undefined;
  }

  async sizeGb(image: StoredImage): Promise<number | undefined> {
    const info = await this.inspect(image);
    return info ? Math.round((info.Size / GB) * 1000) / 1000 : undefined;
  }

  async remove(image: StoredImage): Promise<ImageRemoval> {
    const info = await this.inspect(image);
    if (!info) return { deleted: [], gone: true };
    // By its tag when it has ours (a second tag someone added keeps the image), else by id.
    const ref = (info.RepoTags ?? []).includes(image.name) ? image.name : image.imageId;
    if (!info.Config?.Labels?.[SNAPSHOT_LABEL])
      throw new UserError(
        `Docker image ${image.name} (${image.imageId}) has no '${SNAPSHOT_LABEL}' label, which formations' snapshot commits every image with: formations deletes only images it took, so nothing was removed`,
        1,
        `if it is yours to delete: docker${this.opts.host ? ` -H ${this.opts.host}` : ""} image rm ${ref}`,
      );
    const d = await this.docker();
    let out: { Untagged?: string; Deleted?: string }[];
    try {
      out = (await d.getImage(ref).remove({ noprune: false })) as { Untagged?: string; Deleted?: string }[];
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404) return { deleted: [], gone: true };
      if (status === 409)
        throw new ActionError(
          "invalid-state",
          `image ${image.name} is in use: ${String((err as { json?: { message?: string } }).json?.message ?? (err as Error).message)}; destroy the sessions launched from it first`,
          {},
          { cause: err },
        );
      throw classifyDockerError(err, { host: this.opts.host, what: `image ${image.name}` });
    }
    const deleted = out.flatMap((o) => [...(o.Untagged ? [`untagged ${o.Untagged}`] : []), ...(o.Deleted ? [`deleted ${o.Deleted}`] : [])]);
    return { deleted };
  }
}
