/**
 * The Images view: the image catalog (`sessions.images()`, the same list as `formations images`):
 * every snapshot any session took, kept in the state backend after its session is destroyed, with
 * its size, age and monthly storage cost. "Launch from this image" writes the formation that
 * launches from it into the console's folder (`sessions.saveImageFormation`) and opens it in the
 * Formations view; Delete (`sessions.deleteImage`) and Forget (`sessions.forgetImage`, the catalog
 * entry only) are confirmed first.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Hono } from "hono";
import type { ImageListing } from "../../automation/images/catalog.js";
import { body, failure, json, type ConsoleContext } from "../context.js";
import { formationFiles } from "./formations.js";

export interface ImageRow {
  /** The catalog's id (what Delete and Launch name). */
  id: string;
  /** The provider's image id. */
  imageId: string;
  name: string;
  /** What a formation's `image:` says to launch from it. */
  image: string;
  provider: string;
  region?: string;
  session: string;
  machine: string;
  at: string;
  sizeGb?: number;
  sizeFrom?: "provider" | "disk";
  monthlyUsd?: number;
  /** A formation in the console's folder that already launches from it (relative path). */
  formation?: string;
}

function rowOf(i: ImageListing, formation: string | undefined): ImageRow {
  return {
    id: i.id,
    imageId: i.imageId,
    name: i.name,
    image: i.image,
    provider: i.provider,
    ...(i.region ? { region: i.region } : {}),
    session: i.session,
    machine: i.machine,
    at: i.at,
    ...(i.sizeGb !== undefined ? { sizeGb: i.sizeGb } : {}),
    ...(i.sizeFrom ? { sizeFrom: i.sizeFrom } : {}),
    ...(i.monthlyUsd !== undefined ? { monthlyUsd: i.monthlyUsd } : {}),
    ...(formation ? { formation } : {}),
  };
}

export function imageRoutes(app: Hono, ctx: ConsoleContext): void {
  app.get("/api/images", async (c) => {
    try {
      const { images, unreadable } = await ctx.sessions.images({ labels: c.req.queries("label") ?? [] });
      const files = await formationFiles(ctx.dir);
      const texts = await Promise.all(files.map(async (f) => ({ rel: f.rel, text: await readFile(f.abs, "utf8").catch(() => "") })));
      const rows = images.map((i) => rowOf(i, texts.find((t) => [i.image, i.imageId].some((r) => t.text.includes(`image: ${r}`)))?.rel));
      return json(c, { images: rows, unreadable });
    } catch (err) {
      return failure(c, err);
    }
  });

  // Writes the formation that launches from the image into <folder>/snapshots/, for the Formations view to launch.
  app.post("/api/images/:id/formation", async (c) => {
    const id = c.req.param("id");
    try {
      const folder = join(ctx.dir, "snapshots");
      await mkdir(folder, { recursive: true });
      let file = join(folder, `${id}.yaml`);
      for (let n = 2; existsSync(file); n++) file = join(folder, `${id}-${n}.yaml`);
      const r = await ctx.sessions.saveImageFormation(id, file);
      return json(c, { file: relative(ctx.dir, r.file).split("\\").join("/"), name: r.name });
    } catch (err) {
      return failure(c, err);
    }
  });

  // Delete removes the image and its storage through the provider, then the catalog entry; Forget
  // removes only the entry (an image formations refuses to delete, or one deleted by hand), and
  // the provider is never called. Both are asked first: the server's words, then `confirmed`.
  const verbs = {
    delete: {
      words: (what: string) => `Delete ${what}, and the storage behind it? It cannot be undone; sessions launched from it keep running.`,
      run: (id: string) => ctx.sessions.deleteImage(id),
    },
    forget: {
      words: (what: string) =>
        `Forget ${what}? Only its entry in the catalog goes: the image itself is not touched, and if it still exists it stays billed until it is deleted with the provider's own tools.`,
      run: (id: string) => ctx.sessions.forgetImage(id),
    },
  } as const;
  for (const [verb, { words, run }] of Object.entries(verbs)) {
    app.post(`/api/images/:id/${verb}`, async (c) => {
      const id = c.req.param("id");
      const b = (await body(c)) ?? {};
      let image: ImageListing | undefined;
      try {
        image = (await ctx.sessions.images()).images.find((i) => i.id === id);
      } catch (err) {
        return failure(c, err);
      }
      if (!image) return json(c, { error: `no image '${id}' in the catalog` }, 404);
      if (b.confirmed !== true)
        return json(c, { confirm: words(`${image.provider} image ${image.name} (${image.imageId}), taken from ${image.session}/${image.machine}`) }, 409);
      return json(
        c,
        ctx.hub.run(`${verb} image ${image.name}`, undefined, () => run(id)),
        202,
      );
    });
  }
}
