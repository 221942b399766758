/**
 * Slurm by cloud-init: slurmctld + munge on the head node, slurmd + munge on compute nodes, the
 * same slurm.conf on both, and the shared file system (exported by the head, or a managed one
 * mounted everywhere).
 *
 * Compute addresses are not known when the head boots (the head starts first), so compute nodes
 * are declared `State=CLOUD` with `cloud_reg_addrs`: slurmctld learns each node's address when
 * its slurmd registers. The head's own address is written into slurm.conf at first boot.
 */
import type { PlannedMachine, SessionPlan } from "../types.js";
import { exportNfs, mountNfs, needEpel, shq, type Parts } from "./parts.js";

export const HEAD_ADDRESS_PLACEHOLDER = "@HEAD_ADDRESS@";
const SLURM_CONF = "/etc/slurm/slurm.conf";
const NO_PEERS: readonly string[] = [];

/** `compute-1 … compute-8, gpu-1` → `compute-[1-8],gpu-1`: slurm.conf stays short for 1,000 nodes. */
export function hostlist(names: readonly string[]): string {
  const groups = new Map<string, number[]>();
  const plain: string[] = [];
  for (const n of names) {
    const m = /^(.*-)(\d+)$/.exec(n);
    if (!m || m[2]!.startsWith("0")) plain.push(n);
    else {
      const list = groups.get(m[1]!);
      if (list) list.push(Number(m[2]));
      else groups.set(m[1]!, [Number(m[2])]);
    }
  }
  const out: string[] = [];
  for (const [prefix, nums] of groups) {
    const sorted = [...new Set(nums)].sort((a, b) => a - b);
    const ranges: string[] = [];
    for (let i = 0; i < sorted.length;) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
      ranges.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
      i = j + 1;
    }
    out.push(sorted.length === 1 ? `${prefix}${sorted[0]}` : `${prefix}[${ranges.join(",")}]`);
  }
  return [...out, ...plain].join(",");
}

/** CPUs and memory of the compute nodes, when the catalog knew their instance type (the plan carries them). */
function nodeShape(compute: PlannedMachine | undefined): string {
  if (compute?.vcpus === undefined || compute.memoryGb === undefined) return "";
  // slurmd drains a node that reports less memory than configured: leave headroom for the OS.
  return ` CPUs=${compute.vcpus} RealMemory=${Math.floor(compute.memoryGb * 1024 * 0.9)}`;
}

/**
 * Every node of a cluster gets the same slurm.conf, and listing the nodes is linear in their
 * number: made once per plan, node list and head address (else a 1,000-node plan is quadratic).
 */
const confs = new WeakMap<SessionPlan, WeakMap<readonly string[], Map<string, string>>>();

export function slurmConf(plan: SessionPlan, peers: readonly string[], headAddress: string): string {
  let byPeers = confs.get(plan);
  if (!byPeers) confs.set(plan, (byPeers = new WeakMap()));
  let byHead = byPeers.get(peers);
  if (!byHead) byPeers.set(peers, (byHead = new Map()));
  let conf = byHead.get(headAddress);
  if (conf === undefined) byHead.set(headAddress, (conf = renderSlurmConf(plan, peers, headAddress)));
  return conf;
}

function renderSlurmConf(plan: SessionPlan, peers: readonly string[], headAddress: string): string {
  const shape = nodeShape(plan.machines.find((m) => m.role === "compute"));
  const nodes = hostlist(peers);
  return [
    `# slurm.conf for session ${plan.session}, written by formations (same file on every node).`,
    `ClusterName=${plan.session.replace(/-/g, "_").slice(0, 40)}`,
    `SlurmctldHost=head(${headAddress})`,
    "SlurmctldParameters=cloud_reg_addrs",
    "AuthType=auth/munge",
    "SlurmUser=slurm",
    "StateSaveLocation=/var/spool/slurmctld",
    "SlurmdSpoolDir=/var/spool/slurmd",
    "SlurmctldLogFile=/var/log/slurm/slurmctld.log",
    "SlurmdLogFile=/var/log/slurm/slurmd.log",
    "MpiDefault=none",
    "ProctrackType=proctrack/linuxproc",
    "ReturnToService=2",
    "SchedulerType=sched/backfill",
    "SelectType=select/cons_tres",
    `SelectTypeParameters=${shape ? "CR_Core_Memory" : "CR_Core"}`,
    "TreeWidth=65533",
    "SlurmctldTimeout=300",
    "SlurmdTimeout=300",
    ...(nodes ? [`NodeName=${nodes}${shape} State=CLOUD`, `PartitionName=compute Nodes=${nodes} Default=YES MaxTime=INFINITE State=UP`] : []),
    "",
  ].join("\n");
}

/** The munge key (base64 of random bytes), 0400 and owned by munge once the package has created the user. */
function munge(p: Parts, mungeKey: string | undefined): void {
  if (!mungeKey) throw new Error("an HPC node needs the session's munge key");
  p.files.push({ path: "/etc/munge/munge.key", content: mungeKey, encoding: "b64", permissions: "0400" });
  p.commands.push(
    "chown munge:munge /etc/munge /etc/munge/munge.key && chmod 0700 /etc/munge && chmod 0400 /etc/munge/munge.key",
    "systemctl enable munge && systemctl restart munge",
    "mkdir -p /var/log/slurm /var/spool/slurmd && chown slurm:slurm /var/log/slurm",
  );
}

export interface SlurmValues {
  headAddress?: string;
  storageSource?: string;
  mungeKey?: string;
  peers?: readonly string[];
}

function sharedStorage(plan: SessionPlan, p: Parts, m: PlannedMachine, v: SlurmValues): void {
  const storage = plan.storage;
  if (!storage || storage.kind === "volume") return;
  if (storage.kind === "head-nfs") {
    if (m.role === "head") exportNfs(p, storage.mountPath, plan.network.cidr);
    else mountNfs(p, `${required(v.headAddress, "the head node's address")}:${storage.mountPath}`, storage.mountPath);
    return;
  }
  mountNfs(p, required(v.storageSource, "the shared file system's address"), storage.mountPath);
  if (m.role === "head") p.commands.push(`chmod 1777 ${shq(storage.mountPath)}`);
}

export function slurmHead(plan: SessionPlan, m: PlannedMachine, p: Parts, v: SlurmValues): void {
  needEpel(p, ["munge", "slurmctld", "slurm-client"], ["munge", "slurm", "slurm-slurmctld"]);
  p.files.push({ path: SLURM_CONF, permissions: "0644", content: slurmConf(plan, v.peers ?? NO_PEERS, HEAD_ADDRESS_PLACEHOLDER) });
  munge(p, v.mungeKey);
  sharedStorage(plan, p, m, v);
  p.commands.push(
    `sed -i "s/${HEAD_ADDRESS_PLACEHOLDER}/$(hostname -I | awk '{print $1}')/" ${SLURM_CONF}`,
    "mkdir -p /var/spool/slurmctld && chown slurm:slurm /var/spool/slurmctld",
    "systemctl enable slurmctld && systemctl restart slurmctld",
  );
}

export function slurmCompute(plan: SessionPlan, m: PlannedMachine, p: Parts, v: SlurmValues): void {
  const head = required(v.headAddress, "the head node's address");
  needEpel(p, ["munge", "slurmd", "slurm-client"], ["munge", "slurm", "slurm-slurmd"]);
  p.files.push({ path: SLURM_CONF, permissions: "0644", content: slurmConf(plan, v.peers ?? NO_PEERS, head) });
  munge(p, v.mungeKey);
  sharedStorage(plan, p, m, v);
  p.commands.push(`grep -qs ' head$' /etc/hosts || echo ${shq(`${head} head`)} >> /etc/hosts`, "systemctl enable slurmd && systemctl restart slurmd");
}

export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === "") throw new Error(`cloud-init: ${what} is missing`);
  return value;
}
