/**
 * Telling a formation from other YAML (compose files, Helm values, CI configs) before validating
 * it, so that `validate <dir>` never reports on them: their errors would print their lines, and
 * with them any password they hold. A formation says so on its first lines:
 * `apiVersion: formations/v1`.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";

/** Enough for any formation's header, comments included; the rest of the file is not read. */
const SNIFF_BYTES = 64 * 1024;

/** A top-level `apiVersion: formations/...` key (quoted or not, block or flow style). */
const API_VERSION = /^(?:\{[ \t]*)?["']?apiVersion["']?[ \t]*:[ \t]*["']?formations\//m;

export function isFormationText(text: string): boolean {
  return API_VERSION.test(text);
}

/**
 * Whether the file looks like a formation; `undefined` when it cannot be read (the validator then
 * reports why). Bytes are read as Latin-1, so a formation with a stray non-UTF-8 byte is still
 * recognised (and its bad byte reported), while UTF-16 text is not.
 */
export async function looksLikeFormation(file: string): Promise<boolean | undefined> {
  let handle;
  try {
    // Non-blocking: opening a FIFO (a hostile "x.yaml") must not wait for a writer.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!(await handle.stat()).isFile()) return undefined;
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0);
    return isFormationText(buf.subarray(0, bytesRead).toString("latin1"));
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}
