/**
 * The image catalog's operations, as the library offers them (`sessions.images()`,
 * `sessions.deleteImage()`, `sessions.forgetImage()`, `sessions.saveImageFormation()`) and the
 * CLI's `formations images` verbs and the console call them: list with age and monthly storage
 * cost, delete through the cloud's image store (the image and what stores it), forget an entry
 * without touching the cloud (an image the store refuses, or one deleted by hand), and write the
 * formation that launches from an image at any time, not only when the snapshot is taken.
 */
import type { LimitFunction } from "p-limit";
import { FormationError, validateText } from "../../format/load.js";
import type { Provider } from "../../format/types.js";
import { UserError } from "../../user-error.js";
import type { DriverContext, ImageRemoval, ImageStore } from "../actions/types.js";
import { freshName, saveSnapshotFormation } from "../actions/snapshot-formation.js";
import type { Engine } from "../session/engine.js";
import { classify } from "../session/errors.js";
import { catalogId, findImage, listingOf, selectImages, type ImageEntry, type ImageListing } from "./catalog.js";
import { forgetImage, imageFormationText, readCatalog, recordImage } from "./store.js";

/** A problem with an image reference or the catalog: exit 1 (unknown), 2 (ambiguous), 3 (the cloud or engine failed). */
export class ImageError extends UserError {
  override readonly name = "ImageError";
}

/** Gives the image store of a provider at a place (default: the cloud's, clouds/<provider>/; tests pass a test double). */
export type ImageStoreSource = (provider: Provider, ctx: DriverContext) => Promise<ImageStore>;

/** What the image operations need from Sessions. */
export interface ImagesHost {
  engine(): Promise<Engine>;
  reads: LimitFunction;
  now(): Date;
  stores: ImageStoreSource;
}

export interface ImagesReport {
  images: ImageListing[];
  /** Image stacks that could not be read. */
  unreadable: { stack: string; error: string }[];
}

export interface ImageDeleteReport {
  image: ImageEntry;
  /** What the provider deleted (the image, its snapshots or disks). */
  deleted: string[];
  /** The provider had no such image any more: only the catalog entry was removed. */
  gone: boolean;
}

export interface ImageDeleteOptions {
  /** Called with the image before anything is deleted; false cancels (nothing changes). */
  confirm?: (image: ImageListing) => boolean | Promise<boolean>;
}

/** `forgetImage`'s options: the same confirmation as deleting. */
export type ImageForgetOptions = ImageDeleteOptions;

export interface ImageForgetReport {
  /** The entry removed from the catalog; the provider's image was not touched. */
  image: ImageEntry;
  forgotten: true;
}

export const ctxOf = (e: Pick<ImageEntry, "region" | "zone" | "project" | "host">): DriverContext => ({
  ...(e.region ? { region: e.region } : {}),
  ...(e.zone ? { zone: e.zone } : {}),
  ...(e.project ? { project: e.project } : {}),
  ...(e.host ? { host: e.host } : {}),
});

/** Every image of the catalog whose source formation's labels match `selector`, newest first. */
export async function listImages(host: ImagesHost, selector: Readonly<Record<string, string>> = {}): Promise<ImagesReport> {
  const { entries, unreadable } = await readCatalog(await host.engine(), host.reads);
  const now = host.now();
  return { images: selectImages(entries, selector).map((e) => listingOf(e, now)), unreadable };
}

/** The one entry `ref` names (catalog id, provider image id, or name); unknown: exit 1; ambiguous: exit 2. */
export async function findOne(host: ImagesHost, ref: string): Promise<ImageListing> {
  const { images } = await listImages(host);
  const found = findImage(images, ref);
  if (found.length === 1) return found[0]!;
  if (!found.length)
    throw new ImageError(
      `no image '${ref}' in the catalog`,
      1,
      images.length
        ? `formations images lists them (${images.length}); use the ID column`
        : "the catalog is empty: formations snapshot <session> --machine NAME takes one",
    );
  throw new ImageError(`'${ref}' names ${found.length} images (${found.map((i) => i.id).join(", ")}): give the ID`, 2);
}

/** Deletes the image and what stores it through the cloud's image store, then its catalog entry. */
export async function deleteImage(host: ImagesHost, ref: string, opts: ImageDeleteOptions = {}): Promise<ImageDeleteReport | undefined> {
  const image = await findOne(host, ref);
  const store = await host.stores(image.provider, ctxOf(image));
  if (opts.confirm && !(await opts.confirm(image))) return undefined;
  let removal: ImageRemoval;
  try {
    removal = await store.remove({ imageId: image.imageId, name: image.name, ...(image.region ? { region: image.region } : {}) });
  } catch (err) {
    // Refused (not an image formations took): the entry stays, and the way to drop it is named.
    if (err instanceof UserError && err.exitCode === 1)
      throw new ImageError(
        err.message,
        1,
        `${err.hint ? `${err.hint}; ` : ""}'formations images forget ${image.id}' drops the catalog entry without touching the image`,
        { cause: err },
      );
    throw err;
  }
  try {
    await forgetImage(await host.engine(), image.id);
  } catch (err) {
    throw classify(err, { action: "images delete" });
  }
  const { ageDays: _a, monthlyUsd: _m, ...entry } = image;
  return { image: entry, deleted: removal.deleted, gone: Boolean(removal.gone) };
}

/**
 * Removes an image's catalog entry only: the provider is never called, and the image (if it still
 * exists) stays where it is, billed, for its owner to delete with the cloud's own tool. For an
 * image `deleteImage` refuses (not one formations took) or one already deleted by hand.
 */
export async function forgetCatalogEntry(host: ImagesHost, ref: string, opts: ImageForgetOptions = {}): Promise<ImageForgetReport | undefined> {
  const image = await findOne(host, ref);
  if (opts.confirm && !(await opts.confirm(image))) return undefined;
  try {
    await forgetImage(await host.engine(), image.id);
  } catch (err) {
    throw classify(err, { action: "images forget" });
  }
  const { ageDays: _a, monthlyUsd: _m, ...entry } = image;
  return { image: entry, forgotten: true };
}

export interface SaveImageFormationOptions {
  /** The new formation's name (default: `<formation>-<machine>-<time>`). */
  name?: string;
}

/**
 * Writes the formation that launches the image's machine from it (the source session's formation,
 * edited); never over an existing file. Without `outFile`: `<new formation name>.yaml` here.
 */
export async function saveImageFormation(
  host: ImagesHost,
  ref: string,
  outFile: string | undefined,
  opts: SaveImageFormationOptions = {},
): Promise<{ file: string; name: string; image: ImageEntry }> {
  const image = await findOne(host, ref);
  let text: string | undefined;
  try {
    text = await imageFormationText(await host.engine(), image.id);
  } catch (err) {
    throw classify(err, { action: "images save-formation" });
  }
  if (!text)
    throw new ImageError(
      `image ${image.id} holds no source formation (its catalog entry is damaged): write a formation with 'image: ${image.image}' yourself`,
      1,
    );
  const file = image.file || "<image>";
  const r = validateText(text, file);
  if (!r.valid) throw new FormationError(file, r.errors, r.source);
  const now = host.now();
  const name = opts.name ?? freshName(r.formation.metadata.name, image.machine, now);
  const saved = await saveSnapshotFormation({
    text,
    formation: r.formation,
    sourceFile: image.file ?? "",
    session: image.session,
    machine: image.machine,
    image: image.image,
    outFile: outFile ?? `${name}.yaml`,
    now,
    name,
  });
  const { ageDays: _a, monthlyUsd: _m, ...entry } = image;
  return { ...saved, image: entry };
}

/** What the snapshot hands the catalog. */
export interface CatalogInput {
  provider: Provider;
  ctx: DriverContext;
  imageId: string;
  name: string;
  image: string;
  session: string;
  machine: string;
  formation: string;
  kind: string;
  labels: Record<string, string>;
  file: string;
  formationText: string;
  at: string;
  actor: string;
  /** The machine's disk size, the upper bound used when the provider does not say the image's size. */
  diskGb?: number;
}

/** Adds a snapshot to the catalog, with its size from the provider where it says (else the machine's disk). */
export async function catalogSnapshot(host: ImagesHost, input: CatalogInput): Promise<ImageEntry> {
  const store = await host.stores(input.provider, input.ctx).catch(() => undefined);
  const measured = await store
    ?.sizeGb({ imageId: input.imageId, name: input.name, ...(input.ctx.region ? { region: input.ctx.region } : {}) })
    .catch(() => undefined);
  const size =
    measured !== undefined
      ? { sizeGb: measured, sizeFrom: "provider" as const }
      : input.diskGb !== undefined
        ? { sizeGb: input.diskGb, sizeFrom: "disk" as const }
        : {};
  const entry: ImageEntry = {
    id: catalogId(input.provider, input.ctx.region, input.imageId),
    provider: input.provider,
    ...input.ctx,
    imageId: input.imageId,
    name: input.name,
    image: input.image,
    session: input.session,
    machine: input.machine,
    formation: input.formation,
    kind: input.kind,
    labels: input.labels,
    ...(input.file ? { file: input.file } : {}),
    at: input.at,
    actor: input.actor,
    ...size,
  };
  await recordImage(await host.engine(), entry, input.formationText);
  return entry;
}
