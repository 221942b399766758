/**
 * `formations show <session> [--json]`: the session's machines with their recorded states,
 * addresses and connection details, its labels, its cost (now, and so far from the ledger), its
 * lifecycle rules and each machine's last idle verdict where it can be read.
 */
import { SESSION_RESOURCES } from "../cost/launch.js";
import { formatUsd, usdToMicros } from "../cost/money.js";
import type { MachineDetails, SessionDetails } from "../automation/session/show.js";
import { withVerdicts, type VerdictSource } from "../automation/policy/verdicts.js";
import { EXIT } from "./exit.js";
import type { Output } from "./output.js";
import { table, usdPerHour, withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

/** `$0.49`: an accrued amount in whole cents, never rounded up. */
export const usd = (x: number | undefined): string => (x === undefined ? "-" : formatUsd(usdToMicros(x)));

const mins = (seconds: number) => `${Math.floor(seconds / 60)} min`;

function idleCell(m: MachineDetails): string {
  const v = m.idle?.verdict;
  if (!v) return "-";
  return v.verdict === "busy" ? "busy" : `${v.verdict} ${mins(v.idleFor)}`;
}

/** One line per machine with a verdict (why), then the reasons others have none, grouped. */
function idleLines(d: SessionDetails): string[] {
  const out: string[] = [];
  const unavailable = new Map<string, string[]>();
  for (const m of d.machines) {
    const v = m.idle?.verdict;
    // From a console (changes only), `at` is when the verdict last changed.
    if (v)
      out.push(
        `  ${m.name}  ${v.verdict} ${m.idle?.changesOnly ? "since" : "at"} ${v.at}${v.verdict === "busy" ? "" : ` (idle for ${mins(v.idleFor)}${m.idle?.changesOnly ? " then" : ""})`}: ${v.reasons.join("; ")}`,
      );
    else if (m.idle?.unavailable) unavailable.set(m.idle.unavailable, [...(unavailable.get(m.idle.unavailable) ?? []), m.name]);
  }
  for (const [why, names] of unavailable) out.push(`  ${names.length === d.machines.length ? "every machine" : names.join(", ")}: ${why}`);
  return out;
}

function lifecycleLine(d: SessionDetails): string {
  const parts = [
    d.lifecycle.autoStop ? `auto-stop after ${d.lifecycle.autoStop.idleMinutes} idle min` : "no auto-stop",
    d.lifecycle.budget ? `budget ${usd(d.lifecycle.budget.usd)} (${d.lifecycle.budget.action})` : "no budget",
  ];
  return `lifecycle ${parts.join("; ")}`;
}

/** The part of the cost that is the session's own (shared storage, NAT gateway), not a machine's. */
function sessionResourcesLine(d: SessionDetails): string[] {
  const own = d.cost.ledger?.machines.find((m) => m.machine === SESSION_RESOURCES);
  return own ? [`          incl. ${usd(own.accruedUsd)} for the session's ${own.source.split("; ").at(-1)} (${usdPerHour(own.burnUsdPerHour)})`] : [];
}

export function renderDetails(d: SessionDetails): string {
  const c = d.cost;
  const byState = c.byState ? ` (running ${usd(c.byState.running)}, stopped ${usd(c.byState.stopped)}, hibernated ${usd(c.byState.hibernated)})` : "";
  const out = [
    `session   ${d.session} (${d.kind} on ${d.provider}, formation ${d.formation}${d.file ? ` from ${d.file}` : ""})`,
    `labels    ${
      Object.entries(d.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ") || "-"
    }`,
    `cost      ${usdPerHour(c.hourlyUsd)} now; about ${usd(c.soFarUsd)} so far${c.since ? ` since ${c.since}` : ""}${byState}`,
    ...sessionResourcesLine(d),
    ...(c.error ? [`          ${c.error}`] : []),
    ...(c.warnings ?? []).map((w) => `          note: ${w}`),
    lifecycleLine(d),
    "",
    table(
      ["MACHINE", "ROLE", "STATE", "ADDRESS", "CONNECT", "TYPE", "COST", "IDLE"],
      d.machines.map((m) => [
        m.name,
        m.role,
        m.state,
        m.publicIp ?? m.privateIp ?? "-",
        m.connect ?? "-",
        `${m.instanceType ?? "-"}${m.spot ? " (spot)" : ""}`,
        usd(m.accruedUsd),
        idleCell(m),
      ]),
    ),
  ];
  const idle = idleLines(d);
  if (idle.length) out.push("", "idle agent (last verdict)", ...idle);
  if (d.snapshots.length) out.push("", "snapshots", ...d.snapshots.map((s) => `  ${s.name} of ${s.machine} at ${s.at}${s.id ? ` (${s.id})` : ""}`));
  if (d.journal.length) {
    out.push("", "journal (latest)");
    for (const e of d.journal)
      out.push(
        `  ${e.at}  ${e.actor}  ${e.action}${e.machine ? ` ${e.machine}` : ""}${e.to ? ` -> ${e.to}` : ""}  ${e.result}${e.detail ? `: ${e.detail}` : ""}`,
      );
  }
  return out.join("\n");
}

export interface ShowDeps extends SessionDeps {
  /** Where idle verdicts come from (tests); default: the Docker engine for docker sessions. */
  verdicts?: VerdictSource;
}

export async function showCommand(session: string, flags: SessionFlags & { idle?: boolean }, io: Output, deps: ShowDeps = {}): Promise<number> {
  return withSessions(flags, io, deps, async (sessions) => {
    const d = await withVerdicts(await sessions.show(session), deps.verdicts ? { source: deps.verdicts } : { clouds: flags.idle ?? false });
    io.out(flags.json ? JSON.stringify(d, null, 2) : renderDetails(d));
    return EXIT.ok;
  });
}
