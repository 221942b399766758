/**
 * Reading a session back from its stack: the record, the outputs, and the formation the record
 * holds, validated and planned ONCE per command. Show, the actions and a new update of a stored
 * formation all take the plan from here rather than validating and planning the text again.
 */
import { FormationError, validateText } from "../../format/load.js";
import type { Formation } from "../../format/types.js";
import { planSession } from "../../plan/index.js";
import type { SessionPlan } from "../../plan/types.js";
import type { Engine, EngineStack } from "./engine.js";
import { SessionError, classify } from "./errors.js";
import type { SessionRecord } from "./session-record.js";
import { plainOutputs, readSession } from "./record-store.js";

/**
 * A session as its stack holds it, read once: the record, the plain outputs, and the formation
 * the record holds, validated and planned once (with the record's desired states). Everything
 * after the read (show, actions, a new update) takes the plan from here instead of planning again.
 */
export interface StoredSession {
  session: string;
  record: SessionRecord;
  /** The stack's outputs, plain values (secrets decrypted: never print them whole). */
  outputs: Record<string, unknown>;
  formation: Formation;
  plan: SessionPlan;
}

/** The formation a record holds, validated (it was when applied; a newer schema may disagree) and planned. */
export function plannedSession(session: string, record: SessionRecord, outputs: Record<string, unknown> = {}): StoredSession {
  const file = record.file || "<session>";
  const r = validateText(record.formation, file);
  if (!r.valid) throw new FormationError(file, r.errors, r.source);
  return {
    session,
    record,
    outputs,
    formation: r.formation,
    plan: planSession(r.formation, { session, desired: record.desired, removed: Object.keys(record.removed), deleted: Object.keys(record.deleted) }),
  };
}

/** Reads the record and outputs of a session's stack and plans them; no record → exit 1. */
export async function readStoredSession(stack: EngineStack, session: string): Promise<StoredSession> {
  const { record, outputs } = await readSession(stack);
  if (!record) throw noRecord(session);
  return plannedSession(session, record, plainOutputs(outputs));
}

/** The session, read and planned once; unknown session → exit 1, no record → exit 1. */
export async function storedSession(engine: Engine, session: string, action: string): Promise<StoredSession> {
  try {
    return await readStoredSession(await engine.selectStack(session), session);
  } catch (err) {
    throw classify(err, { session, action });
  }
}

/** The session's record alone, for reads that need no plan (its journal). */
export async function storedRecord(engine: Engine, session: string, action: string): Promise<SessionRecord> {
  try {
    const { record } = await readSession(await engine.selectStack(session));
    if (!record) throw noRecord(session);
    return record;
  } catch (err) {
    throw classify(err, { session, action });
  }
}

export function noRecord(session: string): SessionError {
  return new SessionError(
    `session '${session}' holds no formation: it was not created by 'formations up', or its first update never got as far as saving it`,
    1,
    session,
  );
}
