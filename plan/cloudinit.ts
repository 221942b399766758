/**
 * The user data of a planned machine: `#cloud-config` for Linux (ssh keys, packages, files and
 * commands for its role, and the idle agent with `lifecycle.autoStop`), a PowerShell script for
 * Windows. Shared by every VM adapter (AWS, Azure, GCP, OpenStack), so it takes resolved plain
 * values, not Pulumi outputs: the adapter resolves addresses and secrets first.
 *
 * The result contains the session's secrets (munge key, passwords): callers must treat it as a
 * secret (`pulumi.secret`). Pure: no I/O, no `@pulumi/*`.
 */
import { stringify } from "yaml";
import type { PlannedMachine, SessionPlan } from "./types.js";
import { emptyParts, familyOf, need, type Parts } from "./cloudinit/parts.js";
import { slurmCompute, slurmHead } from "./cloudinit/slurm.js";
import { bigDataProxy, guacamoleProxy, linuxTarget } from "./cloudinit/gateway.js";
import { dockerHost, sparkNode } from "./cloudinit/workloads.js";
import { windowsScript } from "./cloudinit/windows.js";
import { idleAgentParts } from "./cloudinit/idle.js";

/** What a machine learns from the others, resolved to plain values by the adapter. */
export interface CloudInitValues {
  /** HPC: the head node's private address (slurmctld, and the NFS server with head-nfs storage). */
  headAddress?: string;
  /** EMRCluster: the master's private address (Spark workers, the proxy's upstream). */
  masterAddress?: string;
  /** VirtualLab: the target's private address (the gateway's connection). */
  targetAddress?: string;
  /** Managed shared storage to mount (`fs-1.efs.eu-west-1.amazonaws.com:/`). */
  storageSource?: string;
  storageType?: "nfs" | "volume";
  /** HPC: base64 of the session's munge key. */
  mungeKey?: string;
  /** VirtualLab: the gateway login, also the `lab` user's password on a Linux target. */
  gatewayPassword?: string;
  /** Windows: the Administrator password. */
  adminPassword?: string;
  /** HPC: names of the compute nodes (slurm.conf lists them). */
  peers?: readonly string[];
}

/** EC2 refuses user data over 16 KiB; other clouds allow more. */
export const USER_DATA_LIMIT = 16 * 1024;

function roleParts(plan: SessionPlan, m: PlannedMachine, p: Parts, v: CloudInitValues): void {
  const storageSource = v.storageType === "volume" ? undefined : v.storageSource;
  switch (m.role) {
    case "head":
      return slurmHead(plan, m, p, { ...v, ...(storageSource ? { storageSource } : {}) });
    case "compute":
      return slurmCompute(plan, m, p, { ...v, ...(storageSource ? { storageSource } : {}) });
    case "proxy":
      return plan.kind === "VirtualLab" ? guacamoleProxy(plan, p, v) : bigDataProxy(plan, p, v);
    case "target":
      return linuxTarget(plan, p, v);
    case "master":
    case "worker":
      if (m.managedBy === "bigdata") throw new Error(`${m.name} is created by the managed big-data service and has no user data`);
      return sparkNode(plan, m, p, v.masterAddress);
    case "host":
      return dockerHost(plan, p);
    case "machine":
    case "member":
      // GPU drivers: Ubuntu ships a tool that picks the right server driver for the card.
      if (m.gpus && (m.image.alias ?? "").startsWith("ubuntu")) {
        need(p, ["ubuntu-drivers-common"], []);
        p.commands.push("ubuntu-drivers install --gpgpu");
      }
      return;
  }
}

/** The cloud-config document (before rendering), for tests and for adapters that merge their own keys. */
export function cloudConfig(plan: SessionPlan, m: PlannedMachine, v: CloudInitValues): Record<string, unknown> {
  const p = emptyParts(familyOf(m.image));
  roleParts(plan, m, p, v);
  // lifecycle.autoStop: the idle agent on every Linux VM, whatever the provider (cloudinit/idle.ts).
  idleAgentParts(plan, m, p);
  const { users, ...extra } = p.extra;
  return {
    hostname: m.name,
    preserve_hostname: false,
    // Only the hostname's own line: lines added later (the head node's address) survive reboots.
    manage_etc_hosts: "localhost",
    ...(users ? { users } : {}),
    ...(plan.sshPublicKeys.length > 0 ? { ssh_authorized_keys: [...plan.sshPublicKeys] } : {}),
    ...extra,
    package_update: p.packages.length + p.install.length > 0,
    ...(p.packages.length > 0 ? { packages: p.packages } : {}),
    ...(p.files.length > 0
      ? {
          write_files: p.files.map((f) => ({
            path: f.path,
            permissions: f.permissions,
            ...(f.encoding ? { encoding: f.encoding } : {}),
            ...(f.defer ? { defer: true } : {}),
            content: f.content,
          })),
        }
      : {}),
    ...(p.install.length + p.commands.length > 0 ? { runcmd: [...p.install, ...p.commands] } : {}),
  };
}

/**
 * The user data for machine `m` of `plan`: `#cloud-config` YAML on Linux, `<powershell>` on
 * Windows. Contains secrets: wrap it in `pulumi.secret` before it becomes an input.
 */
export function userData(plan: SessionPlan, m: PlannedMachine, v: CloudInitValues): string {
  if (m.image.os === "windows") return windowsScript(plan, m, v);
  return cloudConfigText(plan, cloudConfig(plan, m, v));
}

/**
 * A cloud-config document (hostname first, as cloudConfig makes it) as `#cloud-config` YAML. The
 * nodes of a cluster differ in their hostname only: the rest is rendered once per plan. A
 * top-level YAML map renders key by key, so the two halves joined are the whole document.
 */
export function cloudConfigText(plan: SessionPlan, config: Record<string, unknown>): string {
  const { hostname, ...rest } = config;
  let byDoc = rendered.get(plan);
  if (!byDoc) rendered.set(plan, (byDoc = new Map()));
  const key = JSON.stringify(rest);
  let body = byDoc.get(key);
  if (body === undefined) byDoc.set(key, (body = stringify(rest, { lineWidth: 0 })));
  return `#cloud-config\n${hostnameLine(hostname)}${body}`;
}
const rendered = new WeakMap<SessionPlan, Map<string, string>>();

/** Lower-case names YAML reads as plain strings; of them, only these three as another type. */
const PLAIN_NAME = /^[a-z][a-z0-9-]*$/;
const NOT_STRINGS = new Set(["true", "false", "null"]);

/**
 * `hostname: NAME` exactly as `yaml` renders it. Machine names are lower-case letters, digits and
 * dashes, which YAML writes plain: written here directly, as the YAML library takes a tenth of a
 * millisecond per document (a 1,000-node plan renders 1,000 of them). Any other name goes through
 * the library.
 */
export function hostnameLine(name: unknown): string {
  return typeof name === "string" && PLAIN_NAME.test(name) && !NOT_STRINGS.has(name) ? `hostname: ${name}\n` : stringify({ hostname: name }, { lineWidth: 0 });
}

export { familyOf, type Family } from "./cloudinit/parts.js";
export { idleStopCommand, runsIdleAgent } from "./cloudinit/idle.js";
export { GATEWAY_IMAGES, LAB_USER } from "./cloudinit/gateway.js";
export { hostlist, slurmConf } from "./cloudinit/slurm.js";
