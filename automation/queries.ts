/**
 * Read-only questions about sessions (`sessions`, `show`, the journal): no lock taken, bounded
 * parallel reads, the tags index first and each session's state only when the tags say nothing.
 */
import type { LimitFunction } from "p-limit";
import type { Engine } from "./engine.js";
import { SessionError, classify } from "./errors.js";
import { matchesSelector } from "./naming.js";
import type { SessionRecord } from "./record.js";
import { listingFromRecord, listingFromTags, sessionDetails, type SessionDetails, type SessionListing } from "./show.js";
import { plainOutputs, readSession, type StoredSession } from "./store.js";

/** The session's stored record and outputs; unknown session → exit 1, no record → exit 1. */
export async function storedSession(engine: Engine, session: string, action: string): Promise<StoredSession & { record: SessionRecord }> {
  try {
    const stored = await readSession(await engine.selectStack(session));
    if (!stored.record) throw noRecord(session);
    return { ...stored, record: stored.record };
  } catch (err) {
    throw classify(err, { session, action });
  }
}

export function noRecord(session: string): SessionError {
  return new SessionError(`session '${session}' holds no formation: it was not created by 'formations up', or its first update never got as far as saving it`, 1, session);
}

export async function showSession(engine: Engine, session: string, now: Date): Promise<SessionDetails> {
  const { record, outputs } = await storedSession(engine, session, "show");
  return sessionDetails(session, record, plainOutputs(outputs), now);
}

/** Every session, filtered by labels (all must match), sorted by name. */
export async function listSessions(engine: Engine, reads: LimitFunction, selector: Readonly<Record<string, string>>): Promise<SessionListing[]> {
  let stacks;
  try {
    stacks = await engine.listStacks();
  } catch (err) {
    throw classify(err, { action: "sessions" });
  }
  const rows = await reads.map(stacks, async (s): Promise<SessionListing> => {
    const extra = {
      ...(s.lastUpdate ? { lastUpdate: s.lastUpdate } : {}),
      ...(s.updateInProgress !== undefined ? { updateInProgress: s.updateInProgress } : {}),
      ...(s.resourceCount !== undefined ? { resourceCount: s.resourceCount } : {}),
    };
    const tags = await engine.stackTags(s.name).catch(() => ({}));
    const fromTags = listingFromTags(s.name, tags);
    if (fromTags) return { ...fromTags, ...extra };
    // No summary tags: a backend without stack tags, or a session whose first up failed early.
    try {
      const { record } = await readSession(await engine.selectStack(s.name));
      return { ...(record ? listingFromRecord(s.name, record) : { session: s.name, labels: {} }), ...extra };
    } catch {
      return { session: s.name, labels: {}, ...extra };
    }
  });
  return rows.filter((r) => matchesSelector(r.labels, selector)).sort((a, b) => a.session.localeCompare(b.session));
}
