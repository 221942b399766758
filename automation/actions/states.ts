/**
 * Machine states, normalised (pending, running, stopped, hibernated, terminated, interrupted):
 * as the session records them (what `up` converges to; no cloud call), or live, as each
 * provider's driver reads them now (the only way to see a spot machine the cloud reclaimed).
 * Read-only: no lock is taken, as for `show`.
 */
import pLimit from "p-limit";
import type { Provider } from "../../format/types.js";
import type { StoredSession } from "../session/stored-session.js";
import { sessionView } from "./targets.js";
import type { ActionDriver, MachineState, ObservedState } from "./types.js";
import type { SessionPlan } from "../../plan/types.js";

export interface MachineStateRow {
  name: string;
  role: string;
  /** As recorded: the desired state; terminated when removed outside formations; pending when never created. */
  recorded: MachineState;
  /** As the provider reports it now (live reads only); `unknown` when the read failed. */
  observed?: ObservedState;
  /** Why the live read failed. */
  error?: string;
  /** What to show: the observed state when there is one, else the recorded one. */
  state: ObservedState;
}

export interface SessionStates {
  session: string;
  provider: Provider;
  /** recorded: from the session's record only; live: read from the provider now. */
  source: "recorded" | "live";
  machines: MachineStateRow[];
  /** Machines per state, e.g. `{ running: 2, interrupted: 1 }`. */
  counts: Partial<Record<ObservedState, number>>;
  /** Why nothing could be read live (no driver in this build, no credentials...). */
  error?: string;
}

/** Reads a stored session (record, outputs, plan) without holding it (the host's read). */
export type SessionReader = (session: string) => Promise<StoredSession>;

/** The states of one session's machines; `live` asks the provider through `driver`. */
export async function sessionStates(
  read: SessionReader,
  driver: (plan: SessionPlan) => Promise<ActionDriver>,
  session: string,
  opts: { live?: boolean } = {},
): Promise<SessionStates> {
  const view = sessionView(await read(session));
  const rows: MachineStateRow[] = view.machines.map((m) => ({ name: m.planned.name, role: m.planned.role, recorded: m.recorded, state: m.recorded }));
  const out: SessionStates = { session, provider: view.plan.provider, source: opts.live ? "live" : "recorded", machines: rows, counts: {} };
  if (opts.live) {
    try {
      const d = await driver(view.plan);
      const limit = pLimit(10);
      await Promise.all(
        view.machines.map((m, i) =>
          limit(async () => {
            const row = rows[i]!;
            // A machine never created, or left to a managed service, has nothing of ours to read.
            if (m.recorded === "pending" || m.planned.managedBy) return;
            try {
              row.observed = await d.state(m.target);
            } catch (err) {
              row.observed = "unknown";
              row.error = err instanceof Error ? err.message.split("\n")[0]! : String(err);
            }
            row.state = row.observed;
          }),
        ),
      );
    } catch (err) {
      out.source = "recorded";
      out.error = `${err instanceof Error ? err.message : String(err)}: showing the recorded states`;
    }
  }
  for (const r of rows) out.counts[r.state] = (out.counts[r.state] ?? 0) + 1;
  return out;
}

const ORDER: ObservedState[] = ["running", "pending", "interrupted", "hibernated", "stopped", "terminated", "unknown"];

/** `2 running, 1 interrupted`, in a fixed order. */
export function countsText(counts: SessionStates["counts"]): string {
  return (
    ORDER.filter((s) => counts[s])
      .map((s) => `${counts[s]} ${s}`)
      .join(", ") || "no machines"
  );
}
