/**
 * Where sessions live and how their secrets are protected: the state backend URL, the
 * formations home, and the secrets provider with its passphrase. Resolved once, up front, so a
 * missing passphrase is a clear error before any engine starts (not a Pulumi prompt mid-update).
 * Never prints or returns a passphrase: the engine gets a file path or an environment value.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MissingPassphraseError } from "./errors.js";

export interface BackendOptions {
  /** State backend: file://, s3://, azblob://, gs://, https:// (Pulumi Cloud). Default: PULUMI_BACKEND_URL, else file://$FORMATIONS_HOME/state. */
  backendUrl?: string;
  /** Where formations keeps its own files (default: FORMATIONS_HOME, else ~/.formations). */
  home?: string;
  /** A Pulumi secrets provider (`passphrase`, `awskms://...`, `azurekeyvault://...`, `gcpkms://...`, `hashivault://...`); default: passphrase. */
  secretsProvider?: string;
  /** The passphrase itself, for library callers that hold it; prefer PULUMI_CONFIG_PASSPHRASE(_FILE). */
  passphrase?: string;
}

/** The backend and secrets, resolved. `env` is what the engine's CLI needs; it may hold a passphrase: never print it. */
export interface ResolvedBackend {
  url: string;
  /** The default file backend under the formations home (we create it, and may create a passphrase for it). */
  localDefault: boolean;
  home: string;
  secretsProvider: string;
  /** Where the passphrase comes from, for messages (never the passphrase). */
  passphraseSource: "option" | "PULUMI_CONFIG_PASSPHRASE" | "PULUMI_CONFIG_PASSPHRASE_FILE" | "home file" | "not needed";
  env: Record<string, string>;
}

/** The formations home: FORMATIONS_HOME, else ~/.formations. */
export function formationsHome(env: NodeJS.ProcessEnv = process.env, opts: BackendOptions = {}): string {
  return resolve(opts.home ?? (env.FORMATIONS_HOME || join(homedir(), ".formations")));
}

/** The passphrase file formations creates for the local default backend (mode 0600). */
export function homePassphraseFile(home: string): string {
  return join(home, "passphrase");
}

/** The directory of a file:// backend, or undefined for any other kind. */
export function fileBackendDir(url: string): string | undefined {
  return url.startsWith("file://") ? fileURLToPath(url.replace(/^file:\/\/~(?=\/|$)/, pathToFileURL(homedir()).href)) : undefined;
}

/**
 * Resolves backend and secrets from options and the environment, and checks that a passphrase
 * is available when the passphrase provider is used. `homeFileExists` says whether the home
 * passphrase file is there (checked by the caller, so this stays synchronous and pure).
 */
export function resolveBackend(opts: BackendOptions, env: NodeJS.ProcessEnv, homeFileExists: boolean): ResolvedBackend {
  const home = formationsHome(env, opts);
  const fromEnv = env.PULUMI_BACKEND_URL?.trim();
  const url = opts.backendUrl ?? (fromEnv || pathToFileURL(join(home, "state")).href);
  const localDefault = opts.backendUrl === undefined && !fromEnv;
  const secretsProvider = opts.secretsProvider ?? "passphrase";
  const base = { url, localDefault, home, secretsProvider, env: { PULUMI_BACKEND_URL: url } as Record<string, string> };
  // An existing stack on the state's own provider finds its secrets there; the fallback lets a fresh
  // workspace (a pipeline on another machine) use the provider recorded in the state.
  base.env.PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER = "true";
  if (secretsProvider !== "passphrase") return { ...base, passphraseSource: "not needed" };
  if (opts.passphrase !== undefined) {
    if (opts.passphrase === "") throw new MissingPassphraseError("the passphrase option is empty", localDefault, home);
    return { ...base, passphraseSource: "option", env: { ...base.env, PULUMI_CONFIG_PASSPHRASE: opts.passphrase } };
  }
  // An empty PULUMI_CONFIG_PASSPHRASE is a valid (weak) passphrase for Pulumi: respect an explicit choice.
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return { ...base, passphraseSource: "PULUMI_CONFIG_PASSPHRASE", env: { ...base.env, PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE } };
  if (env.PULUMI_CONFIG_PASSPHRASE_FILE) return { ...base, passphraseSource: "PULUMI_CONFIG_PASSPHRASE_FILE", env: { ...base.env, PULUMI_CONFIG_PASSPHRASE_FILE: env.PULUMI_CONFIG_PASSPHRASE_FILE } };
  if (localDefault && homeFileExists) return { ...base, passphraseSource: "home file", env: { ...base.env, PULUMI_CONFIG_PASSPHRASE_FILE: homePassphraseFile(home) } };
  throw new MissingPassphraseError("PULUMI_CONFIG_PASSPHRASE is not set (nor PULUMI_CONFIG_PASSPHRASE_FILE)", localDefault, home);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Resolves the backend, reading the environment and checking the home passphrase file. */
export async function loadBackend(opts: BackendOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedBackend> {
  const home = formationsHome(env, opts);
  return resolveBackend(opts, env, await exists(homePassphraseFile(home)));
}

/** Creates a directory (and parents) readable by its owner only. */
export async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir leaves an existing directory's mode alone; state holds encrypted secrets and lock files: keep it private.
  await chmod(dir, 0o700);
}

/** Creates the local file backend's directory (mode 0700) when the backend is a file:// URL. */
export async function prepareBackend(b: ResolvedBackend): Promise<void> {
  const dir = fileBackendDir(b.url);
  if (dir) await privateDir(dir);
}

/**
 * Creates a random passphrase in the formations home (mode 0600, never overwriting one) for the
 * local default backend. Returns the file's path; the passphrase itself is never returned.
 */
export async function createHomePassphrase(home: string): Promise<string> {
  await privateDir(home);
  const file = homePassphraseFile(home);
  // 'wx': fail rather than replace an existing passphrase (that would lock the user out of their secrets).
  await writeFile(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  return file;
}
