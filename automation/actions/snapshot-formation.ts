/**
 * `snapshot --save-formation FILE`: a new formation that launches from a snapshot. The session's
 * own formation text is edited in place (comments and layout kept), the snapshotted machine's
 * block gets `image: <snapshot>`, `metadata.name` a fresh name, the schema line stays at the top
 * (pointing at the same schema from the new file's folder), and the result is validated before
 * anything is written: a file that does not validate is never left behind.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";
import { FormationError, validateText } from "../../format/load.js";
import type { Formation } from "../../format/types.js";
import { SessionError } from "../session/errors.js";
import { stamp } from "../../clouds/docker/names.js";

/** Where the machine block of `machine` is, per kind (plan/machines.ts names the machines). Pool members share one. */
export function machineBlockPath(f: Formation, machine: string): string[] {
  const numbered = (prefix: string) => new RegExp(`^${prefix}-\\d+$`).test(machine);
  switch (f.kind) {
    case "Machine":
      return ["spec", "machine"];
    case "Pool":
      if (numbered("machine")) return ["spec", "machine"];
      break;
    case "Docker":
      // On docker the container is the machine, and its image is the container's.
      if (machine === "container") return ["spec", "container"];
      if (machine === "host") return ["spec", "host"];
      break;
    case "VirtualLab":
      if (machine === "proxy" || machine === "target") return ["spec", machine, "machine"];
      break;
    case "EMRCluster":
      if (machine === "proxy" || machine === "master") return ["spec", machine, "machine"];
      if (numbered("worker")) return ["spec", "workers", "machine"];
      break;
    case "HPCCluster":
      if (machine === "head") return ["spec", "headNode", "machine"];
      if (numbered("compute")) return ["spec", "computeNodes", "machine"];
      break;
  }
  throw new Error(`no machine block for '${machine}' in a ${f.kind} formation`);
}

/** `<formation>-<machine>-<yyyymmddhhmm>`, cut to the 40 characters a formation name allows. */
export function freshName(formation: string, machine: string, now: Date): string {
  const suffix = `-${stamp(now).slice(0, 12)}`;
  const base = `${formation}-${machine}`.slice(0, 40 - suffix.length).replace(/-+$/, "");
  return `${base}${suffix}`;
}

const SCHEMA_LINE = /^#\s*yaml-language-server:\s*\$schema=(\S+)\s*$/;

/** The project's schema file, found from this module (source and dist sit at different depths). */
function projectSchema(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = resolve(dir, "schemas/formation.schema.json");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/** The schema line for `outFile`: the source's, re-pointed from the new folder; else the project's schema. */
function schemaLine(first: string | undefined, sourceFile: string, outFile: string): string | undefined {
  const m = first ? SCHEMA_LINE.exec(first) : null;
  const ref = m?.[1];
  if (ref && (/^[a-z]+:\/\//i.test(ref) || isAbsolute(ref) || !sourceFile)) return first;
  const schema = ref ? resolve(dirname(resolve(sourceFile)), ref) : projectSchema();
  if (!schema) return undefined;
  const rel = relative(dirname(resolve(outFile)), schema)
    .split("\\")
    .join("/");
  return `# yaml-language-server: $schema=${rel.startsWith(".") ? rel : `./${rel}`}`;
}

export interface SnapshotFormationInput {
  /** The session's formation text and parsed formation. */
  text: string;
  formation: Formation;
  /** The file the session's formation came from (to re-point a relative schema line). */
  sourceFile: string;
  session: string;
  machine: string;
  /** What the machine block's `image` becomes (a provider image id, or a Docker reference). */
  image: string;
  outFile: string;
  now: Date;
  /** The new formation's name (default: {@link freshName}). */
  name?: string;
}

/** The new formation's text, validated; throws FormationError (exit 1) when it does not validate. */
export function snapshotFormationText(input: SnapshotFormationInput): { text: string; name: string } {
  const lines = input.text.split("\n");
  const hasSchema = SCHEMA_LINE.test(lines[0] ?? "");
  const doc = parseDocument(hasSchema ? lines.slice(1).join("\n") : input.text);
  const name = input.name ?? freshName(input.formation.metadata.name, input.machine, input.now);
  doc.setIn([...machineBlockPath(input.formation, input.machine), "image"], input.image);
  doc.setIn(["metadata", "name"], name);
  const header = [
    schemaLine(hasSchema ? lines[0] : undefined, input.sourceFile, input.outFile),
    `# Launches ${input.machine} from snapshot ${input.image} of session ${input.session} (formations snapshot, ${input.now.toISOString()}).`,
  ].filter((l): l is string => Boolean(l));
  // lineWidth 0: never fold a long value (an SSH key) across lines; the text stays as the user wrote it.
  const text = `${header.join("\n")}\n${doc.toString({ lineWidth: 0 })}`;
  const r = validateText(text, input.outFile);
  if (!r.valid) throw new FormationError(input.outFile, r.errors, r.source);
  return { text, name };
}

/** Writes the new formation; never over an existing file (it is someone's recipe). */
export async function saveSnapshotFormation(input: SnapshotFormationInput): Promise<{ file: string; name: string }> {
  const { text, name } = snapshotFormationText(input);
  try {
    await writeFile(input.outFile, text, { flag: "wx" });
  } catch (err) {
    if ((err as { code?: string }).code === "EEXIST")
      throw new SessionError(`${input.outFile} already exists: choose another --save-formation path (nothing was overwritten)`, 1, input.session);
    throw err;
  }
  return { file: input.outFile, name };
}
