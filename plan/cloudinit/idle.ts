/**
 * The idle agent (agent/idle-agent.sh) on every Linux VM of a session with `lifecycle.autoStop`,
 * for every VM provider at once: the script, its settings and a systemd timer, with the stop
 * command that really stops a machine on that provider. Windows machines get no agent (no sh):
 * they rely on the provider's own idle stop where there is one. Pure: no I/O, no `@pulumi/*`.
 *
 * What an OS shutdown does, per provider:
 * - aws: the instance is stopped (instance-initiated shutdown behaviour `stop`, EC2's default for
 *   EBS-backed instances, which the adapter keeps), except a one-time spot instance, which a
 *   shutdown TERMINATES: there the agent only reports, and `formations enforce` acts (the
 *   actions layer images and terminates it, never leaving it running); the CloudWatch alarm
 *   stays too, as the provider-native backstop;
 * - gcp: the instance goes to TERMINATED, which is GCE's stopped (disk kept, no compute billed);
 * - openstack: the server goes to SHUTOFF;
 * - azure: the VM is stopped but stays ALLOCATED, and Azure bills compute until it is
 *   deallocated. The agent still shuts it down (nobody is using it, and the stop shows), and
 *   `formations enforce` deallocates a machine whose last verdict is `stopping`; the nightly
 *   DevTest Labs schedule is the provider-side backstop.
 */
import { gzipSync } from "node:zlib";
import { idleAgentFiles, idleAgentRunCmd, IDLE_AGENT_PATHS } from "../../agent/idle-agent.js";
import type { PlannedMachine, SessionPlan } from "../types.js";
import type { Parts } from "./parts.js";

/** Stops the machine from inside; `shutdown -h now` works on every provider's Linux images. */
export const SHUTDOWN = "shutdown -h now";

/** What the agent runs on a one-time AWS spot instance instead of a shutdown (which would terminate it). */
export const REPORT_ONLY =
  "logger -t formations-idle-agent 'idle long enough, not shut down: a shutdown would terminate this one-time spot instance; formations enforce decides'";

/** The command the agent runs to stop machine `m` of `plan`: a one-time spot machine that a shutdown would delete only reports. */
export function idleStopCommand(plan: Pick<SessionPlan, "idleAgent" | "spotInterruption">, m: Pick<PlannedMachine, "spot">): string {
  if (plan.idleAgent?.oneTimeSpot === "report-only" && m.spot && plan.spotInterruption === "terminate") return REPORT_ONLY;
  return SHUTDOWN;
}

/** Whether machine `m` gets the agent: Linux VMs of a session with the agent (autoStop), not the managed service's nodes. */
export function runsIdleAgent(plan: Pick<SessionPlan, "idleAgent">, m: Pick<PlannedMachine, "image" | "managedBy">): boolean {
  return plan.idleAgent !== undefined && m.image.os === "linux" && m.managedBy === undefined;
}

/**
 * Adds the agent to a machine's parts, after its role's own files and commands (the timer's first
 * run is a minute after boot, by which time the role's services are up). The script is written
 * gzip+base64: the same bytes on disk, a third of the size in user data (EC2 allows 16 KiB).
 */
let scriptGz: { text: string; gz: string } | undefined;
/** The script gzip+base64, compressed once per process (a 1000-node pool would otherwise compress it 1000 times). */
function compressed(text: string): string {
  if (scriptGz?.text !== text) scriptGz = { text, gz: gzipSync(text, { level: 9 }).toString("base64") };
  return scriptGz.gz;
}

export function idleAgentParts(plan: SessionPlan, m: PlannedMachine, p: Parts): void {
  if (!runsIdleAgent(plan, m) || !plan.autoStop) return;
  for (const f of idleAgentFiles({ idleMinutes: plan.autoStop.idleMinutes, stopCommand: idleStopCommand(plan, m) })) {
    if (f.path === IDLE_AGENT_PATHS.script) p.files.push({ path: f.path, permissions: f.permissions, encoding: "gz+b64", content: compressed(f.content) });
    else p.files.push({ path: f.path, permissions: f.permissions, content: f.content });
  }
  p.commands.push(...idleAgentRunCmd);
}
