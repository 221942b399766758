/**
 * The engine boundary: the narrow set of Pulumi operations the session layer needs, as plain
 * data. The production implementation is `PulumiEngine` (pulumi-engine.ts, on the Automation
 * API); unit tests use `FakeEngine`, a test double. Nothing here imports `@pulumi/*`, so the
 * session logic, its tests and its benchmark never load Pulumi.
 *
 * Errors: implementations throw `Error`s whose `name` and message follow the Automation API's
 * (`ConcurrentUpdateError`, `StackNotFoundError`, `CommandError` with the CLI's stderr), so
 * errors.ts classifies them the same way whichever engine threw.
 */

/**
 * One engine event, as the Automation API's `onEvent` delivers it (the subset of fields we
 * read; the rest passes through untouched). Exactly one of the `*Event` fields is set.
 */
export interface EngineEvent {
  sequence: number;
  /** Unix time, seconds. */
  timestamp: number;
  cancelEvent?: Record<string, never>;
  diagnosticEvent?: { urn?: string; message: string; severity: "debug" | "info" | "info#err" | "warning" | "error"; ephemeral?: boolean };
  preludeEvent?: { config: Record<string, string> };
  summaryEvent?: { maybeCorrupt: boolean; durationSeconds: number; resourceChanges: Record<string, number> };
  resourcePreEvent?: { metadata: StepMetadata; planning?: boolean };
  resOutputsEvent?: { metadata: StepMetadata; planning?: boolean };
  resOpFailedEvent?: { metadata: StepMetadata; status: number; steps: number };
}

/** What a resource step is about (the Automation API's StepEventMetadata, trimmed). */
export interface StepMetadata {
  /** create, update, delete, replace, same, refresh, read, ... */
  op: string;
  urn: string;
  type: string;
  old?: { id?: string; outputs?: Record<string, unknown> };
  new?: { id?: string; outputs?: Record<string, unknown> };
}

/** A Pulumi program as a function run in this process (an "inline program"). */
export type EngineProgram = () => Promise<Record<string, unknown>>;

/** One stack config value. Secrets are encrypted by the stack's secrets provider. */
export interface ConfigEntry {
  value: string;
  secret?: boolean;
}

/** One stack output: the value (decrypted) and whether it is a secret. */
export interface OutputValue {
  value: unknown;
  secret: boolean;
}

export interface StackListing {
  name: string;
  /** ISO time of the last update, when the backend says. */
  lastUpdate?: string;
  /** True while an update runs (Pulumi Cloud reports it; file/object backends do not). */
  updateInProgress?: boolean;
  resourceCount?: number;
}

/** A resource as the exported state (`pulumi stack export`) holds it. */
export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  custom?: boolean;
  parent?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** An operation the engine started and never saw finish (the CLI was interrupted). */
export interface PendingOperation {
  resource: StateResource;
  /** creating, updating, deleting, reading, importing. */
  type: string;
}

/** The exported state of a stack (`pulumi stack export`); unknown fields are kept as they are. */
export interface Deployment {
  version: number;
  deployment: {
    resources?: StateResource[];
    pending_operations?: PendingOperation[];
    secrets_providers?: { type: string; state?: Record<string, unknown> };
    [extra: string]: unknown;
  };
}

export interface OperationOptions {
  /** Receives every engine event as it happens. */
  onEvent?: (event: EngineEvent) => void;
  /** Aborting asks the engine to cancel gracefully (SIGINT to the CLI: it finishes in-flight steps and saves state). */
  signal?: AbortSignal;
}

export interface UpdateOptions extends OperationOptions {
  /** The program to run for this operation. */
  program: EngineProgram;
  /** URNs the engine must neither create nor update (machines removed outside the engine). */
  exclude?: string[];
  /** How many resource operations the engine runs at once (default: the engine's, 4 per CPU for Pulumi). */
  parallel?: number;
}

export interface RefreshOptions extends OperationOptions {
  /** Drop pending creates left by an interrupted update from the state. */
  clearPendingCreates?: boolean;
}

export interface OperationResult {
  /** Resource changes by kind (create, update, delete, same, ...). */
  changes: Record<string, number>;
  /** Stack outputs after the operation (up only). */
  outputs?: Record<string, OutputValue>;
}

/** One stack (one session), selected in the engine's workspace. */
export interface EngineStack {
  readonly name: string;
  /**
   * The stack's config lives in a workspace of this process's own (a private folder removed when
   * the engine closes): no program and no user reads it, so the session record is mirrored there
   * only when the state cannot take it (saving a CLI call per write). Absent or false: the config
   * is mirrored on every write, for `pulumi config` and program.ts.
   */
  readonly privateConfig?: boolean;
  getConfig(): Promise<Record<string, ConfigEntry>>;
  /** Sets (adds or replaces) the given keys. */
  setConfig(values: Record<string, ConfigEntry>): Promise<void>;
  getTags(): Promise<Record<string, string>>;
  /** Sets the given tags and removes the listed ones. */
  setTags(set: Record<string, string>, remove?: readonly string[]): Promise<void>;
  up(opts: UpdateOptions): Promise<OperationResult>;
  preview(opts: UpdateOptions): Promise<OperationResult>;
  refresh(opts: RefreshOptions): Promise<OperationResult>;
  destroy(opts: OperationOptions): Promise<OperationResult>;
  outputs(): Promise<Record<string, OutputValue>>;
  /**
   * An update whose program only exports `outputs` (the secret ones encrypted by the stack's
   * secrets provider) and creates no resource: a record kept in the backend that is no session's
   * (an entry of the image catalog, automation/images/).
   */
  publish(outputs: Record<string, OutputValue>, opts?: OperationOptions): Promise<OperationResult>;
  exportState(): Promise<Deployment>;
  /**
   * `pulumi stack import`. With `exclusive` (the session lock is held: nobody else writes this
   * stack), the next `exportState()` returns what was imported (pending operations dropped, as the
   * import drops them) instead of exporting it again.
   */
  importState(deployment: Deployment, opts?: { exclusive?: boolean }): Promise<void>;
  /** Cancels the stack's running update, wherever it runs (Pulumi Cloud; releases the lock elsewhere). */
  cancel(): Promise<void>;
  /**
   * Rejects with the engine's busy error (naming the holder) when another process holds the
   * stack's lock; resolves, changing nothing, when none does. An update in flight elsewhere has
   * pending operations in the state too: this tells it from an interrupted one.
   */
  assertUnlocked(): Promise<void>;
}

export interface Engine {
  /** Makes the engine ready (finds the Pulumi CLI, opens the workspace); fails early and clearly when it cannot. */
  prepare(): Promise<void>;
  /** The backend's name for whoever runs the engine; also proves the engine works. */
  whoami(): Promise<string>;
  listStacks(): Promise<StackListing[]>;
  /** A stack's tags, read without selecting it (listing many sessions stays one call each). */
  stackTags(name: string): Promise<Record<string, string>>;
  /** An existing stack; rejects with a `StackNotFoundError` when there is none. */
  selectStack(name: string): Promise<EngineStack>;
  createOrSelectStack(name: string): Promise<EngineStack>;
  /** Removes the stack and its history (its resources must be gone already). */
  removeStack(name: string): Promise<void>;
  /** Releases what the engine holds (a temporary workspace). */
  close(): Promise<void>;
}
