/** Quoting for the artifacts `connect` prints: POSIX shell words and ssh_config values. */
import { isIP } from "node:net";

const SAFE = /^[A-Za-z0-9@%+=:,./_-]+$/;

/**
 * A POSIX shell word: as is when it has only safe characters, else single-quoted. A leading `~/`
 * stays outside the quotes so that the shell still expands it (`~/'my keys/id'`).
 */
export function shellWord(s: string): string {
  if (s !== "" && SAFE.test(s)) return s;
  if (s.startsWith("~/") && s.length > 2) {
    const rest = s.slice(2);
    return `~/${SAFE.test(rest) ? rest : singleQuoted(rest)}`;
  }
  return singleQuoted(s);
}

function singleQuoted(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** An ssh_config value: double-quoted when it has white space (ssh_config has no escapes inside quotes). */
export function configValue(s: string): string {
  if (/["\r\n]/.test(s)) throw new Error(`cannot write ${JSON.stringify(s)} in an ssh config file`);
  return /\s/.test(s) ? `"${s}"` : s;
}

/** An .rdp setting value: one line, no control characters. */
export function rdpValue(s: string): string {
  if (/[\r\n]/.test(s)) throw new Error(`cannot write ${JSON.stringify(s)} in an .rdp file`);
  return s;
}

/** A DNS host name: dot-separated labels of letters, digits and inner dashes (RFC 1123). */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * An address read back from a session's state, before it goes into a command line or a file: an
 * IP address or a host name, nothing else. The state is data from outside this process (a
 * shared backend, a hand-edited export); a value like `10.0.0.5;curl x|sh` must never be printed
 * where a user would paste it into a shell.
 */
export function hostAddress(s: string, what: string): string {
  if (isIP(s) !== 0 || HOST_NAME.test(s)) return s;
  throw new Error(
    `${what} recorded in the session's state is not an IP address or a host name (${JSON.stringify(s.slice(0, 80))}): refusing to print it; run \`formations refresh\` to read it again`,
  );
}

/** An address as the host part of `host:port` (`-L` forwards, .rdp files): IPv6 in brackets. */
export function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
