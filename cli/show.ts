/**
 * `formations show <session> [--json]`: the session's machines with their recorded states,
 * addresses and connection details, its labels, and its cost (now, and so far from the journal).
 */
import type { SessionDetails } from "../automation/show.js";
import { EXIT } from "./exit.js";
import type { Output } from "./output.js";
import { table, usdPerHour, withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

export function renderDetails(d: SessionDetails): string {
  const out = [
    `session   ${d.session} (${d.kind} on ${d.provider}, formation ${d.formation}${d.file ? ` from ${d.file}` : ""})`,
    `labels    ${Object.entries(d.labels).map(([k, v]) => `${k}=${v}`).join(", ") || "-"}`,
    `cost      ${usdPerHour(d.cost.hourlyUsd)} now; about $${d.cost.soFarUsd.toFixed(2)} so far${d.cost.since ? ` since ${d.cost.since}` : ""} (estimated from the journal)`,
    "",
    table(
      ["MACHINE", "ROLE", "STATE", "ADDRESS", "CONNECT", "TYPE"],
      d.machines.map((m) => [m.name, m.role, m.state, m.publicIp ?? m.privateIp ?? "-", m.connect ?? "-", `${m.instanceType ?? "-"}${m.spot ? " (spot)" : ""}`]),
    ),
  ];
  if (d.snapshots.length) out.push("", "snapshots", ...d.snapshots.map((s) => `  ${s.name} of ${s.machine} at ${s.at}${s.id ? ` (${s.id})` : ""}`));
  if (d.journal.length) {
    out.push("", "journal (latest)");
    for (const e of d.journal) out.push(`  ${e.at}  ${e.actor}  ${e.action}${e.machine ? ` ${e.machine}` : ""}${e.to ? ` -> ${e.to}` : ""}  ${e.result}${e.detail ? `: ${e.detail}` : ""}`);
  }
  return out.join("\n");
}

export async function showCommand(session: string, flags: SessionFlags, io: Output, deps: SessionDeps = {}): Promise<number> {
  return withSessions(flags, io, deps, async (sessions) => {
    const d = await sessions.show(session);
    io.out(flags.json ? JSON.stringify(d, null, 2) : renderDetails(d));
    return EXIT.ok;
  });
}
