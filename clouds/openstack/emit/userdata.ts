/**
 * User data of an OpenStack server, from plan/cloudinit.ts (never forked; it also installs the
 * idle agent for `lifecycle.autoStop`, as on every VM provider), with what OpenStack needs on top:
 * - Windows: cloudbase-init runs a PowerShell script whose first line is `#ps1_sysnative`, not the
 *   `<powershell>` block EC2Launch reads.
 * Pure: no `@pulumi/*`. The result holds the session's secrets: callers wrap it in `pulumi.secret`.
 */
import { userData, type CloudInitValues } from "../../../plan/cloudinit.js";
import type { PlannedMachine, SessionPlan } from "../../../plan/types.js";

/** Nova takes up to 65,535 bytes of base64: about 48 KiB of user data. */
export const NOVA_USER_DATA_LIMIT = 48 * 1024;

/** `<powershell>…</powershell>` → cloudbase-init's `#ps1_sysnative` script (64-bit PowerShell). */
export function cloudbaseScript(ec2Script: string): string {
  const body = ec2Script.replace(/^<powershell>\r?\n/, "").replace(/<\/powershell>\s*$/, "");
  return `#ps1_sysnative\n${body}`;
}

export function openstackUserData(plan: SessionPlan, m: PlannedMachine, v: CloudInitValues): string {
  const text = m.image.os === "windows" ? cloudbaseScript(userData(plan, m, v)) : userData(plan, m, v);
  const size = Buffer.byteLength(text);
  if (size > NOVA_USER_DATA_LIMIT) throw new Error(`${plan.session}/${m.name}: user data is ${size} bytes, over Nova's limit of ${NOVA_USER_DATA_LIMIT}`);
  return text;
}
