/** Lifecycle actions on machines and sessions: the library the CLI and the session layer call. */
export * from "./types.js";
export { runBatch, runOne, backoffDelay, BATCH_DEFAULTS, type BatchOptions } from "./batch.js";
export { actOnMachine, actOnSession, actOnSessions, tierOrder, type SessionActionOptions } from "./cluster.js";
export { SessionLocks, SessionBusyError, sessionLocks, type LockOptions } from "./lock.js";
