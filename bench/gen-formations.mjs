// Realistic, valid formation files for benches: every kind on every provider, with names, counts,
// sizes, labels, keys and comments varied per file so no two files are alike.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

export const KINDS = ["Machine", "Docker", "Pool", "VirtualLab", "EMRCluster", "HPCCluster"];
export const PROVIDERS = ["aws", "azure", "gcp", "openstack", "docker"];

const SIZES = ["small", "medium", "large", "xlarge", "2xlarge"];
const TEAMS = ["bio", "physics", "chem", "data", "ops", "cs"];
const INSTANCE = { aws: "c6i.4xlarge", azure: "Standard_D4s_v5", gcp: "n2-standard-8", openstack: "m1.large", docker: "4cpu-8g" };

/** An OpenSSH ed25519 public key line whose blob is well formed (the loader checks it). */
export function sshKey(i) {
  const type = Buffer.from("ssh-ed25519");
  const key = Buffer.alloc(32, i % 251);
  const len = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return `ssh-ed25519 ${Buffer.concat([len(type.length), type, len(32), key]).toString("base64")} user${i}@laptop`;
}

function cloud(provider, i) {
  switch (provider) {
    case "aws":
      return `cloud:\n  provider: aws\n  region: eu-west-1\n  zone: eu-west-1${"abc"[i % 3]}\n`;
    case "azure":
      return "cloud:\n  provider: azure\n  region: westeurope\n";
    case "gcp":
      return `cloud:\n  provider: gcp\n  region: europe-west1\n  zone: europe-west1-${"bcd"[i % 3]}\n  project: lab-project-${100 + i}\n`;
    case "openstack":
      return "cloud:\n  provider: openstack\n  region: RegionOne\n";
    default:
      return i % 2 ? "cloud:\n  provider: docker\n  host: unix:///var/run/docker.sock\n" : "cloud:\n  provider: docker\n";
  }
}

/** A machine block as flow or block YAML, by size or by instance type. */
function machine(provider, i, indent, { image } = {}) {
  const pad = " ".repeat(indent);
  const pick = i % 4 === 3 ? `instanceType: ${INSTANCE[provider]}` : `size: ${SIZES[i % SIZES.length]}`;
  const img = image ?? (i % 3 === 0 ? "ubuntu-24.04" : i % 3 === 1 ? "debian-12" : "rocky-9");
  if (i % 2) return ` { ${pick}, image: ${img}, diskGb: ${30 + (i % 10) * 10} }\n`;
  const spot = provider !== "docker" && i % 5 === 0 ? `${pad}spot: true\n` : "";
  const gpu = provider !== "docker" && i % 7 === 0 ? `${pad}gpus: { count: ${1 + (i % 4)}, type: nvidia-t4 }\n` : "";
  return `\n${pad}${pick}\n${pad}image: ${img}\n${pad}diskGb: ${50 + (i % 8) * 25}\n${spot}${gpu}`;
}

function spec(kind, provider, i) {
  switch (kind) {
    case "Machine":
      return `spec:\n  machine:${machine(provider, i, 4)}  ports: [8080, ${8800 + (i % 100)}]\n`;
    case "Pool":
      return `spec:\n  count: ${1 + ((i * 7) % 60)}   # one per student\n  machine:${machine(provider, i, 4)}`;
    case "Docker": {
      const host = provider === "docker" ? "" : `  host:${machine(provider, i + 1, 4)}`;
      return (
        "spec:\n  container:\n" +
        `    image: jupyter/scipy-notebook:2024-05-${10 + (i % 18)}\n` +
        `    command: ["start-notebook.py", "--NotebookApp.token=''"]\n` +
        `    env:\n      JUPYTER_ENABLE_LAB: "yes"\n      COURSE: course-${i}\n` +
        `    ports:\n      - { container: 8888, host: ${9000 + (i % 500)} }\n      - container: 4040\n        protocol: tcp\n` +
        `    volumes:\n      - { name: work-${i}, mountPath: /home/jovyan/work }\n      - hostPath: /srv/datasets\n        mountPath: /data\n        readOnly: true\n` +
        `    cpus: ${1 + (i % 4)}\n    memoryMb: ${2048 * (1 + (i % 4))}\n` +
        host
      );
    }
    case "VirtualLab": {
      const win = provider !== "docker" && i % 2 === 0;
      return (
        `spec:\n  target:\n    protocol: ${win ? "rdp" : i % 3 ? "vnc" : "ssh"}\n` +
        `    machine:${machine(provider, i, 6, win ? { image: "windows-2022" } : {})}` +
        `  proxy:\n    machine: { size: small }\n`
      );
    }
    case "EMRCluster":
      return (
        `spec:\n  ${provider === "aws" ? "release: emr-7.2.0\n  " : ""}applications: [spark, ${["hadoop", "hive", "jupyter", "presto"][i % 4]}]\n` +
        `  master:\n    machine:${machine(provider, i, 6)}` +
        `  workers:\n    count: ${2 + (i % 40)}\n    machine:${machine(provider, i + 1, 6)}`
      );
    default:
      return (
        "spec:\n  scheduler: slurm\n" +
        `  headNode:\n    machine:${machine(provider, i, 6)}` +
        `  computeNodes:\n    count: ${4 + ((i * 13) % 300)}\n    machine:${machine(provider, i + 1, 6)}` +
        `  sharedStorage: { sizeGb: ${100 * (1 + (i % 20))}, mountPath: /shared }\n`
      );
  }
}

/** The text of formation number `i` (kind and provider cycle independently). */
export function formationText(i, kind = KINDS[i % KINDS.length], provider = PROVIDERS[Math.floor(i / KINDS.length) % PROVIDERS.length]) {
  const name = `${kind.toLowerCase()}-${provider}-${i}`;
  return (
    "# yaml-language-server: $schema=../schemas/formation.schema.json\n" +
    "apiVersion: formations/v1\n" +
    `kind: ${kind}\n` +
    `metadata:\n  name: ${name}\n  description: ${kind} on ${provider} for course ${i} (generated for benches)\n` +
    `  labels: { team: ${TEAMS[i % TEAMS.length]}, course: c${i}, cost-center: cc-${1000 + i} }\n` +
    cloud(provider, i) +
    `access:\n  sshPublicKeys:\n    - ${sshKey(i)}\n` +
    (i % 3 ? `  allowFrom: ["203.0.113.0/24", "198.51.100.${i % 250}/32"]\n` : "") +
    `lifecycle:\n  autoStop: { idleMinutes: ${30 + (i % 12) * 15} }\n  spotInterruption: ${["stop", "hibernate", "terminate"][i % 3]}\n` +
    spec(kind, provider, i)
  );
}

/** Writes `count` formation files into `dir`; returns their paths. */
export async function writeFormations(dir, count) {
  const files = [];
  for (let i = 0; i < count; i++) {
    const file = join(dir, `f${String(i).padStart(4, "0")}.yaml`);
    await writeFile(file, formationText(i));
    files.push(file);
  }
  return files;
}
