/**
 * OpenStack machine images for the image catalog (OVHcloud's too: its instances are Nova
 * servers). A snapshot is Nova's createImage: a Glance image, holding the disk itself for a
 * server booted from an image, or, for a server booted from a volume, nothing but a
 * `block_device_mapping` property naming the Cinder volume snapshots Nova took, which hold the
 * data (and the bill). The image carries the property the driver's snapshot set,
 * `formations-snapshot-of`: an image without it is not formations' and is never deleted.
 *
 * Deleting it: read the image (404: gone); delete each Cinder snapshot it names, waiting until
 * Cinder no longer has it (a snapshot delete is asynchronous and can end in `error_deleting`);
 * then delete the image. Snapshots first, so that a failure halfway leaves the image, which
 * still names every snapshot, and `images delete` again finishes the job (what is already gone
 * answers 404 and is skipped): the other order would orphan the snapshots, billed and unnamed.
 * A failure stops everything after it, and its message says what was deleted and what was not.
 * Glance and Cinder are found in the Keystone catalog (`image`; `volumev3` or `block-storage`);
 * throttled and passing failures are retried per call, after the cloud's Retry-After.
 */
import { Keystone } from "./keystone.js";
import { honourRetryAfter, pollUntil, send, type RestResponse } from "../../../automation/actions/rest.js";
import { retrying, type RetryOptions } from "../../../automation/actions/retry.js";
import { ActionError, type ErrorKind, type ImageRemoval, type ImageStore, type StoredImage } from "../../../automation/actions/types.js";
import { UserError } from "../../../user-error.js";

export interface OpenStackImagesOptions extends RetryOptions {
  /** Keystone session; default: OS_CLOUD / OS_* credentials. */
  keystone?: Keystone;
  /** Region when the image names none; else the cloud's region_name / OS_REGION_NAME. */
  region?: string;
  /** Longest Retry-After honoured before a throttle is retried, in ms; default 30 000. */
  maxRetryAfterMs?: number;
  /** How long one snapshot's deletion is waited for, in ms; default 300 000. */
  waitMs?: number;
  /** Between two reads of a snapshot being deleted, in ms; default 2 000. */
  pollMs?: number;
}

/** The property the driver's snapshot sets on the image (Nova copies createImage's metadata onto it). */
export const SNAPSHOT_PROPERTY = "formations-snapshot-of";

/** A Glance v2 image, as far as deleting it reads it: properties are top-level keys. */
export interface GlanceImage {
  id: string;
  name?: string;
  status?: string;
  size?: number | null;
  /** JSON text (a list of block device mappings) on a snapshot of a volume-backed server. */
  block_device_mapping?: string;
  [property: string]: unknown;
}

interface Mapping {
  source_type?: string;
  snapshot_id?: string | null;
  volume_size?: number | null;
}

interface Service {
  name: "Glance" | "Cinder";
  types: readonly string[];
}

const GLANCE: Service = { name: "Glance", types: ["image"] };
const CINDER: Service = { name: "Cinder", types: ["volumev3", "block-storage"] };

/** The block device mappings of a snapshot image (a JSON string property; a list on some clouds); [] when there are none or they are unreadable. */
export function mappingsOf(image: GlanceImage): Mapping[] {
  const raw = image.block_device_mapping as unknown;
  let list: unknown = raw;
  if (typeof raw === "string") {
    try {
      list = JSON.parse(raw);
    } catch {
      return [];
    }
  }
  return Array.isArray(list) ? list.filter((m): m is Mapping => typeof m === "object" && m !== null) : [];
}

/** The Cinder snapshots an image names (its data, for a volume-backed server), in order, each once. */
export function snapshotsOf(image: GlanceImage): string[] {
  const ids = mappingsOf(image)
    .filter((m) => (m.source_type ?? "snapshot") === "snapshot" && typeof m.snapshot_id === "string" && m.snapshot_id)
    .map((m) => m.snapshot_id as string);
  return [...new Set(ids)];
}

/** The error text of a Glance or Cinder answer: `{message}` (Glance) or `{"<kind>": {message}}` (Cinder, Nova). */
function messageOf(body: unknown, status: number): string {
  if (body && typeof body === "object") {
    const top = (body as { message?: unknown }).message;
    if (typeof top === "string") return top.replace(/\s+/g, " ").trim();
    for (const v of Object.values(body)) {
      const m = (v as { message?: unknown } | null)?.message;
      if (typeof m === "string") return m.replace(/\s+/g, " ").trim();
    }
  }
  return `HTTP ${status}`;
}

/** A failed Glance or Cinder answer as an ActionError. */
export function classifyStorageError(service: string, status: number, body: unknown, what: string): ActionError {
  const msg = messageOf(body, status);
  const fail = (kind: ErrorKind, text: string) => new ActionError(kind, text);
  if (status === 429 || status === 413) return fail("throttled", `${what}: ${service} is throttling requests (${status}: ${msg})`);
  if (status === 404) return fail("not-found", `${what} does not exist (deleted outside formations?)`);
  if (status === 409) return fail("invalid-state", `${what}: ${service} refused it in its current state (${msg})`);
  if (status === 401) return fail("other", `${what}: the token was refused (${msg}): check the credentials`);
  if (status === 403) return fail("other", `${what}: the cloud's policy forbids it (${msg})`);
  if (status >= 500) return fail("transient", `${what}: ${service} answered ${status} (${msg})`);
  return fail("other", `${what}: ${service} refused it (${status}: ${msg})`);
}

const notFound = (err: unknown) => err instanceof ActionError && err.kind === "not-found";

export class OpenStackImages implements ImageStore {
  readonly keystone: Keystone;
  private readonly maxRetryAfterMs: number;
  private readonly waitMs: number;
  private readonly pollMs: number;

  constructor(private readonly opts: OpenStackImagesOptions = {}) {
    this.keystone = opts.keystone ?? new Keystone(undefined, opts);
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 30_000;
    this.waitMs = opts.waitMs ?? 300_000;
    this.pollMs = opts.pollMs ?? 2_000;
  }

  async sizeGb(i: StoredImage): Promise<number | undefined> {
    const image = await this.image(i);
    if (!image) return undefined;
    const bytes = typeof image.size === "number" && image.size > 0 ? image.size : 0;
    const volumes = mappingsOf(image).reduce((a, m) => a + (typeof m.volume_size === "number" && m.volume_size > 0 ? m.volume_size : 0), 0);
    const gb = bytes / 1e9 + volumes;
    return gb > 0 ? Math.round(gb * 1000) / 1000 : undefined;
  }

  async remove(i: StoredImage): Promise<ImageRemoval> {
    const image = await this.image(i);
    if (!image || image.status === "deleted" || image.status === "pending_delete") return { deleted: [], gone: true };
    if (!image[SNAPSHOT_PROPERTY])
      throw new UserError(
        `Glance image ${i.imageId} (${image.name ?? i.name}) has no '${SNAPSHOT_PROPERTY}' property, which formations' snapshot sets: formations deletes only images it took, so nothing was deleted`,
        1,
        `if it is yours to delete: openstack image delete ${i.imageId}`,
      );
    const snapshots = snapshotsOf(image);
    const deleted: string[] = [];
    const step = async (what: string, run: () => Promise<boolean>, left: string[]) => {
      try {
        if (await run()) deleted.push(what);
      } catch (err) {
        const e = err instanceof ActionError ? err : new ActionError("other", String(err));
        const done = deleted.length ? `deleted ${deleted.join(", ")}; ` : "nothing was deleted; ";
        throw new ActionError(
          e.kind,
          `${e.message}; ${done}still there: ${left.join(", ")} (images delete again finishes the job once that is fixed)`,
          {},
          { cause: err },
        );
      }
    };
    const glance = `Glance image ${i.imageId}`;
    for (const [n, id] of snapshots.entries()) {
      const left = [...snapshots.slice(n).map((s) => `Cinder snapshot ${s}`), glance];
      await step(`Cinder snapshot ${id}`, () => this.deleteSnapshot(id, i), left);
    }
    await step(glance, () => this.deleteImage(i), [glance]);
    return { deleted };
  }

  private region(i: StoredImage): string | undefined {
    return i.region ?? this.opts.region;
  }

  /** The image, or undefined when Glance has none. */
  private async image(i: StoredImage): Promise<GlanceImage | undefined> {
    try {
      return (await this.call(GLANCE, "GET", this.imagePath(i.imageId), i, `Glance image ${i.imageId}`)).body as GlanceImage;
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  }

  /** Deletes the image; false when Glance no longer had it. */
  private async deleteImage(i: StoredImage): Promise<boolean> {
    try {
      await this.call(GLANCE, "DELETE", this.imagePath(i.imageId), i, `Glance image ${i.imageId}`);
      return true;
    } catch (err) {
      if (notFound(err)) return false;
      throw err;
    }
  }

  /** Deletes a snapshot and waits until Cinder no longer has it; false when it was gone already. */
  private async deleteSnapshot(id: string, i: StoredImage): Promise<boolean> {
    const path = `/snapshots/${encodeURIComponent(id)}`;
    const what = `Cinder snapshot ${id}`;
    try {
      await this.call(CINDER, "DELETE", path, i, what);
    } catch (err) {
      if (notFound(err)) return false;
      throw err;
    }
    const read = async () => {
      try {
        return ((await this.call(CINDER, "GET", path, i, what)).body as { snapshot?: { status?: string } }).snapshot ?? {};
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    };
    const { value, reached } = await pollUntil(read, (s) => !s || s.status === "error_deleting", { deadline: Date.now() + this.waitMs, pollMs: this.pollMs });
    if (value?.status === "error_deleting")
      throw new ActionError("other", `${what}: Cinder failed to delete it (status error_deleting): ask the cloud's operator to reset it, then delete it`);
    if (!reached) throw new ActionError("timeout", `${what}: Cinder is still deleting it after ${this.waitMs / 1000} s (status ${value?.status ?? "unknown"})`);
    return true;
  }

  private imagePath(id: string): string {
    return `/v2/images/${encodeURIComponent(id)}`;
  }

  /** One call to Glance or Cinder, retried when throttled or passing; 2xx answers are returned, the rest thrown classified. */
  private call(service: Service, method: "GET" | "DELETE", path: string, i: StoredImage, what: string): Promise<RestResponse> {
    return retrying(async () => {
      for (let renewed = false; ; renewed = true) {
        const { token, url, project } = await this.keystone.endpoint(service.types, this.region(i));
        const base = service === GLANCE ? url.replace(/\/v2(\.\d+)?$/, "") : /\/v3$/.test(url) && project ? `${url}/${project}` : url;
        const res = await send({ method, url: `${base}${path}`, headers: { "x-auth-token": token } }, `${service.name} at ${new URL(url).host}`);
        if (res.status >= 200 && res.status < 300) return res;
        // A token revoked or expired early: authenticate again, once.
        if (res.status === 401 && !renewed) {
          this.keystone.invalidate(token);
          continue;
        }
        const err = classifyStorageError(service.name, res.status, res.body, what);
        if (err.kind === "throttled") await honourRetryAfter(res.headers, this.maxRetryAfterMs);
        throw err;
      }
    }, this.opts);
  }
}
