/**
 * A session's machines as `connect` sees them (connect/artifacts.ts's ConnectMachine), from what
 * `show` reads back from the session's outputs: addresses, login users, the gateway's URL, the
 * container a `docker exec` enters. Pure.
 *
 * Who jumps through whom: a VirtualLab's target and an EMRCluster's master and workers through
 * the proxy, an HPC cluster's compute nodes through the head node, when they have no public
 * address and the entry point has one.
 */
import type { MachineDetails, SessionDetails } from "../automation/session/show.js";
import type { Kind, Provider } from "../format/types.js";
import type { Role } from "../plan/types.js";
import type { ConnectMachine, ConnectProxy } from "./artifacts.js";
import { cloudOf } from "../clouds/index.js";

/** The machine a role is reached through, per kind. */
const ENTRY: Partial<Record<Kind, { via: string; roles: readonly Role[] }>> = {
  VirtualLab: { via: "proxy", roles: ["target"] },
  EMRCluster: { via: "proxy", roles: ["master", "worker"] },
  HPCCluster: { via: "head", roles: ["compute"] },
};

const DOCKER_EXEC = /\bexec -it (\S+) (\S+)$/;
const isUrl = (s: string | undefined): s is string => s !== undefined && /^https?:\/\//.test(s);

function proxyOf(d: SessionDetails, m: MachineDetails): ConnectProxy | undefined {
  const entry = ENTRY[d.kind as Kind];
  if (!entry || !entry.roles.includes(m.role as Role) || m.publicIp) return undefined;
  const p = d.machines.find((x) => x.name === entry.via);
  return p?.publicIp && p.user ? { machine: p.name, address: p.publicIp, user: p.user } : undefined;
}

/** Every machine of the session that has been created, as connect/artifacts.ts takes it. */
export function connectMachines(d: SessionDetails): ConnectMachine[] {
  const provider = d.provider as Provider;
  const kind = d.kind as Kind;
  // Machines that are containers on a Docker engine are entered with `docker exec`, as root.
  const containers = cloudOf(provider).planning.machines === "containers";
  const gateway = d.machines.find((m) => m.role === "proxy" && isUrl(m.connect))?.connect;
  return d.machines
    .filter((m) => m.state !== "pending" && m.state !== "terminated")
    .map((m): ConnectMachine => {
      const exec = DOCKER_EXEC.exec(m.connect ?? "");
      const proxy = proxyOf(d, m);
      return {
        session: d.session,
        machine: m.name,
        provider,
        kind,
        role: m.role as Role,
        os: m.os,
        ...(m.protocol ? { protocol: m.protocol } : {}),
        user: m.user ?? (containers ? "root" : "ubuntu"),
        ...(m.publicIp ? { publicAddress: m.publicIp } : {}),
        ...(m.privateIp ? { privateAddress: m.privateIp } : {}),
        ...(proxy ? { proxy } : {}),
        ...(kind === "VirtualLab" && gateway ? { gatewayUrl: gateway } : {}),
        ...(containers ? { container: exec?.[1] ?? `${d.session}-${m.name}`, ...(exec ? { shell: exec[2]! } : {}) } : {}),
        // A Docker kind's workload on a cloud host VM is named after the formation (plan/cloudinit/workloads.ts).
        ...(!containers && kind === "Docker" && m.role === "host" ? { container: d.formation } : {}),
        ...(containers && d.cloud.dockerHost ? { dockerHost: d.cloud.dockerHost } : {}),
      };
    });
}
