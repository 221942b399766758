/** Formation texts for the action tests, one shape per kind and provider the tests need. */
import type { Provider } from "../../../format/types.js";

const CLOUD: Record<Provider, string> = {
  docker: "provider: docker",
  aws: "provider: aws\n  region: eu-west-1",
  azure: "provider: azure\n  region: westeurope",
  gcp: "provider: gcp\n  region: europe-west1\n  zone: europe-west1-b\n  project: lab-project",
  openstack: "provider: openstack\n  region: RegionOne",
  ovh: "provider: ovh\n  region: GRA11",
};

export interface Shape {
  name?: string;
  provider?: Provider;
  labels?: Record<string, string>;
  /** Machine block lines (indented by the caller's level), e.g. `spot: true`. */
  machine?: string[];
  interruption?: "stop" | "hibernate" | "terminate";
  image?: string;
}

function header(kind: string, s: Shape): string {
  const labels = Object.entries(s.labels ?? { team: "bio" })
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
  const lifecycle = s.interruption ? `lifecycle:\n  spotInterruption: ${s.interruption}\n` : "";
  return `# yaml-language-server: $schema=../schemas/formation.schema.json\napiVersion: formations/v1\nkind: ${kind}\nmetadata:\n  name: ${s.name ?? "lab"}\n  labels: { ${labels} }\ncloud:\n  ${CLOUD[s.provider ?? "docker"]}\n${lifecycle}`;
}

function block(indent: string, s: Shape): string {
  const image = s.image ?? ((s.provider ?? "docker") === "docker" ? "formations-test/busybox:latest" : "ubuntu-22.04");
  return [`image: ${image}`, ...(s.machine ?? [])].map((l) => `${indent}${l}`).join("\n");
}

/** A Pool of `count` machines. */
export function pool(count: number, s: Shape = {}): string {
  return `${header("Pool", s)}spec:\n  count: ${count}\n  machine:\n${block("    ", s)}\n`;
}

/** An HPC cluster: head (tier 1) and `count` compute nodes (tier 2). */
export function hpc(count: number, s: Shape = {}): string {
  return `${header("HPCCluster", s)}spec:\n  scheduler: slurm\n  headNode:\n    machine:\n${block("      ", s)}\n  computeNodes:\n    count: ${count}\n    machine:\n${block("      ", s)}\n`;
}

/** A VirtualLab: proxy (tier 0) and target (tier 1). */
export function lab(s: Shape = {}): string {
  return `${header("VirtualLab", s)}spec:\n  target:\n    protocol: ssh\n    machine:\n${block("      ", s)}\n`;
}
