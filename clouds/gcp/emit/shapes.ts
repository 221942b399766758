/**
 * Pure GCP decisions, kept apart from resource creation so tests can read them as tables:
 * machine types and their GPUs, images per architecture, login users, label rules, power states,
 * spot scheduling and network tags. No `@pulumi/*` here.
 */
import type { PlannedMachine, PowerState, ResolvedImage, Role } from "../../../plan/types.js";

/** Formation GPU names → GCE accelerator types (attached to N1 machine types). */
export const ACCELERATORS: Readonly<Record<string, string>> = {
  "nvidia-t4": "nvidia-tesla-t4",
  "nvidia-v100": "nvidia-tesla-v100",
  "nvidia-p100": "nvidia-tesla-p100",
  "nvidia-p4": "nvidia-tesla-p4",
  "nvidia-l4": "nvidia-l4",
  "nvidia-a100": "nvidia-tesla-a100",
  "nvidia-a100-80gb": "nvidia-a100-80gb",
  "nvidia-h100": "nvidia-h100-80gb",
};

export interface Accelerator {
  type: string;
  count: number;
}

/** Families that come with their GPUs (G2: L4, A2: A100, A3/A4: H100/B200): nothing to attach. */
export function isAcceleratorOptimized(machineType: string): boolean {
  return /^(a2|a3|a4|g2|g4)-/.test(machineType);
}

/**
 * The GCE machine type and the accelerators to attach. The catalog writes N1 GPU types as
 * `n1-standard-4+1xnvidia-tesla-t4`; a plain N1 type with `gpus` in the formation gets them
 * attached too. Accelerator-optimized types attach nothing (their GPUs are part of the type).
 */
export function machineShape(m: Pick<PlannedMachine, "instanceType" | "gpus">): { machineType: string; accelerators: Accelerator[] } {
  const suffixed = /^(.+)\+(\d+)x([a-z0-9-]+)$/.exec(m.instanceType);
  if (suffixed) return { machineType: suffixed[1]!, accelerators: [{ type: suffixed[3]!, count: Number(suffixed[2]) }] };
  if (!m.gpus || isAcceleratorOptimized(m.instanceType)) return { machineType: m.instanceType, accelerators: [] };
  return { machineType: m.instanceType, accelerators: [{ type: ACCELERATORS[m.gpus.type] ?? m.gpus.type, count: m.gpus.count }] };
}

/** Whether a machine has GPUs (it then cannot live-migrate, and cannot suspend). */
export function hasGpus(m: Pick<PlannedMachine, "instanceType" | "gpus">): boolean {
  return machineShape(m).accelerators.length > 0 || isAcceleratorOptimized(m.instanceType);
}

/** Arm machine types (Tau T2A, Axion C4A) boot arm64 images. */
export function architectureOf(machineType: string): "ARM64" | "X86_64" {
  return /^(t2a|c4a|n4a)-/.test(machineType) ? "ARM64" : "X86_64";
}

/** The boot image: the catalog's image family, switched to its arm64 family on Arm machine types. */
export function bootImage(image: ResolvedImage, machineType: string): string {
  const id = image.id ?? "";
  if (!image.alias || architectureOf(machineType) === "X86_64") return id;
  if (image.os === "windows") throw new Error(`${image.alias} has no arm64 image on GCE: choose an x86 machine type instead of ${machineType}`);
  return id.endsWith("-amd64") ? id.replace(/-amd64$/, "-arm64") : `${id}-arm64`;
}

/**
 * The user the session's SSH keys are installed for (the guest agent creates it from the
 * `ssh-keys` metadata; GCE images have no fixed default user). Windows: the Administrator the
 * session's PowerShell script enables.
 */
export function loginUser(image: ResolvedImage): string {
  if (image.os === "windows") return "Administrator";
  const name = (image.alias ?? image.id ?? "").toLowerCase();
  for (const distro of ["ubuntu", "debian", "rocky"]) if (name.includes(distro)) return distro;
  return "formations";
}

/** GCE's smallest boot disk per OS: the Windows Server images are 50 GB. */
export function bootDiskGb(m: Pick<PlannedMachine, "diskGb" | "image">): number {
  return Math.max(m.diskGb, m.image.os === "windows" ? 50 : 10);
}

const LABEL_MAX = 63;
/** A label key or value as GCP accepts it: lower case letters, digits, `_` and `-`, at most 63 characters. */
function labelPart(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "-")
    .slice(0, LABEL_MAX);
}

/** Labels under GCP's rules (keys start with a letter); the session's are already safe, roles are made so. */
export function gcpLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    let key = labelPart(k);
    if (!/^[a-z]/.test(key)) key = `l-${key}`.slice(0, LABEL_MAX);
    out[key] = labelPart(v);
  }
  return out;
}

/**
 * Whether GCE can suspend this machine: the catalog says the type can (no GPUs, at most 208 GB
 * of memory) and it is not spot (a reclaimed spot VM stops; it is never kept suspended here).
 */
export function canSuspend(m: Pick<PlannedMachine, "hibernation" | "spot" | "instanceType" | "gpus">): boolean {
  return m.hibernation && !m.spot && !hasGpus(m);
}

/** The instance's `desiredStatus` for the session's desired power state. */
export function desiredStatus(
  m: Pick<PlannedMachine, "desiredState" | "hibernation" | "spot" | "instanceType" | "gpus">,
): "RUNNING" | "TERMINATED" | "SUSPENDED" {
  const state: PowerState = m.desiredState;
  if (state === "running") return "RUNNING";
  if (state === "hibernated" && canSuspend(m)) return "SUSPENDED";
  return "TERMINATED";
}

/** What GCE does with a reclaimed spot VM: it cannot suspend one, so `hibernate` stops it. */
export function terminationAction(interruption: "stop" | "hibernate" | "terminate"): "STOP" | "DELETE" {
  return interruption === "terminate" ? "DELETE" : "STOP";
}

export interface Scheduling {
  provisioningModel: "SPOT" | "STANDARD";
  preemptible: boolean;
  automaticRestart: boolean;
  onHostMaintenance: "MIGRATE" | "TERMINATE";
  instanceTerminationAction?: "STOP" | "DELETE";
}

/** Spot VMs are preemptible and never restart by themselves; GPU VMs cannot live-migrate. */
export function scheduling(m: Pick<PlannedMachine, "spot" | "instanceType" | "gpus">, interruption: "stop" | "hibernate" | "terminate"): Scheduling {
  if (m.spot)
    return {
      provisioningModel: "SPOT",
      preemptible: true,
      automaticRestart: false,
      onHostMaintenance: "TERMINATE",
      instanceTerminationAction: terminationAction(interruption),
    };
  return { provisioningModel: "STANDARD", preemptible: false, automaticRestart: true, onHostMaintenance: hasGpus(m) ? "TERMINATE" : "MIGRATE" };
}

/**
 * Network tags the firewall rules target: every machine of the session carries `<session>` (the
 * deny-all rule), its role's `<session>-<role>`, and cluster members `<session>-cluster`.
 */
export const tags = {
  session: (session: string) => session,
  role: (session: string, role: Role | "bigdata") => `${session}-${role}`,
  cluster: (session: string) => `${session}-cluster`,
};

/** `ssh-keys` metadata: one `user:key` line per key. */
export function sshKeys(user: string, keys: readonly string[]): string {
  return keys.map((k) => `${user}:${k.trim()}`).join("\n");
}

/** The body of a `<powershell>` user-data script, for GCE's `windows-startup-script-ps1`. */
export function powershellBody(script: string): string {
  return script.replace(/^<powershell>\n/, "").replace(/<\/powershell>\n?$/, "");
}
