/**
 * A located problem in a formation file. Every user-facing error of the format layer is one of
 * these, so the CLI can print them all at once and `--json` can emit them unchanged.
 */
import { UserError } from "../user-error.js";

export interface Diagnostic {
  /** Path of the file as the user named it. */
  file: string;
  /** 1-based line of the offending key or value. */
  line: number;
  /** 1-based column of the offending key or value. */
  col: number;
  /** JSON pointer into the document (`""` for the whole document). */
  pointer: string;
  /** What is wrong, in one sentence. */
  message: string;
  /** How to fix it, when we can tell (`did you mean 'instanceType'?`). */
  hint?: string;
}

/** The JSON shape of one error in `formations validate --json` (spec: validate). */
export interface JsonError {
  line: number;
  col: number;
  pointer: string;
  message: string;
}

export function toJsonError(d: Diagnostic): JsonError {
  return { line: d.line, col: d.col, pointer: d.pointer, message: d.hint ? `${d.message} (${d.hint})` : d.message };
}

/**
 * `FILE:LINE:COL: error: MESSAGE (at /pointer)`, then the source line with a caret under the
 * column, then the hint. `source` is the file's text when we could decode it.
 */
export function renderDiagnostic(d: Diagnostic, source?: string): string {
  // A key may hold a newline (`"a\nb":`); escape it so one error stays one line.
  const pointer = (d.pointer || "/").replace(/\p{Cc}/gu, (c) => JSON.stringify(c).slice(1, -1));
  const out = [`${d.file}:${d.line}:${d.col}: error: ${d.message} (at ${pointer})`];
  const text = source?.split(/\r?\n/, d.line)[d.line - 1];
  // Never echo a pasted private key back to a terminal or CI log, not even as context.
  if (text !== undefined && text.length <= 400 && !/PRIVATE KEY-----/.test(text)) {
    const gutter = `${String(d.line).padStart(4)} | `;
    out.push(`${gutter}${text}`);
    // Keep tabs so the caret lines up under tab-indented text.
    const pad = text.slice(0, Math.max(0, d.col - 1)).replace(/[^\t]/g, " ");
    out.push(`${" ".repeat(gutter.length - 2)}| ${pad}^`);
  }
  if (d.hint) out.push(`     = hint: ${d.hint}`);
  return out.join("\n");
}

/** Stable order: by line, then column, then pointer; and one message per (place, text). */
export function sortAndDedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of [...list].sort((a, b) => a.line - b.line || a.col - b.col || a.pointer.localeCompare(b.pointer))) {
    const key = `${d.pointer}\u0000${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** A user mistake in a formation file (exit 1): carries every diagnostic; its message is ready to print. */
export class FormationError extends UserError {
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
    readonly source?: string,
  ) {
    super(diagnostics.map((d) => renderDiagnostic(d, source)).join("\n"), 1);
    this.name = "FormationError";
  }
}
