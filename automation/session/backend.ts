/**
 * Where sessions live and how their secrets are protected: the state backend URL, the
 * formations home, and the secrets provider with its passphrase. Resolved once, up front, so a
 * missing passphrase is a clear error before any engine starts (not a Pulumi prompt mid-update).
 * Never prints or returns a passphrase: the engine gets a file path or an environment value.
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { localFileError, LocalFileError, MissingPassphraseError, SessionError } from "./errors.js";

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
 * A backend URL the engine can use: `scheme://...`, and a file:// one with an absolute path
 * (`file:///srv/state`, `file://~/state`). `file://relative` names a host, not a folder: a usage
 * mistake (exit 2), said before anything runs.
 */
function checkBackendUrl(url: string, from: string): void {
  const usage = (why: string) => new SessionError(`invalid backend URL '${url}' (${from}): ${why}`, 2);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url))
    throw usage("expected scheme://..., e.g. file:///srv/formations-state, file://~/.formations/state, s3://bucket/prefix");
  if (!url.startsWith("file://")) return;
  if (!/^file:\/\/(\/|~(\/|$)|localhost\/)/.test(url)) throw usage("a file backend needs an absolute path: file:///absolute/path or file://~/path");
  try {
    fileBackendDir(url);
  } catch (err) {
    throw usage((err as Error).message);
  }
}

/**
 * Resolves backend and secrets from options and the environment, and checks that a passphrase
 * is available when the passphrase provider is used. `homeFileExists` says whether the home
 * passphrase file holds a passphrase, `emptyFile` names the passphrase file that would be used
 * when it is empty (both checked by the caller, so this stays synchronous and pure).
 */
export function resolveBackend(opts: BackendOptions, env: NodeJS.ProcessEnv, homeFileExists: boolean, emptyFile?: string): ResolvedBackend {
  const home = formationsHome(env, opts);
  const fromEnv = env.PULUMI_BACKEND_URL?.trim();
  const url = opts.backendUrl ?? (fromEnv || pathToFileURL(join(home, "state")).href);
  const localDefault = opts.backendUrl === undefined && !fromEnv;
  if (!localDefault) checkBackendUrl(url, opts.backendUrl !== undefined ? "--backend-url" : "PULUMI_BACKEND_URL");
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
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined)
    return { ...base, passphraseSource: "PULUMI_CONFIG_PASSPHRASE", env: { ...base.env, PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE } };
  // An empty passphrase file is a write that failed, not a choice: never encrypt with "".
  if (emptyFile !== undefined) throw new MissingPassphraseError(`${emptyFile} is empty`, localDefault && emptyFile === homePassphraseFile(home), home);
  if (env.PULUMI_CONFIG_PASSPHRASE_FILE)
    return {
      ...base,
      passphraseSource: "PULUMI_CONFIG_PASSPHRASE_FILE",
      env: { ...base.env, PULUMI_CONFIG_PASSPHRASE_FILE: env.PULUMI_CONFIG_PASSPHRASE_FILE },
    };
  if (localDefault && homeFileExists)
    return { ...base, passphraseSource: "home file", env: { ...base.env, PULUMI_CONFIG_PASSPHRASE_FILE: homePassphraseFile(home) } };
  throw new MissingPassphraseError("PULUMI_CONFIG_PASSPHRASE is not set (nor PULUMI_CONFIG_PASSPHRASE_FILE)", localDefault, home);
}

/** What the home passphrase file holds: nothing there, an empty file (a failed write), or a passphrase. */
export type PassphraseFileState = "missing" | "empty" | "set";

export async function passphraseFileState(file: string): Promise<PassphraseFileState> {
  try {
    return (await readFile(file, "utf8")).trim() === "" ? "empty" : "set";
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw localFileError(err, "read the passphrase file", file) ?? err;
  }
}

/** Resolves the backend, reading the environment and checking the home passphrase file. */
export async function loadBackend(opts: BackendOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedBackend> {
  const homeFile = homePassphraseFile(formationsHome(env, opts));
  const localDefault = opts.backendUrl === undefined && !env.PULUMI_BACKEND_URL?.trim();
  // The file the engine would read the passphrase from, when none is given directly.
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE || (localDefault ? homeFile : undefined);
  const state = file === undefined ? "missing" : await passphraseFileState(file);
  return resolveBackend(opts, env, state === "set" && file === homeFile, state === "empty" ? file : undefined);
}

/**
 * Creates a directory (and missing parents) readable by its owner only. A directory that is
 * already there keeps its mode: it may be a team's shared folder or the user's home, and
 * formations never changes what it did not create.
 */
export async function privateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw localFileError(await realMkdirError(dir, err), "create the folder", dir) ?? err;
  }
}

/**
 * A recursive mkdir under a read-only or unwritable folder fails with ENOENT (Node retries up the
 * path and reports the last miss), which reads as "no such file": redo the first missing step
 * alone to learn the real cause (EROFS, EACCES, ENOTDIR).
 */
async function realMkdirError(dir: string, err: unknown): Promise<unknown> {
  if ((err as NodeJS.ErrnoException).code !== "ENOENT") return err;
  let missing = resolve(dir);
  while (
    dirname(missing) !== missing &&
    !(await stat(dirname(missing)).then(
      () => true,
      () => false,
    ))
  )
    missing = dirname(missing);
  return mkdir(missing, { mode: 0o700 }).then(
    () => err,
    (e: unknown) => e,
  );
}

/** Creates the local file backend's directory (mode 0700) when the backend is a file:// URL and it is not there yet. */
export async function prepareBackend(b: ResolvedBackend): Promise<void> {
  const dir = fileBackendDir(b.url);
  if (dir) await privateDir(dir);
}

/**
 * Creates a random passphrase in the formations home (mode 0600) for the local default backend,
 * never replacing one. Written to a temporary file, flushed to disk, then linked into place, so
 * a full or read-only disk leaves no file behind (an empty `passphrase` would be read as the
 * passphrase ""). An empty file left by an earlier failure is replaced. Returns the file's path;
 * the passphrase itself is never returned.
 */
export async function createHomePassphrase(home: string): Promise<string> {
  await privateDir(home);
  const file = homePassphraseFile(home);
  const state = await passphraseFileState(file);
  if (state === "set") throw new LocalFileError("create the passphrase file", file, "EEXIST");
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    const handle = await open(tmp, "wx", 0o600);
    try {
      await handle.writeFile(`${randomBytes(32).toString("base64url")}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // link fails if a passphrase appeared meanwhile (never replaced); rename replaces an empty file only.
    if (state === "missing") await link(tmp, file);
    else await rename(tmp, file);
    await syncDir(home);
  } catch (err) {
    throw localFileError(err, "create the passphrase file", file) ?? err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return file;
}

/** Flushes a directory's entries (the new name of a file) to disk. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
