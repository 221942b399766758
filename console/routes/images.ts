/**
 * The Images view: every snapshot the sessions record (`show`'s `snapshots`), with the formation
 * in the console's folder that launches from it (the one `snapshot` saved there, or any that
 * names the image), so "launch a session from this image" is the Formations view's launch.
 *
 * What is missing: a snapshot is listed from its session's record, which `destroy` removes with
 * the session, so images of destroyed sessions are not listed here although the provider keeps
 * them. The view says so; an image catalog kept in the state backend would close the gap.
 */
import { readFile } from "node:fs/promises";
import type { Hono } from "hono";
import pLimit from "p-limit";
import { json, failure, type ConsoleContext } from "../context.js";
import { formationFiles } from "./formations.js";

export interface ImageRow {
  /** The provider's image id. */
  id?: string;
  /** What a formation's `image:` says to launch from it. */
  name: string;
  session: string;
  machine: string;
  provider?: string;
  at: string;
  /** A formation in the console's folder that launches from it (relative path). */
  formation?: string;
}

export const IMAGES_GAP =
  "Images of destroyed sessions are not listed: formations keeps a snapshot's record in its session, which destroy removes (the image itself is kept by the provider).";

export function imageRoutes(app: Hono, ctx: ConsoleContext): void {
  app.get("/api/images", async (c) => {
    try {
      const listed = await ctx.sessions.list({ labels: c.req.queries("label") ?? [] });
      const limit = pLimit(4);
      const details = await Promise.all(listed.map((s) => limit(() => ctx.sessions.show(s.session).catch(() => undefined))));
      const files = await formationFiles(ctx.dir);
      const texts = await Promise.all(files.map(async (f) => ({ rel: f.rel, text: await readFile(f.abs, "utf8").catch(() => "") })));
      const images: ImageRow[] = details.flatMap((d) =>
        (d?.snapshots ?? []).map((s) => {
          const provider = typeof s.provider === "string" ? s.provider : d!.provider;
          const refs = [s.name, s.id].filter((r): r is string => Boolean(r));
          const formation = texts.find((t) => refs.some((r) => t.text.includes(`image: ${r}`)))?.rel;
          return {
            ...(s.id ? { id: s.id } : {}),
            name: s.name,
            session: d!.session,
            machine: s.machine,
            provider,
            at: s.at,
            ...(formation ? { formation } : {}),
          };
        }),
      );
      images.sort((a, b) => b.at.localeCompare(a.at));
      return json(c, { images, gap: IMAGES_GAP });
    } catch (err) {
      return failure(c, err);
    }
  });
}
