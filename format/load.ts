import { decodeUtf8, readBytes, parseSource, type ParsedSource, type ReadBytes } from "./source.js";
import { formationValidator } from "./validator.js";
import { diagnosticsFromAjv } from "./messages.js";
import { runRules } from "./rules.js";
import { locate } from "./locate.js";
import { FormationError, sortAndDedupe, visible, type Diagnostic } from "./diagnostics.js";

export { FormationError };
import type { Formation } from "./types.js";

/** The outcome of validating one file: the formation when valid, else every located problem. */
export type ValidationResult =
  { file: string; valid: true; formation: Formation; errors: []; source: string } | { file: string; valid: false; errors: Diagnostic[]; source?: string };

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function check(src: ParsedSource, data: unknown): ValidationResult {
  const validate = formationValidator();
  const ok = validate(data);
  const errors = ok ? [] : diagnosticsFromAjv(src, validate.errors ?? []);
  for (const p of runRules(data)) {
    const { line, col } = locate(src, p.pointer, p.atKey ? "key" : "value");
    // Rules quote values from the file: written visibly (no raw override or zero-width character).
    errors.push({ file: src.file, line, col, pointer: p.pointer, message: visible(p.message), ...(p.hint ? { hint: visible(p.hint) } : {}) });
  }
  if (errors.length > 0) return { file: src.file, valid: false, errors: sortAndDedupe(errors), source: src.text };
  return { file: src.file, valid: true, formation: deepFreeze(data) as Formation, errors: [], source: src.text };
}

/** Validates formation text (already read); `file` names it in messages. Never throws for bad input. */
export function validateText(text: string, file = "<input>"): ValidationResult {
  const parsed = parseSource(file, text);
  if (!parsed.ok) return { file, valid: false, errors: sortAndDedupe(parsed.errors), ...(parsed.text !== undefined ? { source: parsed.text } : {}) };
  return check(parsed.source, parsed.data);
}

/** Validates what readBytes gave: strict UTF-8, then as validateText; a read that failed is its errors. */
export function validateRead(file: string, read: ReadBytes): ValidationResult {
  if (!read.ok) return { file, valid: false, errors: read.errors };
  const text = decodeUtf8(file, read.bytes);
  if (!text.ok) return { file, valid: false, errors: text.errors };
  return validateText(text.text, file);
}

/** Reads and validates a formation file. Never throws for bad input: problems are in `errors`. */
export async function validateFormation(file: string): Promise<ValidationResult> {
  return validateRead(file, readBytes(file));
}

/** Reads, validates and returns a typed, frozen formation with defaults applied; throws FormationError. */
export async function loadFormation(file: string): Promise<Formation> {
  const result = await validateFormation(file);
  if (!result.valid) throw new FormationError(file, result.errors, result.source);
  return result.formation;
}

/** Like loadFormation, for text already in memory. */
export function loadFormationText(text: string, file = "<input>"): Formation {
  const result = validateText(text, file);
  if (!result.valid) throw new FormationError(file, result.errors, result.source);
  return result.formation;
}
