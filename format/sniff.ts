/**
 * Telling a formation from other YAML (compose files, Helm values, CI configs) before validating
 * it, so that `validate <dir>` never reports on them: their errors would print their lines, and
 * with them any password they hold. A formation says so on its first lines:
 * `apiVersion: formations/v1`.
 */

/** Enough for any formation's header, comments included; the rest of a file too large to validate is not read. */
export const SNIFF_BYTES = 64 * 1024;

/** A top-level `apiVersion: formations/...` key (quoted or not, block or flow style). */
const API_VERSION = /^(?:\{[ \t]*)?["']?apiVersion["']?[ \t]*:[ \t]*["']?formations\//m;

export function isFormationText(text: string): boolean {
  return API_VERSION.test(text);
}

/**
 * Whether a file's bytes look like a formation: its first SNIFF_BYTES read as Latin-1, so a
 * formation with a stray non-UTF-8 byte is still recognised (and its bad byte reported), while
 * UTF-16 text is not.
 */
export function looksLikeFormation(bytes: Uint8Array): boolean {
  return isFormationText(Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, SNIFF_BYTES)).toString("latin1"));
}
