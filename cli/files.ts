import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "./exit.js";

const FORMATION_FILE = /\.ya?ml$/i;

/** A file to validate: named on the command line, or found in a directory given there. */
export interface FoundFile {
  path: string;
  /** Found by searching a directory (so it may be any YAML: a compose file, Helm values). */
  searched: boolean;
  /** The directory argument it was found in. */
  root?: string;
}

/**
 * Expands the paths given on the command line: files as given, directories searched
 * recursively for *.yaml / *.yml (skipping dot-folders and node_modules, never following links).
 * A path that cannot be read (missing, a symlink loop, no permission) is kept as a file: the
 * reader reports it as that file's error (invalid input, exit 1), and the other files are still
 * validated.
 */
export async function expandPaths(paths: readonly string[]): Promise<FoundFile[]> {
  const out: FoundFile[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => undefined);
    if (info?.isDirectory()) {
      const found = await walk(p);
      if (found.length === 0) throw new UsageError(`no *.yaml or *.yml files in ${p}`);
      out.push(...found.map((path) => ({ path, searched: true, root: p })));
    } else out.push({ path: p, searched: false });
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile() && FORMATION_FILE.test(e.name)) out.push(p);
  }
  return out;
}
