/**
 * Windows machines get a PowerShell script instead of cloud-config (`<powershell>` is the user
 * data format EC2Launch runs; other clouds' Windows agents take the script body): RDP on, the
 * Administrator password set, and OpenSSH with the session's keys when it has any.
 */
import type { PlannedMachine, SessionPlan } from "../types.js";
import { required } from "./slurm.js";

/** Quotes a string for PowerShell (single quotes: no expansion; a quote is doubled). */
export function psq(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export interface WindowsValues {
  adminPassword?: string;
}

export function windowsScript(plan: SessionPlan, m: PlannedMachine, v: WindowsValues): string {
  const password = required(v.adminPassword, "the admin password");
  const lines = [
    "<powershell>",
    `# ${plan.session} ${m.name} (${m.role}), written by formations.`,
    "$ErrorActionPreference = 'Stop'",
    "Set-ItemProperty -Path 'HKLM:\\System\\CurrentControlSet\\Control\\Terminal Server' -Name 'fDenyTSConnections' -Value 0",
    "Enable-NetFirewallRule -DisplayGroup 'Remote Desktop'",
    `Set-LocalUser -Name 'Administrator' -Password (ConvertTo-SecureString ${psq(password)} -AsPlainText -Force)`,
    "Enable-LocalUser -Name 'Administrator'",
  ];
  if (plan.sshPublicKeys.length > 0) {
    const keys = plan.sshPublicKeys.map(psq).join(", ");
    lines.push(
      "Add-WindowsCapability -Online -Name 'OpenSSH.Server~~~~0.0.1.0'",
      "Set-Service -Name sshd -StartupType Automatic",
      "Start-Service sshd",
      `Set-Content -Path 'C:\\ProgramData\\ssh\\administrators_authorized_keys' -Encoding ascii -Value @(${keys})`,
      "icacls.exe 'C:\\ProgramData\\ssh\\administrators_authorized_keys' /inheritance:r /grant 'Administrators:F' /grant 'SYSTEM:F'",
    );
  }
  lines.push("</powershell>", "");
  return lines.join("\n");
}
