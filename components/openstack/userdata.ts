/**
 * User data of an OpenStack server, from plan/cloudinit.ts (never forked), with what OpenStack
 * needs on top:
 * - `lifecycle.autoStop`: OpenStack has no provider-side idle stop, so each Linux machine runs the
 *   idle agent (agent/idle-agent.sh), which shuts it down (SHUTOFF) when nobody uses it;
 * - Windows: cloudbase-init runs a PowerShell script whose first line is `#ps1_sysnative`, not the
 *   `<powershell>` block EC2Launch reads.
 * Pure: no `@pulumi/*`. The result holds the session's secrets: callers wrap it in `pulumi.secret`.
 */
import { stringify } from "yaml";
import { cloudConfig, userData, type CloudInitValues } from "../../plan/cloudinit.js";
import type { PlannedMachine, SessionPlan } from "../../plan/types.js";
import { idleAgentFiles, idleAgentRunCmd } from "../../agent/idle-agent.js";

/** Nova takes up to 65,535 bytes of base64: about 48 KiB of user data. */
export const NOVA_USER_DATA_LIMIT = 48 * 1024;

/** `<powershell>…</powershell>` → cloudbase-init's `#ps1_sysnative` script (64-bit PowerShell). */
export function cloudbaseScript(ec2Script: string): string {
  const body = ec2Script.replace(/^<powershell>\r?\n/, "").replace(/<\/powershell>\s*$/, "");
  return `#ps1_sysnative\n${body}`;
}

/** The cloud-config document with the idle agent merged in (when the session has autoStop). */
export function openstackCloudConfig(plan: SessionPlan, m: PlannedMachine, v: CloudInitValues): Record<string, unknown> {
  const doc = cloudConfig(plan, m, v);
  if (!plan.autoStop) return doc;
  const files = (doc.write_files as Record<string, unknown>[] | undefined) ?? [];
  const runcmd = (doc.runcmd as string[] | undefined) ?? [];
  return { ...doc, write_files: [...files, ...idleAgentFiles({ idleMinutes: plan.autoStop.idleMinutes })], runcmd: [...runcmd, ...idleAgentRunCmd] };
}

export function openstackUserData(plan: SessionPlan, m: PlannedMachine, v: CloudInitValues): string {
  const text = m.image.os === "windows" ? cloudbaseScript(userData(plan, m, v)) : `#cloud-config\n${stringify(openstackCloudConfig(plan, m, v), { lineWidth: 0 })}`;
  const size = Buffer.byteLength(text);
  if (size > NOVA_USER_DATA_LIMIT) throw new Error(`${plan.session}/${m.name}: user data is ${size} bytes, over Nova's limit of ${NOVA_USER_DATA_LIMIT}`);
  return text;
}
