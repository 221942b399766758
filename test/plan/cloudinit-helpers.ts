/** Shared helpers of the cloud-init tests: small plans and the parsed user data of a machine. */
import { expect } from "vitest";
import { parse } from "yaml";
import { loadFormationText } from "../../format/load.js";
import { planSession } from "../../plan/index.js";
import type { PlannedMachine, PlannedStorage, SessionPlan } from "../../plan/types.js";
import { userData, type CloudInitValues } from "../../plan/cloudinit.js";

export interface WriteFile {
  path: string;
  content: string;
  permissions: string;
  encoding?: string;
  defer?: boolean;
}
export interface CloudConfig {
  hostname: string;
  ssh_authorized_keys?: string[];
  packages?: string[];
  write_files?: WriteFile[];
  runcmd?: string[];
  users?: unknown[];
  chpasswd?: { expire: boolean; users: { name: string; password: string }[] };
}

export const KEYS = [
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7yK5YQQX7+PX1LdZ/1IhisRnKb6bgc7s1lYmM0jQyj alice@example.org",
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob@example.org",
];
export const MUNGE = Buffer.from("m".repeat(128)).toString("base64");
export const VALUES: CloudInitValues = {
  headAddress: "10.42.0.5",
  masterAddress: "10.42.0.6",
  targetAddress: "10.42.16.7",
  storageSource: "fs-123.efs.eu-west-1.amazonaws.com:/",
  storageType: "nfs",
  mungeKey: MUNGE,
  gatewayPassword: `Gw<&>"'pass12345`,
  adminPassword: "Adm'n-Pa55!",
  peers: ["compute-1", "compute-2", "compute-3"],
};

export function plan(kind: string, spec: string, provider = "aws", access = `access: { sshPublicKeys: ${JSON.stringify(KEYS)} }\n`): SessionPlan {
  const cloud = provider === "docker" ? "{ provider: docker }" : `{ provider: ${provider}, region: eu-west-1 }`;
  return planSession(
    loadFormationText(`apiVersion: formations/v1\nkind: ${kind}\nmetadata: { name: t-${kind.toLowerCase()} }\ncloud: ${cloud}\n${access}spec:\n${spec}`),
  );
}
export const machine = (p: SessionPlan, name: string): PlannedMachine => p.machines.find((m) => m.name === name)!;
export const config = (p: SessionPlan, name: string, v: CloudInitValues = VALUES): CloudConfig => {
  const text = userData(p, machine(p, name), v);
  expect(text.startsWith("#cloud-config\n")).toBe(true);
  return parse(text) as CloudConfig;
};
export const file = (c: CloudConfig, path: string) => c.write_files?.find((f) => f.path === path);
export const commands = (c: CloudConfig) => (c.runcmd ?? []).join("\n");
export const withStorage = (p: SessionPlan, kind: PlannedStorage["kind"]): SessionPlan => ({ ...p, storage: { ...p.storage!, kind } });
