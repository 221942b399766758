/**
 * Read-only questions about sessions (`sessions`, `show`): no lock taken, bounded parallel reads,
 * the tags index first and each session's state only when the tags say nothing.
 */
import type { LimitFunction } from "p-limit";
import type { Engine } from "./engine.js";
import { classify } from "./errors.js";
import { matchesSelector } from "./naming.js";
import { listingFromRecord, listingFromTags, sessionDetails, type SessionDetails, type SessionListing } from "./show.js";
import { readSession } from "./record-store.js";
import { storedSession } from "./stored-session.js";
import { isImageStack } from "../images/catalog.js";

export async function showSession(engine: Engine, session: string, now: Date): Promise<SessionDetails> {
  return sessionDetails(await storedSession(engine, session, "show"), now);
}

/** Every session, filtered by labels (all must match), sorted by name. */
export async function listSessions(engine: Engine, reads: LimitFunction, selector: Readonly<Record<string, string>>): Promise<SessionListing[]> {
  let stacks;
  try {
    // The image catalog's stacks (`images.<id>`) are not sessions.
    stacks = (await engine.listStacks()).filter((s) => !isImageStack(s.name));
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
