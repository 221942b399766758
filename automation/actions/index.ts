/** Lifecycle actions on machines and sessions: the library the CLI and the session layer call. */
export * from "./types.js";
export { DockerDriver, type DockerDriverOptions } from "../../clouds/docker/actions/driver.js";
export { containerName, LABELS, splitReference } from "../../clouds/docker/names.js";
export { classifyDockerError, dockerOptions, engineUrl } from "../../clouds/docker/engine.js";
export { runBatch, runOne, backoffDelay, BATCH_DEFAULTS, type BatchOptions } from "./batch.js";
export { actOnMachine, actOnSession, actOnSessions, tierOrder, type SessionActionOptions } from "./cluster.js";
export { SessionLocks, SessionBusyError, sessionLocks, type LockOptions } from "./lock.js";
