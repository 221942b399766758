/**
 * Idle verdicts from a machine's serial console, read with the session's own credentials (the
 * same the actions use: nothing on the machine holds any). The agent's service copies each
 * verdict change to the console (agent/idle-agent.ts), and each cloud keeps the console's output,
 * also after the machine shut down; clouds/<provider>/console.ts reads it:
 *
 * | provider  | call | needs |
 * |-----------|------|-------|
 * | aws       | EC2 GetConsoleOutput (`Latest` on Nitro; the buffered output otherwise) | ec2:GetConsoleOutput |
 * | gcp       | GCE instances.getSerialPortOutput, port 1 | compute.instances.getSerialPortOutput |
 * | azure     | retrieveBootDiagnosticsData, then the serial log blob it points to (the adapter enables managed boot diagnostics) | Microsoft.Compute/virtualMachines/retrieveBootDiagnosticsData/action |
 * | openstack | Nova os-getConsoleOutput (last 500 lines) | the compute API's console output policy |
 *
 * The last verdict on the console is the last CHANGE (busy -> idle -> stopping): its `at` and
 * `idleFor` are as of that change, which is what `enforce` needs (a `stopping` verdict) and what
 * `show` reports.
 */
import { verdictFromConsole } from "../cost/idle.js";
import type { ActionTarget } from "../automation/actions/types.js";
import type { MachineDetails, SessionDetails } from "../automation/session/details.js";
import type { VerdictSource } from "./cloud.js";

/** Reads a machine's console output (text); throws a one-line reason when it cannot. */
export type ConsoleReader = (d: SessionDetails, m: MachineDetails) => Promise<string>;

/** Verdicts read from each machine's console; undefined when the console shows none yet. */
export function consoleVerdictSource(read: ConsoleReader): VerdictSource {
  return Object.assign(async (d: SessionDetails, m: MachineDetails) => verdictFromConsole(await read(d, m)), { changesOnly: true });
}

/** The machine as the cloud's API finds it: by the id its session recorded. */
export function consoleTarget(d: SessionDetails, m: MachineDetails): ActionTarget & { providerId: string } {
  if (!m.cloudId) throw new Error(`no cloud id recorded for ${d.session}/${m.name}: run formations refresh ${d.session}`);
  return {
    session: d.session,
    machine: m.name,
    role: m.role as ActionTarget["role"],
    providerId: m.cloudId,
    ...(d.cloud.region ? { region: d.cloud.region } : {}),
  };
}
