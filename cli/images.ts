/**
 * `formations images [--label k=v]... [--json]`, `formations images delete ID [--yes] [--json]`,
 * `formations images forget ID [--yes] [--json]`,
 * `formations images save-formation ID [-o FILE] [--name NAME] [--json]`: the image catalog
 * (automation/images/): every snapshot any session took, kept in the state backend after the
 * session is destroyed, with its size, age and monthly storage cost; deleting one (the image
 * and what stores it, after confirmation); forgetting one (its catalog entry only, the cloud
 * untouched); writing the formation that launches from one.
 */
import { parseSelector } from "../automation/session/naming.js";
import type { ImageListing } from "../automation/images/catalog.js";
import type { Sessions } from "../automation/sessions.js";
import { EXIT, UsageError } from "./exit.js";
import type { Output } from "./output.js";
import { confirm, isInteractive, reportError, table, withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

export interface ImagesFlags extends SessionFlags {
  label?: string[];
}

/** `3.2 GB`, `512 MB`, `-` when unknown; `≤` when it is the machine's disk size, not the image's. */
export function sizeText(i: Pick<ImageListing, "sizeGb" | "sizeFrom">): string {
  if (i.sizeGb === undefined) return "-";
  const upTo = i.sizeFrom === "disk" ? "≤" : "";
  return i.sizeGb >= 1 ? `${upTo}${i.sizeGb.toFixed(1)} GB` : `${upTo}${Math.max(1, Math.round(i.sizeGb * 1000))} MB`;
}

/** `12m`, `5h`, `3d`: the image's age. */
export function ageText(days: number): string {
  if (days >= 1) return `${Math.floor(days)}d`;
  const hours = days * 24;
  return hours >= 1 ? `${Math.floor(hours)}h` : `${Math.max(0, Math.floor(hours * 60))}m`;
}

export const monthText = (usd: number | undefined): string => (usd === undefined ? "-" : `$${usd.toFixed(2)}/mo`);

export async function imagesCommand(flags: ImagesFlags, io: Output, deps: SessionDeps = {}): Promise<number> {
  let selector: Record<string, string>;
  try {
    selector = parseSelector(flags.label ?? []);
  } catch (err) {
    return reportError(err, io);
  }
  return withSessions({ ...flags, json: false }, io, deps, async (sessions) => {
    const { images, unreadable } = await sessions.images({ labels: selector });
    if (flags.json) {
      io.out(JSON.stringify({ images, unreadable }, null, 2));
      return EXIT.ok;
    }
    for (const u of unreadable) io.err(`formations: could not read ${u.stack}: ${u.error}`);
    if (!images.length) {
      io.err(
        Object.keys(selector).length
          ? "formations: no image matches those labels"
          : "formations: no image yet (formations snapshot <session> --machine NAME takes one)",
      );
      return EXIT.ok;
    }
    io.out(
      table(
        ["ID", "IMAGE", "PROVIDER", "REGION", "SIZE", "FROM", "AGE", "STORAGE"],
        images.map((i) => [i.id, i.name, i.provider, i.region ?? "-", sizeText(i), `${i.session}/${i.machine}`, ageText(i.ageDays), monthText(i.monthlyUsd)]),
      ),
    );
    const total = images.reduce((s, i) => s + (i.monthlyUsd ?? 0), 0);
    if (total > 0)
      io.err(`formations: ${images.length} image(s), $${total.toFixed(2)} a month of storage (≤: sized by the machine's disk, the provider did not say)`);
    return EXIT.ok;
  });
}

/**
 * The shape both image verbs that change something share: refused without a terminal unless
 * --yes, asked to confirm with `question` otherwise, "not confirmed" when declined, the result as
 * JSON with --json, else the line `say` makes of it.
 */
async function confirmedImageCommand<R>(
  what: string,
  flags: SessionFlags & { yes?: boolean },
  io: Output,
  deps: SessionDeps,
  act: (sessions: Sessions, opts: { confirm?: (i: ImageListing) => Promise<boolean> }) => Promise<R | undefined>,
  question: (i: ImageListing) => string,
  say: (r: R) => string,
): Promise<number> {
  if (!flags.yes && !isInteractive(deps)) throw new UsageError(`${what}, and there is no terminal to confirm on: pass --yes`);
  return withSessions({ ...flags, json: false }, io, deps, async (sessions) => {
    const r = await act(sessions, flags.yes ? {} : { confirm: (i: ImageListing) => confirm(deps, question(i)) });
    if (!r) {
      io.err("formations: not confirmed; nothing changed");
      return EXIT.ok;
    }
    io.out(flags.json ? JSON.stringify(r, null, 2) : say(r));
    return EXIT.ok;
  });
}

export async function imagesDeleteCommand(ref: string, flags: SessionFlags & { yes?: boolean }, io: Output, deps: SessionDeps = {}): Promise<number> {
  return confirmedImageCommand<NonNullable<Awaited<ReturnType<Sessions["deleteImage"]>>>>(
    `images delete deletes image '${ref}' and the storage behind it`,
    flags,
    io,
    deps,
    (sessions, opts) => sessions.deleteImage(ref, opts),
    (i) => `Delete ${i.provider} image ${i.name} (${i.imageId}), taken from ${i.session}/${i.machine} ${ageText(i.ageDays)} ago? It cannot be undone.`,
    (r) =>
      r.gone
        ? `image ${r.image.id}: ${r.image.name} was already gone from ${r.image.provider}; removed from the catalog`
        : `image ${r.image.id}: deleted ${r.image.name} (${r.deleted.join(", ") || r.image.imageId}); removed from the catalog`,
  );
}

export async function imagesForgetCommand(ref: string, flags: SessionFlags & { yes?: boolean }, io: Output, deps: SessionDeps = {}): Promise<number> {
  return confirmedImageCommand<NonNullable<Awaited<ReturnType<Sessions["forgetImage"]>>>>(
    `images forget removes image '${ref}' from the catalog`,
    flags,
    io,
    deps,
    (sessions, opts) => sessions.forgetImage(ref, opts),
    (i) =>
      `Forget ${i.provider} image ${i.name} (${i.imageId}), taken from ${i.session}/${i.machine} ${ageText(i.ageDays)} ago? Only its catalog entry goes: the image, if it still exists, stays in ${i.provider} (and is billed) until deleted there.`,
    (r) =>
      `image ${r.image.id}: removed ${r.image.name} from the catalog; ${r.image.provider} was not asked to delete anything (${r.image.imageId} stays if it exists)`,
  );
}

export async function imagesSaveFormationCommand(
  ref: string,
  flags: SessionFlags & { output?: string; name?: string },
  io: Output,
  deps: SessionDeps = {},
): Promise<number> {
  return withSessions({ ...flags, json: false }, io, deps, async (sessions) => {
    const r = await sessions.saveImageFormation(ref, flags.output, flags.name ? { name: flags.name } : {});
    if (flags.json) {
      io.out(JSON.stringify({ file: r.file, name: r.name, image: r.image }, null, 2));
      return EXIT.ok;
    }
    io.out(`wrote ${r.file} (formation ${r.name}): 'formations up ${r.file}' launches ${r.image.machine} from ${r.image.image}`);
    return EXIT.ok;
  });
}
