/**
 * The session library's public surface (formation-spec.md, "Library API"): `Sessions` and what
 * its callers handle (options, results, events, errors). Importing it loads no Pulumi: the
 * Automation API is imported when the first operation runs.
 */
export { Sessions, type SessionsOptions, type UpOptions, type UpResult, type RefreshResult } from "./sessions.js";
export type { SessionEvent, SessionEventType, Action } from "./session/events.js";
export {
  SessionError,
  ConcurrentUpdateError,
  StackNotFoundError,
  InvalidSessionNameError,
  PendingOperationsError,
  PulumiMissingError,
  MissingPassphraseError,
  CancelledError,
  OperationFailedError,
  exitCodeOf,
  type ExitCode,
} from "./session/errors.js";
export type { SessionDetails, SessionListing, MachineDetails, MachineState } from "./session/show.js";
export { CONFIG_KEYS, type SessionRecord, type JournalEntry, type SnapshotEntry, type RemovedMachine } from "./session/session-record.js";
export type { DriftChange } from "./session/drift.js";
export { createHomePassphrase, loadBackend, type BackendOptions, type ResolvedBackend } from "./session/backend.js";
export type { Engine, EngineStack, EngineEvent } from "./session/engine.js";
// Cost, budgets, idle stop and connecting (cost/README.md): pure or lazily loading, no Pulumi.
export { enforce, type EnforceOptions, type EnforceReport, type Enforcement, type SessionCheck } from "./policy/enforce.js";
export { withVerdicts, type VerdictSource, type VerdictOptions } from "./policy/verdicts.js";
export type { IdleReading, LifecycleDetails } from "./session/show.js";
export type { ActionReport } from "./actions/session-actions.js";
export type { BatchReport } from "./actions/batch-sessions.js";
export type { SnapshotReport } from "./actions/snapshot.js";
export type { SessionStates } from "./actions/states.js";
export type { ActionResult, MachineState as NormalisedMachineState, ActionName } from "./actions/types.js";
export type { DeleteMachineOptions, DeleteMachineReport } from "./actions/delete-machine.js";
export type { ImageStore, StoredImage, ImageRemoval, CommandResult } from "./actions/types.js";
// The image catalog (automation/images/): every snapshot, kept in the state backend after destroy.
export {
  ImageError,
  type ImagesReport,
  type ImageDeleteReport,
  type ImageDeleteOptions,
  type ImageForgetReport,
  type ImageForgetOptions,
  type SaveImageFormationOptions,
  type ImageStoreSource,
} from "./images/images.js";
export type { ImageEntry, ImageListing } from "./images/catalog.js";
