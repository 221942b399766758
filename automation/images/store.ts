/**
 * The image catalog in the state backend (catalog.ts says why one stack per image): writing an
 * entry, listing every entry, reading one back with its source formation, removing one. Reads
 * are bounded-parallel and never fail the list for one unreadable stack (it is reported).
 */
import type { LimitFunction } from "p-limit";
import type { Engine, OperationOptions } from "../session/engine.js";
import { classify } from "../session/errors.js";
import { rootStack } from "../session/stack-state.js";
import { entryOf, imageOutputs, imageStackName, isImageStack, OUTPUT_IMAGE, OUTPUT_IMAGE_FORMATION, type ImageEntry } from "./catalog.js";

/** Writes (or rewrites) the entry's stack: one update that creates no resource. */
export async function recordImage(engine: Engine, entry: ImageEntry, formationText: string, opts: OperationOptions = {}): Promise<void> {
  const stack = await engine.createOrSelectStack(imageStackName(entry.id));
  await stack.publish(imageOutputs(entry, formationText), opts);
}

export interface CatalogRead {
  entries: ImageEntry[];
  /** Image stacks that could not be read (name and reason): listed so a broken one is never silently missing. */
  unreadable: { stack: string; error: string }[];
}

/** Every entry of the catalog, newest first. Reads each stack's state (plain outputs: no secret is decrypted). */
export async function readCatalog(engine: Engine, reads: LimitFunction): Promise<CatalogRead> {
  let stacks;
  try {
    stacks = (await engine.listStacks()).filter((s) => isImageStack(s.name));
  } catch (err) {
    throw classify(err, { action: "images" });
  }
  const rows = await reads.map(stacks, async (s) => {
    try {
      const d = await (await engine.selectStack(s.name)).exportState();
      const entry = entryOf(rootStack(d)?.outputs?.[OUTPUT_IMAGE]);
      // A stack whose first write never finished holds nothing yet: not an image.
      return entry ? { entry } : rootStack(d) ? { error: { stack: s.name, error: "its state holds no image entry" } } : {};
    } catch (err) {
      return { error: { stack: s.name, error: err instanceof Error ? err.message.split("\n")[0]! : String(err) } };
    }
  });
  const entries = rows.flatMap((r) => ("entry" in r && r.entry ? [r.entry] : [])).sort((a, b) => b.at.localeCompare(a.at));
  const unreadable = rows.flatMap((r) => ("error" in r && r.error ? [r.error] : []));
  return { entries, unreadable };
}

/** The formation of the session an image came from (decrypted: never print it whole). */
export async function imageFormationText(engine: Engine, id: string): Promise<string | undefined> {
  const outputs = await (await engine.selectStack(imageStackName(id))).outputs();
  const text = outputs[OUTPUT_IMAGE_FORMATION]?.value;
  return typeof text === "string" && text ? text : undefined;
}

/** Removes the entry's stack (its only resource is the root stack). */
export async function forgetImage(engine: Engine, id: string, opts: OperationOptions = {}): Promise<void> {
  const name = imageStackName(id);
  await (await engine.selectStack(name)).destroy(opts);
  await engine.removeStack(name);
}
