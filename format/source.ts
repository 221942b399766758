import { readFile, stat } from "node:fs/promises";
import { Parser, parseAllDocuments, isMap, isScalar, type CST, type Document } from "yaml";
import { plainDataProblems } from "./plain.js";
import type { Diagnostic } from "./diagnostics.js";

/** Formations are small; anything larger is a mistake or an attack, refused before reading. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Deeper than any real formation (about 6 levels) by a wide margin, far below stack limits. */
export const MAX_DEPTH = 64;
/** Anchors are handy for sharing a machine block; more aliases than this is an alias bomb. */
export const MAX_ALIASES = 100;

/** A parsed YAML file: its text (for carets), the document and a position helper. */
export interface ParsedSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  position(offset: number): { line: number; col: number };
}

export type ParseResult = { ok: true; source: ParsedSource; data: unknown } | { ok: false; text?: string; errors: Diagnostic[] };

function at(file: string, line: number, col: number, message: string, hint?: string, pointer = ""): Diagnostic {
  return hint ? { file, line, col, pointer, message, hint } : { file, line, col, pointer, message };
}

/** Reads a file as UTF-8 text, refusing huge files and invalid bytes with a located error. */
export async function readSource(file: string): Promise<{ ok: true; text: string } | { ok: false; errors: Diagnostic[] }> {
  let bytes: Buffer;
  try {
    const info = await stat(file);
    if (!info.isFile()) return { ok: false, errors: [at(file, 1, 1, "not a regular file")] };
    if (info.size > MAX_FILE_BYTES) {
      return { ok: false, errors: [at(file, 1, 1, `file is ${info.size} bytes; formations are limited to ${MAX_FILE_BYTES} bytes (1 MiB)`, "split it, or check that this is a formation file")] };
    }
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (err as Error).message;
    return { ok: false, errors: [at(file, 1, 1, `cannot read file: ${why}`)] };
  }
  // Re-check after reading: the file may have grown between stat and read.
  if (bytes.length > MAX_FILE_BYTES) return { ok: false, errors: [at(file, 1, 1, `file is larger than ${MAX_FILE_BYTES} bytes (1 MiB)`)] };
  return decodeUtf8(file, bytes);
}

/** Strict UTF-8 decoding: a bad byte is reported at its line and column, never replaced silently. */
export function decodeUtf8(file: string, bytes: Uint8Array): { ok: true; text: string } | { ok: false; errors: Diagnostic[] } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { ok: false, errors: [at(file, 1, 1, "file is UTF-16 encoded; formations must be UTF-8", "re-save the file as UTF-8")] };
  }
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    return { ok: true, text };
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const before = new TextDecoder("utf-8").decode(bytes.subarray(0, bad));
    const lines = before.split("\n");
    const line = lines.length;
    const col = (lines[lines.length - 1]?.length ?? 0) + 1;
    const hex = (bytes[bad] ?? 0).toString(16).padStart(2, "0");
    return { ok: false, errors: [at(file, line, col, `invalid UTF-8 byte 0x${hex}; formations must be UTF-8 text`, "re-save the file as UTF-8")] };
  }
}

function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    // The second byte's range is narrower after E0 and F0 (overlong forms), ED (UTF-16 surrogates)
    // and F4 (beyond U+10FFFF); without this the decoder's error was reported at 1:1.
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || x < (k === 1 ? lo : 0x80) || x > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return 0;
}

/**
 * Bounds nesting before the YAML parser sees the text: the parser recurses, and a few thousand
 * `[` would exhaust the stack (slowly). Counts flow brackets outside quotes and block indentation.
 */
function nestingTooDeep(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\n") { lineStart = true; indent = 0; continue; }
    if (lineStart) {
      if (ch === " ") { if (++indent > MAX_DEPTH * 8) return i; continue; }
      lineStart = false;
    }
    if (quote) { if (ch === quote) quote = undefined; continue; }
    if (ch === "#" ) { while (i + 1 < text.length && text[i + 1] !== "\n") i++; continue; }
    if (ch === '"' || ch === "'") { quote = ch; continue; }
    if (ch === "[" || ch === "{") { if (++depth > MAX_DEPTH) return i; }
    else if (ch === "]" || ch === "}") depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** Characters outside YAML's c-printable set (tab, CR, LF and NEL are allowed; BOM is stripped on read). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NON_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/;

type CstNode = CST.Token | null | undefined;

/**
 * The exact nesting depth, measured on yaml's CST. Its parser keeps its own stack (no recursion),
 * but the composer that runs next recurses once per level, and a stack overflow there is not
 * always catchable: after one, V8 may abort the whole process on the next deep parse. The quick
 * scan above misses compact block nesting (`- - - - x`, `? ? x`) and brackets after a stray
 * quote; this catches every form. Returns the offset of the first collection too deep.
 */
function cstTooDeep(text: string): number | undefined {
  for (const top of new Parser().parse(text)) {
    const stack: [CstNode, number][] = [[top, 0]];
    while (stack.length > 0) {
      const [tok, depth] = stack.pop()!;
      if (!tok) continue;
      const nested = tok.type === "block-map" || tok.type === "block-seq" || tok.type === "flow-collection";
      const d = nested ? depth + 1 : depth;
      if (d > MAX_DEPTH) return tok.offset;
      if (tok.type === "document") stack.push([tok.value, d]);
      if (nested) for (const item of tok.items) stack.push([item.key, d], [item.value, d]);
    }
  }
  return undefined;
}

/**
 * 1-based line and column of an offset, computed from the text itself: yaml's LineCounter misses
 * newlines in some broken input (after a stray directive), which put columns past the line's end.
 */
export function positionIn(text: string): (offset: number) => { line: number; col: number } {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    const at = Math.max(0, Math.min(offset, text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: at - starts[lo]! + 1 };
  };
}

/** Parses one YAML document safely; every problem comes back as a located diagnostic. */
export function parseSource(file: string, text: string): ParseResult {
  const position = positionIn(text);
  // The same limit as for files, so the library's validateText is no easier to overload.
  const size = Buffer.byteLength(text, "utf8");
  if (size > MAX_FILE_BYTES) {
    return { ok: false, errors: [at(file, 1, 1, `text is ${size} bytes; formations are limited to ${MAX_FILE_BYTES} bytes (1 MiB)`, "split it, or check that this is a formation file")] };
  }
  // YAML allows only printable characters; yaml would keep a raw NUL or ESC inside a value.
  const control = NON_PRINTABLE.exec(text);
  if (control) {
    const p = position(control.index);
    const code = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    return { ok: false, text, errors: [at(file, p.line, p.col, `control character ${code} is not allowed in a YAML file`, "remove it; this may not be a text file")] };
  }
  const deep = nestingTooDeep(text) ?? cstTooDeep(text);
  if (deep !== undefined) {
    const p = position(deep);
    return { ok: false, text, errors: [at(file, p.line, p.col, `nesting is deeper than ${MAX_DEPTH} levels`, "formations are a few levels deep; check the brackets and indentation")] };
  }
  // uniqueKeys is checked below in one pass: yaml's own check is quadratic (a 1 MiB file of
  // 100,000 keys took over a minute), which turns one file into a denial of service.
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false, strict: true, stringKeys: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const errors: Diagnostic[] = [];
  const first = list[0];
  // `---` alone leaves an empty scalar rather than no contents: that is empty too.
  const blank = first?.contents === null || (isScalar(first?.contents) && first.contents.value === null && !first.contents.source);
  if (!first || (list.length === 1 && blank && first.errors.length === 0)) {
    return { ok: false, text, errors: [at(file, 1, 1, "file is empty (or holds only comments)", "a formation starts with 'apiVersion: formations/v1'")] };
  }
  if (list.length > 1) {
    const p = position(list[1]!.range[0]);
    errors.push(at(file, p.line, p.col, `file holds ${list.length} YAML documents; a formation file holds exactly one`, "put each formation in its own file, or remove the '---' separator"));
  }
  for (const e of [...first.errors, ...first.warnings]) {
    const p = position(e.pos[0]);
    if (e.code === "TAG_RESOLVE_FAILED") {
      errors.push(at(file, p.line, p.col, `unsupported YAML tag: ${e.message.replace(/^Unresolved tag: /, "")}`, "formations are plain data: remove the tag"));
    } else if (e.code === "DUPLICATE_KEY") {
      errors.push(at(file, p.line, p.col, "duplicate key: a key may appear only once in a mapping", "remove or merge the repeated key"));
    } else {
      errors.push(at(file, p.line, p.col, `YAML syntax error: ${e.message.split("\n")[0]}`));
    }
  }
  for (const problem of plainDataProblems(first)) {
    const p = position(problem.offset);
    errors.push(at(file, p.line, p.col, problem.message, problem.hint));
  }
  if (errors.length > 0) return { ok: false, text, errors };
  let data: unknown;
  try {
    data = first.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    const msg = (err as Error).message;
    const hint = /alias/i.test(msg) ? `at most ${MAX_ALIASES} aliases are expanded; this looks like an alias bomb` : undefined;
    return { ok: false, text, errors: [at(file, 1, 1, `cannot read YAML: ${msg}`, hint)] };
  }
  if (!isMap(first.contents)) {
    const p = position(first.contents?.range?.[0] ?? 0);
    return { ok: false, text, errors: [at(file, p.line, p.col, "a formation is a mapping (key: value lines) at the top level", "start with 'apiVersion: formations/v1'")] };
  }
  return { ok: true, source: { file, text, doc: first, position }, data };
}
