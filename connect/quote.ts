/** Quoting for the artifacts `connect` prints: POSIX shell words and ssh_config values. */

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
