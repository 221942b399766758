/**
 * The idle rule of `formations enforce`: which machines to stop from the outside, given the last
 * verdict of each machine's idle agent (agent/idle-agent.sh). The agent stops its own machine;
 * this rule is the backstop for when it could not (the stop command failed, a machine whose
 * agent says `stopping` is still running a while later) and the place where the verdicts are
 * read by people. It never acts on a verdict it cannot trust: none yet, one older than the
 * machine's last start (it is about the previous run), or a stale `busy`/`idle` one (the agent
 * stopped reporting: report it, do not guess).
 *
 * A stale `stopping` verdict IS acted on: an agent that ran its stop command stops reporting
 * because the machine went down, which is the case this backstop exists for. On Azure an OS
 * shutdown leaves the VM allocated and billed, so `enforce` must deallocate it; elsewhere the
 * stop finds the machine already stopped (a no-op) and brings the session's record in line.
 */
import { LedgerError, timeOf, type MachineState } from "./events.js";

/** What the idle agent writes, one JSON line per run. */
export interface IdleVerdict {
  /** When the agent ran, ISO 8601 UTC. */
  at: string;
  /** busy: something holds the machine up; idle: nothing does (yet); stopping: idle long enough, stop command run. */
  verdict: "busy" | "idle" | "stopping";
  /** Why: the sessions, jobs and CPU it saw, or the idle time and the stop command. */
  reasons: string[];
  /** Seconds since the machine was last busy (0 when busy). */
  idleFor: number;
}

/** Reads one verdict line; throws a LedgerError saying what is wrong with it. */
export function parseVerdict(line: string): IdleVerdict {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new LedgerError(`idle verdict is not JSON: ${line.slice(0, 120)}`);
  }
  const o = v as Partial<IdleVerdict> | null;
  const ok =
    o !== null &&
    typeof o === "object" &&
    typeof o.at === "string" &&
    (o.verdict === "busy" || o.verdict === "idle" || o.verdict === "stopping") &&
    Array.isArray(o.reasons) &&
    o.reasons.every((r) => typeof r === "string") &&
    typeof o.idleFor === "number" &&
    Number.isInteger(o.idleFor) &&
    o.idleFor >= 0;
  if (!ok) throw new LedgerError(`idle verdict must be {"at","verdict":"busy"|"idle"|"stopping","reasons":[...],"idleFor":seconds}: ${line.slice(0, 120)}`);
  timeOf(o.at!, "idle verdict");
  return { at: o.at!, verdict: o.verdict!, reasons: o.reasons!, idleFor: o.idleFor! };
}

const VERDICT_LINE = /\{"at":"[^"]*","verdict":"(?:busy|idle|stopping)","reasons":\[.*?\],"idleFor":\d+\}/g;

/**
 * The last verdict in a machine's console output (the agent's service copies each verdict change
 * to the console; agent/idle-agent.ts). Kernel and boot messages around it, a line cut by the
 * console's size limit or interleaved with another, are skipped: only a complete, valid verdict
 * counts. Undefined when there is none.
 */
export function verdictFromConsole(text: string): IdleVerdict | undefined {
  let last: IdleVerdict | undefined;
  for (const match of text.matchAll(VERDICT_LINE)) {
    try {
      last = parseVerdict(match[0]);
    } catch {
      // Not a whole verdict (a reason holding `"],"idleFor":` cut the match short): skip it.
    }
  }
  return last;
}

export interface IdleInput {
  session: string;
  machine: string;
  /** The machine's state as last refreshed. */
  state: MachineState;
  /** `lifecycle.autoStop.idleMinutes` of the session; absent = auto-stop is off. */
  idleMinutes?: number;
  /** The agent's last verdict, if one was read. */
  verdict?: IdleVerdict;
  /** When the machine was last started (a verdict older than this is about the previous run). */
  lastStartAt?: string;
  /**
   * The verdict was read where the agent writes only its CHANGES (the serial console): an old
   * `busy` or `idle` there means "since then", not an agent that stopped reporting.
   */
  changesOnly?: boolean;
}

export interface IdleDecision {
  session: string;
  machine: string;
  stop: boolean;
  /** One line for the log, saying why it is stopped or kept. */
  reason: string;
}

export interface IdleOptions {
  /** A verdict older than this is stale (the agent runs every minute); default 10. */
  maxVerdictAgeMinutes?: number;
}

const mins = (seconds: number) => `${Math.floor(seconds / 60)} min`;

function decide(m: IdleInput, now: number, maxAgeMs: number): { stop: boolean; reason: string } {
  if (m.idleMinutes === undefined) return { stop: false, reason: "auto-stop is off" };
  if (m.state !== "running" && m.state !== "pending") return { stop: false, reason: `already ${m.state}` };
  const v = m.verdict;
  if (!v) return { stop: false, reason: "no verdict from the idle agent yet" };
  const at = timeOf(v.at, `idle verdict of ${m.machine}`);
  if (m.lastStartAt !== undefined && at < timeOf(m.lastStartAt, `last start of ${m.machine}`)) {
    return { stop: false, reason: `last verdict (${v.at}) is from before the last start (${m.lastStartAt})` };
  }
  const why = v.reasons.join("; ");
  if (now - at > maxAgeMs) {
    if (v.verdict === "stopping")
      return { stop: true, reason: `the idle agent decided to stop at ${v.at} and has not reported since; the session still records it ${m.state}: ${why}` };
    if (m.changesOnly) return { stop: false, reason: `${v.verdict} since ${v.at} (its last change on the console): ${why}` };
    return { stop: false, reason: `last verdict is ${mins((now - at) / 1000)} old (${v.at}): the idle agent is not reporting` };
  }
  switch (v.verdict) {
    case "busy":
      return { stop: false, reason: `busy: ${why}` };
    case "stopping":
      return { stop: true, reason: `the idle agent decided to stop at ${v.at} but the machine is still ${m.state}: ${why}` };
    case "idle": {
      const limit = m.idleMinutes * 60;
      if (v.idleFor >= limit) return { stop: true, reason: `idle for ${mins(v.idleFor)} (limit ${m.idleMinutes} min): ${why}` };
      return { stop: false, reason: `idle for ${mins(v.idleFor)} of ${m.idleMinutes} min` };
    }
  }
}

/** One decision per machine, in input order, at `now` (ISO 8601 with a zone). */
export function decideIdle(machines: readonly IdleInput[], now: string, opts: IdleOptions = {}): IdleDecision[] {
  const t = timeOf(now, "now");
  const maxAgeMs = (opts.maxVerdictAgeMinutes ?? 10) * 60_000;
  return machines.map((m) => ({ session: m.session, machine: m.machine, ...decide(m, t, maxAgeMs) }));
}
