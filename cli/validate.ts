import { validateRead, type ValidationResult } from "../format/load.js";
import { readBytes } from "../format/source.js";
import { renderDiagnostics, toJsonError } from "../format/diagnostics.js";
import { looksLikeFormation, SNIFF_BYTES } from "../format/sniff.js";
import { expandPaths, type FoundFile } from "./files.js";
import { EXIT, UsageError } from "./exit.js";
import { paint, type Output } from "./output.js";

export interface ValidateFlags {
  json?: boolean;
  /** Report YAML files found in directories that are not formations, instead of skipping them. */
  strict?: boolean;
}

const NOT_A_FORMATION = "not a formation: no 'apiVersion: formations/v1' line";

/**
 * One file's outcome. A YAML file found by searching a directory that is not a formation is
 * skipped (or, with --strict, reported without its content: no source line, no value).
 */
function check(f: FoundFile, strict: boolean): ValidationResult | { skipped: string } {
  // Read once: the sniff looks at the bytes the validation then takes (a file too large to
  // validate is sniffed on its first bytes, so a big YAML file that is no formation is skipped).
  const read = readBytes(f.path, f.searched ? { head: SNIFF_BYTES } : {});
  const bytes = read.ok ? read.bytes : read.head;
  if (f.searched && bytes && !looksLikeFormation(bytes)) {
    if (!strict) return { skipped: f.path };
    return {
      file: f.path,
      valid: false,
      errors: [
        { file: f.path, line: 1, col: 1, pointer: "", message: NOT_A_FORMATION, hint: "without --strict, YAML files that are not formations are skipped" },
      ],
    };
  }
  return validateRead(f.path, read);
}

/**
 * `formations validate <file|dir>... [--json] [--strict]`: 0 when all valid, 1 when any is invalid
 * (a file that cannot be read included). Text prints at most MAX_PRINTED errors per file, then a
 * count; `--json` keeps every error.
 */
export async function validateCommand(paths: string[], opts: ValidateFlags, io: Output): Promise<number> {
  const files = await expandPaths(paths);
  // One file after another: each is read synchronously (format/source.ts readBytes) and validated on this thread.
  const outcomes = files.map((f) => check(f, Boolean(opts.strict)));
  const skipped = outcomes.filter((o): o is { skipped: string } => "skipped" in o).map((o) => o.skipped);
  const results = outcomes.filter((o): o is ValidationResult => !("skipped" in o));
  for (const file of skipped) io.err(`formations: skipped ${file}: ${NOT_A_FORMATION} (--strict reports it)`);
  const skips = new Set(skipped);
  for (const p of new Set(paths)) {
    // A directory must hold at least one formation: finding none is more likely a wrong path.
    const inside = files.filter((f) => f.root === p);
    if (inside.length > 0 && inside.every((f) => skips.has(f.path))) {
      throw new UsageError(
        `no formation in ${p}: its ${inside.length} YAML file${inside.length === 1 ? " is" : "s are"} not formations (no 'apiVersion: formations/v1')`,
      );
    }
  }
  const invalid = results.filter((r) => !r.valid);
  if (opts.json) {
    io.out(
      JSON.stringify(
        results.map((r) => ({ file: r.file, valid: r.valid, errors: r.errors.map(toJsonError) })),
        null,
        2,
      ),
    );
  } else {
    for (const r of results) for (const block of renderDiagnostics(r.errors, r.source)) io.out(paint(block, io.color));
    const count = invalid.reduce((n, r) => n + r.errors.length, 0);
    const n = results.length;
    const skipNote = skipped.length > 0 ? `; ${skipped.length} YAML file${skipped.length === 1 ? "" : "s"} skipped (not formations)` : "";
    io.err(
      invalid.length === 0
        ? `${n} formation${n === 1 ? "" : "s"} valid${skipNote}`
        : `${invalid.length} of ${n} file${n === 1 ? "" : "s"} invalid (${count} error${count === 1 ? "" : "s"})${skipNote}`,
    );
  }
  return invalid.length === 0 ? EXIT.ok : EXIT.invalid;
}
