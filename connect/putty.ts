/**
 * PuTTY's and plink's command lines for a machine reached with SSH, for Windows users (the seed
 * offered PuTTY beside SSH and RDP). Pure text from the same route `connect` computes: a private
 * machine is reached through its proxy with `-proxycmd "plink -nc %host:%port ..."`, PuTTY's own
 * way to jump (both programs take -proxycmd and -nc since PuTTY 0.70); the proxy leg gets the key
 * too, as `ssh -J` would not. PuTTY reads its own key format, so a key is named with `.ppk` and
 * the note says how to convert one.
 */
import { routeOf, speaksSsh, type ConnectMachine, type ConnectOptions } from "./artifacts.js";

export interface PuttyCommands {
  machine: string;
  /** `putty -ssh ...`: opens a terminal window. */
  putty: string;
  /** `plink -ssh ...`: the same connection in a console (scripts, Windows Terminal). */
  plink: string;
  notes: string[];
}

/** A word for the Windows command line: double-quoted when it has white space; a quote cannot be written. */
export function windowsWord(s: string): string {
  if (/["\r\n]/.test(s)) throw new Error(`cannot write ${JSON.stringify(s)} on a PuTTY command line`);
  return /[\s&|<>^%]/.test(s) ? `"${s}"` : s;
}

/**
 * A word inside `-proxycmd "..."`: PuTTY turns `\\` into one backslash there (its backslash
 * escapes), and the quotes around a word with spaces are written `\"` so the Windows command line
 * keeps them inside the one quoted argument.
 */
export function proxyWord(s: string): string {
  const w = windowsWord(s).replace(/\\/g, "\\\\");
  return w.startsWith('"') ? `\\"${w.slice(1, -1)}\\"` : w;
}

/** The .ppk file PuTTY needs for an OpenSSH private key (`~/.ssh/id_ed25519` → `~/.ssh/id_ed25519.ppk`). */
export function ppkOf(key: string): string {
  return /\.ppk$/i.test(key) ? key : `${key}.ppk`;
}

/** PuTTY and plink command lines, or undefined for a machine not reached with SSH (a container, a desktop). */
export function puttyCommands(m: ConnectMachine, opts: ConnectOptions = {}): PuttyCommands | undefined {
  if (!speaksSsh(m)) return undefined;
  const route = routeOf(m);
  const key = opts.keyPath ? ppkOf(opts.keyPath) : undefined;
  const i = key ? ["-i", windowsWord(key)] : [];
  const proxyKey = key ? ["-i", proxyWord(key)] : [];
  const jump = route.via
    ? ["-proxycmd", `"${["plink", "-batch", ...proxyKey, "-nc", "%host:%port", proxyWord(`${route.via.user}@${route.via.address}`)].join(" ")}"`]
    : [];
  const args = [...i, ...jump, windowsWord(`${m.user}@${route.host}`)];
  const notes =
    key && key !== opts.keyPath ? [`PuTTY reads .ppk keys: convert yours once with 'puttygen ${windowsWord(opts.keyPath!)} -o ${windowsWord(key)}'`] : [];
  return { machine: m.machine, putty: ["putty", "-ssh", ...args].join(" "), plink: ["plink", "-ssh", ...args].join(" "), notes };
}
