import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "./exit.js";

const FORMATION_FILE = /\.ya?ml$/i;

/**
 * Expands the paths given on the command line: files as given, directories searched
 * recursively for *.yaml / *.yml (skipping dot-folders and node_modules, never following links).
 */
export async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => undefined);
    if (!info) throw new UsageError(`no such file or directory: ${p}`);
    if (info.isDirectory()) {
      const found = await walk(p);
      if (found.length === 0) throw new UsageError(`no *.yaml or *.yml files in ${p}`);
      out.push(...found);
    } else out.push(p);
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
