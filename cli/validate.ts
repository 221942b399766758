import pLimit from "p-limit";
import { validateFormation } from "../format/load.js";
import { renderDiagnostic, toJsonError } from "../format/diagnostics.js";
import { expandPaths } from "./files.js";
import { EXIT } from "./exit.js";
import { paint, type Output } from "./output.js";

/** `formations validate <file|dir>... [--json]`: 0 when all valid, 1 when any is invalid. */
export async function validateCommand(paths: string[], opts: { json?: boolean }, io: Output): Promise<number> {
  const files = await expandPaths(paths);
  // Reads overlap (bounded, to stay under open-file limits on big trees); results keep their order.
  const limit = pLimit(16);
  const results = await Promise.all(files.map((file) => limit(() => validateFormation(file))));
  const invalid = results.filter((r) => !r.valid);
  if (opts.json) {
    io.out(JSON.stringify(results.map((r) => ({ file: r.file, valid: r.valid, errors: r.errors.map(toJsonError) })), null, 2));
  } else {
    for (const r of results) for (const d of r.errors) io.out(paint(renderDiagnostic(d, r.source), io.color));
    const count = invalid.reduce((n, r) => n + r.errors.length, 0);
    io.err(
      invalid.length === 0
        ? `${files.length} formation${files.length === 1 ? "" : "s"} valid`
        : `${invalid.length} of ${files.length} file${files.length === 1 ? "" : "s"} invalid (${count} error${count === 1 ? "" : "s"})`,
    );
  }
  return invalid.length === 0 ? EXIT.ok : EXIT.invalid;
}
