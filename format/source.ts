import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { Composer, isMap, isScalar, type Document } from "yaml";
import { MAX_DEPTH, MAX_VALUES, nestingTooDeep, readCst, withoutStackTraces } from "./bounds.js";
import { plainDataProblems } from "./plain.js";
import { indexAliases, MAX_ALIASES, type AliasIndex } from "./anchors.js";
import { secretLine, visible, type Diagnostic } from "./diagnostics.js";

/** Formations are small; anything larger is a mistake or an attack, refused before reading. */
export const MAX_FILE_BYTES = 1024 * 1024;
export { MAX_ALIASES, MAX_DEPTH, MAX_VALUES };

/** A parsed YAML file: its text (for carets), the document and a position helper. */
export interface ParsedSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  /** Each alias's anchor, resolved once (yaml's own resolve walks the document per call). */
  aliases: AliasIndex;
  position(offset: number): { line: number; col: number };
}

export type ParseResult = { ok: true; source: ParsedSource; data: unknown } | { ok: false; text?: string; errors: Diagnostic[] };

function at(file: string, line: number, col: number, message: string, hint?: string, pointer = ""): Diagnostic {
  return hint ? { file, line, col, pointer, message, hint } : { file, line, col, pointer, message };
}

/** Why a file cannot be read, in words (a symlink loop is not "no such file"). */
const READ_ERRORS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ELOOP: "too many levels of symbolic links (a symlink loop)",
  ENOTDIR: "a part of the path is not a directory",
  ENAMETOOLONG: "the path is too long",
  EIO: "input/output error",
};

/** What a read gives: the file's bytes, or why not (with its first bytes when it was only too large). */
export type ReadBytes = { ok: true; bytes: Buffer } | { ok: false; errors: Diagnostic[]; head?: Buffer };

/**
 * Reads a regular file once: one open, one fstat, reads up to the limit, one close (a validate
 * of a directory of formations is mostly this). Synchronous on purpose: a formation is a small
 * local file, and Node's promise file API costs about 0.5 ms of the main thread per file in
 * handles and callbacks (half the time of validating it) against a few µs for these calls.
 * Opened non-blocking, so that a FIFO named "x.yaml" never waits for a writer; anything but a
 * regular file is refused, and so is a file over MAX_FILE_BYTES, before its content is read.
 * With `head`, a file refused only for its size still gives its first `head` bytes (to tell a
 * formation from other YAML).
 */
export function readBytes(file: string, opts: { head?: number } = {}): ReadBytes {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const info = fstatSync(fd);
    if (!info.isFile()) return { ok: false, errors: [at(file, 1, 1, "not a regular file")] };
    if (info.size > MAX_FILE_BYTES) {
      const errors = [
        at(
          file,
          1,
          1,
          `file is ${info.size} bytes; formations are limited to ${MAX_FILE_BYTES} bytes (1 MiB)`,
          "split it, or check that this is a formation file",
        ),
      ];
      return opts.head ? { ok: false, errors, head: readUpTo(fd, opts.head) } : { ok: false, errors };
    }
    // One byte over the limit tells a file that grew since the fstat.
    const bytes = readUpTo(fd, MAX_FILE_BYTES + 1, info.size + 1);
    if (bytes.length > MAX_FILE_BYTES) return { ok: false, errors: [at(file, 1, 1, `file is larger than ${MAX_FILE_BYTES} bytes (1 MiB)`)] };
    return { ok: true, bytes };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    // open(2) of a Unix socket: refused as the fstat refuses a FIFO or a directory.
    if (code === "ENXIO") return { ok: false, errors: [at(file, 1, 1, "not a regular file")] };
    return { ok: false, errors: [at(file, 1, 1, `cannot read file: ${READ_ERRORS[code] ?? (err as Error).message}`)] };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Up to `max` bytes from the start of the file (fewer at its end), in reads of `first` bytes then more. */
function readUpTo(fd: number, max: number, first = max): Buffer {
  let buf = Buffer.allocUnsafe(Math.min(max, Math.max(first, 1)));
  let length = 0;
  for (;;) {
    if (length === buf.length) {
      if (buf.length >= max) break;
      const bigger = Buffer.allocUnsafe(Math.min(max, buf.length * 2));
      buf.copy(bigger, 0, 0, length);
      buf = bigger;
    }
    const bytesRead = readSync(fd, buf, length, buf.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return buf.subarray(0, length);
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
    if (c < 0x80) {
      i++;
      continue;
    }
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

/** Characters outside YAML's c-printable set (tab, CR, LF and NEL are allowed; BOM is stripped on read). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NON_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/;

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

/**
 * `%YAML 1.1` switches yaml to the 1.1 schema, where `on` is true, `010` is 8 and `<<` merges:
 * the same text would mean something else than the schema's hints say. Formations are YAML 1.2
 * only; any other version directive is refused where it is written.
 */
function yamlVersionProblem(text: string, doc: Document.Parsed): { offset: number; message: string; hint: string } | undefined {
  const version = doc.directives?.yaml;
  if (!version?.explicit) return undefined;
  // Directives come before the first `---`, each at the start of a line.
  const m = /^%YAML[ \t]+([^\s#]*)/m.exec(text);
  const written = m?.[1] ?? version.version;
  if (written === "1.2") return undefined;
  const shown = visible(written).slice(0, 40);
  return {
    offset: m?.index ?? 0,
    message: `'%YAML ${shown}' directive: formations are read as YAML 1.2 only`,
    hint: "remove the directive; the schema's rules are YAML 1.2's (under YAML 1.1, 'on' would be true, '010' would be 8 and '<<' would merge)",
  };
}

/** Parses one YAML document safely; every problem comes back as a located diagnostic. */
export function parseSource(file: string, text: string): ParseResult {
  const position = positionIn(text);
  // The same limit as for files, so the library's validateText is no easier to overload.
  const size = Buffer.byteLength(text, "utf8");
  if (size > MAX_FILE_BYTES) {
    return {
      ok: false,
      errors: [
        at(file, 1, 1, `text is ${size} bytes; formations are limited to ${MAX_FILE_BYTES} bytes (1 MiB)`, "split it, or check that this is a formation file"),
      ],
    };
  }
  // YAML allows only printable characters; yaml would keep a raw NUL or ESC inside a value.
  const control = NON_PRINTABLE.exec(text);
  if (control) {
    const p = position(control.index);
    const code = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    return {
      ok: false,
      text,
      errors: [at(file, p.line, p.col, `control character ${code} is not allowed in a YAML file`, "remove it; this may not be a text file")],
    };
  }
  const cst = nestingTooDeep(text) ?? withoutStackTraces(() => readCst(text));
  if (typeof cst === "number" || "tooDeep" in cst) {
    const p = position(typeof cst === "number" ? cst : cst.tooDeep);
    return {
      ok: false,
      text,
      errors: [at(file, p.line, p.col, `nesting is deeper than ${MAX_DEPTH} levels`, "formations are a few levels deep; check the brackets and indentation")],
    };
  }
  if ("tooMany" in cst) {
    const p = position(cst.tooMany);
    return {
      ok: false,
      text,
      errors: [
        at(
          file,
          p.line,
          p.col,
          `more than ${MAX_VALUES.toLocaleString("en")} values: formations hold a few thousand at most`,
          "this looks like generated data, not a formation; check the file",
        ),
      ],
    };
  }
  // uniqueKeys is checked below in one pass: yaml's own check is quadratic (a 1 MiB file of
  // 100,000 keys took over a minute), which turns one file into a denial of service.
  // Only the first document is composed: a formation file holds one, and composing 250,000
  // `---` documents only to count them took seconds.
  const starts = cst.tokens.flatMap((t, i) => (t.type === "document" ? [i] : []));
  const composer = new Composer({ uniqueKeys: false, strict: true, stringKeys: false });
  const list = withoutStackTraces(() => [...composer.compose(cst.tokens.slice(0, starts[1] ?? cst.tokens.length), false, text.length)]);
  const errors: Diagnostic[] = [];
  const first = list[0];
  // `---` alone leaves an empty scalar rather than no contents: that is empty too.
  const blank = first?.contents === null || (isScalar(first?.contents) && first.contents.value === null && !first.contents.source);
  if (!first || (starts.length <= 1 && blank && first.errors.length === 0)) {
    return { ok: false, text, errors: [at(file, 1, 1, "file is empty (or holds only comments)", "a formation starts with 'apiVersion: formations/v1'")] };
  }
  if (starts.length > 1) {
    const p = position(cst.tokens[starts[1]!]!.offset);
    errors.push(
      at(
        file,
        p.line,
        p.col,
        `file holds ${starts.length} YAML documents; a formation file holds exactly one`,
        "put each formation in its own file, or remove the '---' separator",
      ),
    );
  }
  const version = yamlVersionProblem(text, first);
  let lines: string[] | undefined;
  for (const e of [...first.errors, ...first.warnings]) {
    // The version directive is reported once, below, with what to do about it.
    if (version && e.code === "BAD_DIRECTIVE" && e.message.startsWith("Unsupported YAML version")) continue;
    const p = position(e.pos[0]);
    if (e.code === "TAG_RESOLVE_FAILED") {
      errors.push(at(file, p.line, p.col, `unsupported YAML tag: ${e.message.replace(/^Unresolved tag: /, "")}`, "formations are plain data: remove the tag"));
    } else if (e.code === "DUPLICATE_KEY") {
      errors.push(at(file, p.line, p.col, "duplicate key: a key may appear only once in a mapping", "remove or merge the repeated key"));
    } else {
      // yaml quotes the offending text; on a line that holds a secret that text is the secret.
      const secret = secretLine((lines ??= text.split("\n"))[p.line - 1] ?? "");
      const message = visible(e.message.split("\n")[0]!);
      errors.push(at(file, p.line, p.col, `YAML syntax error: ${secret ? message.replace(/: .*$/, "") : message}`));
    }
  }
  if (version) {
    const p = position(version.offset);
    errors.push(at(file, p.line, p.col, version.message, version.hint));
  }
  const aliases = indexAliases(first);
  for (const problem of plainDataProblems(first, aliases)) {
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
    return {
      ok: false,
      text,
      errors: [at(file, p.line, p.col, "a formation is a mapping (key: value lines) at the top level", "start with 'apiVersion: formations/v1'")],
    };
  }
  return { ok: true, source: { file, text, doc: first, aliases, position }, data };
}
