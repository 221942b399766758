/**
 * The image catalog: every machine image any session took, kept in the state backend so that
 * every machine using the backend sees the same list, and kept when its session is destroyed
 * (the image itself outlives the session, and is billed). Pure: the entry's shape, its stack's
 * name, reading it back defensively, its age and its monthly storage cost.
 *
 * Each image is one stack of its own, `images.<id>`, holding no resource: its root stack's
 * outputs are the entry (plain) and the formation of the session it came from (a secret: a
 * Docker formation's `env` may hold one). One stack per image means two machines snapshotting
 * at once never write the same record, and deleting an image removes its stack. A stack name
 * with a dot is never a session's (session names are lower-case letters, digits and dashes).
 */
import { createHash } from "node:crypto";
import { catalogFor } from "../../clouds/index.js";
import type { Provider } from "../../format/types.js";
import { matchesSelector } from "../session/naming.js";
import type { OutputValue } from "../session/engine.js";

/** Stacks of the image catalog are named `images.<id>`. */
export const IMAGE_STACK_PREFIX = "images.";
/** The root stack outputs of an image's stack. */
export const OUTPUT_IMAGE = "formationsImage";
export const OUTPUT_IMAGE_FORMATION = "formationsImageFormation";

/** One image of the catalog. */
export interface ImageEntry {
  /** The catalog's id (`img-` and 10 hex digits, from the provider and its image id): what `images delete` takes. */
  id: string;
  provider: Provider;
  region?: string;
  zone?: string;
  project?: string;
  /** The Docker engine of a docker image (the formation's `cloud.host`), when not the default one. */
  host?: string;
  /** The provider's image id (AMI id, machine image, gallery image version, Glance id, Docker image id). */
  imageId: string;
  /** The image's name. */
  name: string;
  /** What a formation's `image:` says to launch from it. */
  image: string;
  /** Where it came from. */
  session: string;
  machine: string;
  /** The source formation's name and kind, and its labels (for `images --label`). */
  formation: string;
  kind: string;
  labels: Record<string, string>;
  /** The source formation's file (provenance: the text is kept with the entry). */
  file?: string;
  /** When it was taken (ISO). */
  at: string;
  /** Who took it. */
  actor?: string;
  /** Stored size in GB, and where that figure comes from: the provider's, or the machine's disk (an upper bound). */
  sizeGb?: number;
  sizeFrom?: "provider" | "disk";
}

/** An entry as `images` lists it: with its age and what its storage costs per month. */
export interface ImageListing extends ImageEntry {
  ageDays: number;
  /** USD per month for its storage (size × the provider's image storage price); undefined when the size is unknown. */
  monthlyUsd?: number;
}

export function isImageStack(stack: string): boolean {
  return stack.startsWith(IMAGE_STACK_PREFIX);
}

export function imageStackName(id: string): string {
  return `${IMAGE_STACK_PREFIX}${id}`;
}

/** The catalog id of a provider's image: stable, short, the same on every machine. */
export function catalogId(provider: string, region: string | undefined, imageId: string): string {
  return `img-${createHash("sha256")
    .update(`${provider}\n${region ?? ""}\n${imageId}`)
    .digest("hex")
    .slice(0, 10)}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** An entry read back from a stack's outputs (or its state's root outputs); undefined when it is not one. Defensive: never throws. */
export function entryOf(value: unknown): ImageEntry | undefined {
  if (!isObject(value)) return undefined;
  const need = ["id", "provider", "imageId", "name", "image", "session", "machine", "at"] as const;
  if (!need.every((k) => str(value[k]))) return undefined;
  const labels = isObject(value.labels) ? Object.fromEntries(Object.entries(value.labels).filter((e): e is [string, string] => typeof e[1] === "string")) : {};
  const opt = (k: "region" | "zone" | "project" | "host" | "file" | "actor") => (str(value[k]) ? { [k]: value[k] as string } : {});
  return {
    id: value.id as string,
    provider: value.provider as Provider,
    ...opt("region"),
    ...opt("zone"),
    ...opt("project"),
    ...opt("host"),
    imageId: value.imageId as string,
    name: value.name as string,
    image: value.image as string,
    session: value.session as string,
    machine: value.machine as string,
    formation: str(value.formation) ?? "",
    kind: str(value.kind) ?? "",
    labels,
    ...opt("file"),
    at: value.at as string,
    ...opt("actor"),
    ...(typeof value.sizeGb === "number" && Number.isFinite(value.sizeGb) && value.sizeGb >= 0 ? { sizeGb: value.sizeGb } : {}),
    ...(value.sizeFrom === "provider" || value.sizeFrom === "disk" ? { sizeFrom: value.sizeFrom } : {}),
  };
}

/** The outputs an image's stack publishes: the entry, and the source formation as a secret. */
export function imageOutputs(entry: ImageEntry, formationText: string): Record<string, OutputValue> {
  return { [OUTPUT_IMAGE]: { value: entry, secret: false }, [OUTPUT_IMAGE_FORMATION]: { value: formationText, secret: true } };
}

/** USD per month to store the image: its size at the provider's image storage price. */
export function monthlyUsd(entry: Pick<ImageEntry, "provider" | "sizeGb">): number | undefined {
  if (entry.sizeGb === undefined) return undefined;
  let price: number;
  try {
    price = catalogFor(entry.provider).imageGbMonthUsd;
  } catch {
    return undefined;
  }
  return Math.round(entry.sizeGb * price * 10000) / 10000;
}

export function listingOf(entry: ImageEntry, now: Date): ImageListing {
  const ageDays = Math.max(0, (now.getTime() - Date.parse(entry.at)) / 86_400_000);
  const cost = monthlyUsd(entry);
  return { ...entry, ageDays: Number.isFinite(ageDays) ? Math.round(ageDays * 100) / 100 : 0, ...(cost !== undefined ? { monthlyUsd: cost } : {}) };
}

/** Entries whose source formation's labels match every pair of the selector. */
export function selectImages<T extends ImageEntry>(entries: readonly T[], selector: Readonly<Record<string, string>>): T[] {
  return entries.filter((e) => matchesSelector(e.labels, selector));
}

/**
 * The entry `ref` names: its catalog id, else the provider's image id (a Docker id may be given
 * without `sha256:` or shortened to 12 digits, as `docker images` shows it), else its name or
 * what a formation says. Several matches are ambiguous: the caller names the catalog id.
 */
export function findImage<T extends ImageEntry>(entries: readonly T[], ref: string): T[] {
  const byId = entries.filter((e) => e.id === ref);
  if (byId.length) return byId;
  const bare = (s: string) => s.replace(/^sha256:/, "");
  const byImage = entries.filter((e) => e.imageId === ref || (ref.length >= 12 && bare(e.imageId).startsWith(bare(ref))));
  if (byImage.length) return byImage;
  return entries.filter((e) => e.name === ref || e.image === ref);
}
