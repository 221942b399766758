/**
 * Every failure of a session operation, classified once: what went wrong, what to do about it,
 * and the exit code of the contract (0 ok, 1 invalid input, 2 usage, 3 engine or cloud).
 * Engine errors are recognised by name and message, as the Automation API produces them, so a
 * test double that throws the same text is classified the same way.
 */

import { hostname } from "node:os";
import { exitCodeOf, UserError, type ExitCode } from "../../user-error.js";

export { exitCodeOf, type ExitCode };

/** A failure of a session the user can act on: its message says what happened and how to fix it. */
export class SessionError extends UserError {
  constructor(
    message: string,
    /** The contract's exit code for this failure. */
    exitCode: Exclude<ExitCode, 0>,
    /** The session concerned, when there is one. */
    readonly session?: string,
    /** The engine's own words (stderr), for `--json` and debugging; never holds a secret the engine did not mask. */
    readonly details?: string,
  ) {
    super(message, exitCode);
    this.name = "SessionError";
  }
}

/**
 * Someone else is operating this session: fail fast, name the holder. `stale`: every holder is a
 * process of this machine that is no longer running (an update killed with its engine, or a
 * machine that lost power): its lock stays in the backend until removed, so waiting would never
 * end; the message says how to recover instead.
 */
export class ConcurrentUpdateError extends SessionError {
  constructor(
    session: string,
    /** Who holds the session (`alice@laptop (pid 4242) since ...`), when known. */
    readonly holder?: string,
    details?: string,
    readonly stale = false,
  ) {
    super(
      stale
        ? `session '${session}' is locked by ${holder}, a process of this machine that is no longer running: an operation was killed and left its lock in the backend. To recover: formations refresh ${session} --clear-pending (it removes that lock, then reads the real state)`
        : `session '${session}' is busy: ${holder ? `held by ${holder}` : "another update is in progress (the backend does not say who)"}; wait for it to finish, then try again`,
      3,
      session,
      details,
    );
    this.name = "ConcurrentUpdateError";
  }
}

export class StackNotFoundError extends SessionError {
  constructor(session: string, details?: string) {
    super(`no session named '${session}' (formations sessions lists them)`, 1, session, details);
    this.name = "StackNotFoundError";
  }
}

export class InvalidSessionNameError extends SessionError {
  constructor(session: string) {
    super(
      `invalid session name '${session}': use lower-case letters, digits and dashes, starting with a letter and ending with a letter or digit, at most 40 characters`,
      2,
      session,
    );
    this.name = "InvalidSessionNameError";
  }
}

/** An interrupted update left operations the engine never saw finish. */
export class PendingOperationsError extends SessionError {
  constructor(
    session: string,
    readonly operations: readonly { urn: string; type: string }[],
    details?: string,
    /** The killed process whose lock the update left in the backend, when it is known to be gone. */
    readonly staleHolder?: string,
  ) {
    const list = operations.map((o) => `  - ${o.urn} (interrupted while ${o.type})`).join("\n");
    super(
      `session '${session}' has ${operations.length || "some"} operation(s) left pending by an interrupted update:\n${list || "  (see the details)"}\n` +
        (staleHolder ? `the update was killed: its process, ${staleHolder}, is no longer running on this machine and its lock is still in the backend\n` : "") +
        `to recover: run 'formations refresh ${session} --clear-pending'${staleHolder ? " (it removes that lock too)" : ""}, then check the cloud for the resources listed: ` +
        `import what still exists ('pulumi import') or delete it in the provider's console, and run 'formations up' again`,
      3,
      session,
      details,
    );
    this.name = "PendingOperationsError";
  }
}

export const PULUMI_INSTALL = "curl -fsSL https://get.pulumi.com | sh (or see https://www.pulumi.com/docs/install/)";

export class PulumiMissingError extends SessionError {
  constructor(
    details?: string,
    /** The formations home, where `--install-pulumi` puts the pinned CLI (when known). */
    readonly home?: string,
  ) {
    super(
      `the Pulumi CLI is not installed (or not on PATH); install it: ${PULUMI_INSTALL}; or run again with --install-pulumi to download the version formations is pinned to into ${home ? `${home}/pulumi` : "the formations home"}; or, without internet, build it from source in a clone of formations: scripts/pulumi-engine.sh build (or set FORMATIONS_PULUMI to a .../bin/pulumi)`,
      3,
      undefined,
      details,
    );
    this.name = "PulumiMissingError";
  }
}

export class MissingPassphraseError extends SessionError {
  constructor(
    why: string,
    /** The local default backend: formations may create a passphrase in `home`. */
    readonly localDefault: boolean,
    /** The formations home (where `--create-passphrase` writes `passphrase`). */
    readonly home: string,
  ) {
    super(
      `no secrets passphrase: ${why}. Set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE` +
        (localDefault
          ? `, or run with --create-passphrase to create one in ${home}/passphrase (mode 0600)`
          : " (the same passphrase the session was created with)") +
        "; or choose another secrets provider with --secrets-provider",
      2,
    );
    this.name = "MissingPassphraseError";
  }
}

/** Why a local file operation failed, in words; the code is kept beside them. */
const FILE_CAUSES: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a part of the path is not a folder",
  ENOENT: "a folder on the way does not exist",
  EEXIST: "it already exists",
  ELOOP: "too many levels of symbolic links",
  EIO: "input/output error",
};

/** What a failed system call was doing, for the message. */
const FILE_DOING: Record<string, string> = {
  mkdir: "create the folder",
  mkdtemp: "create a folder in",
  open: "open",
  write: "write",
  fsync: "write",
  rename: "write",
  link: "write",
  unlink: "remove",
  chmod: "change the mode of",
  stat: "read",
  read: "read",
};

/**
 * A file or folder formations keeps for itself (its home, the local state, the passphrase)
 * could not be read or written: the path and the cause (a full disk, a read-only home), not a
 * stack trace and not "from the engine". Exit 3: the operation failed where it runs.
 */
export class LocalFileError extends SessionError {
  constructor(
    doing: string,
    readonly path: string,
    readonly code: string,
  ) {
    super(`cannot ${doing} ${path}: ${FILE_CAUSES[code] ?? code} (${code})`, 3);
    this.name = "LocalFileError";
  }
}

/** The errno error of a local file operation (`code`, `syscall` and `path` set by Node), else undefined. */
export function localFileError(err: unknown, doing?: string, path?: string): LocalFileError | undefined {
  const e = err as Partial<NodeJS.ErrnoException> | undefined;
  if (!(err instanceof Error) || typeof e?.code !== "string" || !/^E[A-Z]+$/.test(e.code)) return undefined;
  // A program that cannot be started (the Pulumi CLI missing) is not one of our files.
  if (e.syscall?.startsWith("spawn")) return undefined;
  const where = path ?? e.path;
  if (where === undefined) return undefined;
  return new LocalFileError(doing ?? FILE_DOING[e.syscall ?? ""] ?? "use", where, e.code);
}

/** Both copies of a session's record are damaged or missing: stop before a write makes the loss permanent. */
export class DamagedRecordError extends SessionError {
  constructor(
    session: string,
    /** The damaged parts (`formations:journal`, `formationsRecord.desired`). */
    readonly parts: readonly string[],
  ) {
    super(
      `the record of session '${session}' is damaged (${parts.join(", ")}: cut short or not of the right shape) and there is no intact copy ` +
        `in its state; nothing was written, to keep what is left. Repair the value in the stack's config ` +
        `(pulumi config get/set --stack ${session} ${parts.find((p) => p.startsWith("formations:")) ?? "formations:journal"}), or restore it from a backup`,
      3,
      session,
    );
    this.name = "DamagedRecordError";
  }
}

export class CancelledError extends SessionError {
  constructor(session: string, action: string) {
    super(`${action} of session '${session}' was cancelled; the engine finished its in-flight steps and saved the state`, 3, session);
    this.name = "CancelledError";
  }
}

/** Any other engine or cloud failure: exit 3 with the engine's details. */
export class OperationFailedError extends SessionError {
  constructor(session: string | undefined, action: string, summary: string, details?: string) {
    super(`${action}${session ? ` of session '${session}'` : ""} failed: ${summary}`, 3, session, details);
    this.name = "OperationFailedError";
  }
}

/** The first `error:` line of the CLI's stderr, else the first meaningful line. */
export function engineSummary(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const error = lines.find((l) => /^error:/i.test(l) && !/^error: update failed$/i.test(l)) ?? lines.find((l) => /^error:/i.test(l));
  const first = error ?? lines.find((l) => !/^(code|stdout|stderr|err\?):?\s*-?\d*$/i.test(l)) ?? "unknown error";
  return first
    .replace(/^(stderr|err\?):\s*/i, "")
    .replace(/^error:\s*/i, "")
    .slice(0, 500);
}

/** `alice@laptop (pid 4242) at 2026-...` from a file/object backend's lock message. */
export function lockHolder(text: string): string | undefined {
  const m = /created by (\S+) \(pid (\d+)\)(?: at (\S+))?/.exec(text);
  return m ? `${m[1]} (pid ${m[2]}${m[3] ? `, since ${m[3]}` : ""})` : undefined;
}

/** Every holder a file/object backend's lock message names: user, host and pid of each Pulumi CLI. */
export function lockHolders(text: string): { user: string; host: string; pid: number }[] {
  return [...text.matchAll(/created by ([^@\s]+)@(\S+) \(pid (\d+)\)/g)].map((m) => ({ user: m[1]!, host: m[2]!, pid: Number(m[3]) }));
}

/** Whether a process of this machine is running (signal 0 checks without signalling; EPERM: it runs, as someone else). */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the lock message names holders, all of them on this machine and none still running:
 * then nobody will ever release it. A holder on another machine may be alive: never stale here.
 */
export function staleLock(text: string, host = hostname(), isRunning: (pid: number) => boolean = processRunning): boolean {
  const holders = lockHolders(text);
  return holders.length > 0 && holders.every((h) => h.host === host && !isRunning(h.pid));
}

/** URNs and kinds listed by the engine's "pending operations" message. */
export function pendingFromText(text: string): { urn: string; type: string }[] {
  const out: { urn: string; type: string }[] = [];
  for (const m of text.matchAll(/\*\s+(urn:pulumi:\S+?),? interrupted while (\w+)/g)) out.push({ urn: m[1]!, type: m[2]! });
  return out;
}

function textOf(err: unknown): string {
  if (err instanceof Error) return `${err.message}`;
  return String(err);
}

/**
 * Classifies any error thrown by an operation into a SessionError; a user error of another kind
 * (a formation's located FormationError, exit 1) passes through as it is.
 */
export function classify(err: unknown, ctx: { session?: string; action: string }): Error {
  if (err instanceof UserError) return err;
  // Our own file operations (the home, the state folder, a workspace) carry their path and code.
  const local = localFileError(err);
  if (local) return local;
  const text = textOf(err);
  const name = err instanceof Error ? err.name : "";
  const session = ctx.session ?? "";
  if (/ENOENT/.test(text) && /\bpulumi\b/.test(text) && /spawn|command failed/i.test(text)) return new PulumiMissingError(text);
  if (name === "ConcurrentUpdateError" || /the stack is currently locked by|\[409\] Conflict: Another update is currently in progress/.test(text)) {
    return new ConcurrentUpdateError(session, lockHolder(text), text, staleLock(text));
  }
  if (name === "StackNotFoundError" || /no stack named .* found/.test(text)) return new StackNotFoundError(session, text);
  if (/resource\(s\) with pending operations|pending create operations|pending_operations/.test(text))
    return new PendingOperationsError(session, pendingFromText(text), text);
  if (/passphrase must be set|unable to find either `PULUMI_CONFIG_PASSPHRASE`|PULUMI_CONFIG_PASSPHRASE_FILE environment variables/.test(text)) {
    return new SessionError("the engine found no secrets passphrase: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE", 2, ctx.session, text);
  }
  if (/incorrect passphrase/.test(text)) {
    return new SessionError(`the secrets passphrase does not open session '${session}': use the passphrase it was created with`, 2, ctx.session, text);
  }
  return new OperationFailedError(ctx.session, ctx.action, engineSummary(text), text);
}
