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

/** At most this many errors of one file are printed as text; `--json` and FormationError.diagnostics keep them all. */
export const MAX_PRINTED = 100;

/**
 * A key whose value is likely a credential (`DB_PASSWORD:`, `api_key:`, `GITHUB_TOKEN:`), anywhere
 * on a line (flow mappings too). Such a line is never echoed back as context, nor its value in a
 * message: a compose file or a Docker formation's `env` may hold one, and CI logs are shared.
 */
export const SECRET_KEY = /(passw(?:or)?d|passphrase|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credentials?)[\w.-]*["']?\s*:(?:\s|$)/i;

/** Whether a line holds a key that looks like a credential (an invisible or control character inside the word, a NUL say, does not hide it). */
export function secretLine(text: string): boolean {
  // eslint-disable-next-line no-control-regex -- stripping C0 controls is the point
  return SECRET_KEY.test(text.replace(/[\p{Cf}\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/gu, ""));
}

/** Whether a key name (not a line) looks like it holds a credential. */
export function secretKey(name: string): boolean {
  return secretLine(`${name}: `);
}

function showLine(text: string): boolean {
  // Never echo a pasted private key back to a terminal or CI log, not even as context.
  return text.length <= 400 && !/PRIVATE KEY-----/.test(text) && !secretLine(text);
}

/** Invisible format characters (a right-to-left override U+202E, zero-width spaces) that reorder or hide text on a terminal. */
const FORMAT_CHARS = /\p{Cf}/gu;

/** Text with control and invisible format characters written as `\uXXXX`: one line, nothing hidden or reordered. */
export function visible(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function renderOne(d: Diagnostic, text: string | undefined): string {
  // A key may hold a newline (`"a\nb":`) or an override; escape them so one error stays one, readable, line.
  const pointer = (d.pointer || "/").replace(/[\p{Cc}\p{Cf}]/gu, (c) =>
    /\p{Cc}/u.test(c) ? JSON.stringify(c).slice(1, -1) : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  const out = [`${d.file}:${d.line}:${d.col}: error: ${d.message.replace(FORMAT_CHARS, (c) => visible(c))} (at ${pointer})`];
  if (text !== undefined && showLine(text)) {
    const gutter = `${String(d.line).padStart(4)} | `;
    // One visible mark per invisible character keeps the caret under the right column.
    out.push(`${gutter}${text.replace(FORMAT_CHARS, "\ufffd")}`);
    // Keep tabs so the caret lines up under tab-indented text.
    const pad = text.slice(0, Math.max(0, d.col - 1)).replace(/[^\t]/g, " ");
    out.push(`${" ".repeat(gutter.length - 2)}| ${pad}^`);
  }
  if (d.hint) out.push(`     = hint: ${d.hint.replace(FORMAT_CHARS, (c) => visible(c))}`);
  return out.join("\n");
}

/**
 * `FILE:LINE:COL: error: MESSAGE (at /pointer)`, then the source line with a caret under the
 * column, then the hint. `source` is the file's text when we could decode it. For many errors of
 * one file use renderDiagnostics, which splits the text once.
 */
export function renderDiagnostic(d: Diagnostic, source?: string): string {
  return renderOne(d, source?.split(/\r?\n/, d.line)[d.line - 1]);
}

/**
 * Every error of one file as text, in linear time (the source is split once: splitting it per
 * error made 50,000 errors take minutes), at most `max` of them, then one line counting the rest.
 */
export function renderDiagnostics(list: readonly Diagnostic[], source: string | undefined, max = MAX_PRINTED): string[] {
  const lines = source?.split(/\r?\n/);
  const out = list.slice(0, max).map((d) => renderOne(d, lines?.[d.line - 1]));
  const rest = list.length - out.length;
  if (rest > 0) {
    const file = list[0]!.file;
    out.push(
      `${file}: ${rest} more error${rest === 1 ? "" : "s"} not shown (the first ${out.length} are above; 'formations validate --json ${file}' lists every one)`,
    );
  }
  return out;
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

/** A user mistake in a formation file (exit 1): carries every diagnostic; its message is ready to print (the first MAX_PRINTED, then a count). */
export class FormationError extends UserError {
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
    readonly source?: string,
  ) {
    super(renderDiagnostics(diagnostics, source).join("\n"), 1);
    this.name = "FormationError";
  }
}
