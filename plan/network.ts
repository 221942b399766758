/**
 * Default-deny network rules. Inbound traffic is allowed only: from `access.allowFrom` to a
 * kind's entry points; between machines of the same session where they work together; and to a
 * VirtualLab target from its proxy alone. Nothing is ever opened to 0.0.0.0/0 unless allowFrom
 * says so.
 */
import type { Formation } from "../format/types.js";
import type { InboundRule, PlannedMachine, Role } from "./types.js";

const PROTOCOL_PORT = { ssh: 22, rdp: 3389, vnc: 5901 } as const;
export const GATEWAY_PORT = 443;

/** Machines users reach directly (the others are reached through them). */
export function isEntryPoint(kind: Formation["kind"], role: Role): boolean {
  switch (kind) {
    case "Machine":
    case "Pool":
    case "Docker":
      return true;
    case "VirtualLab":
    case "EMRCluster":
      return role === "proxy";
    case "HPCCluster":
      return role === "head";
  }
}

function userPorts(f: Formation, m: PlannedMachine): { port: number; protocol: "tcp" | "udp" }[] {
  if (f.kind === "Machine" || f.kind === "Pool") return (f.spec.ports ?? []).map((port) => ({ port, protocol: "tcp" as const }));
  if (f.kind === "Docker" && m.role === "host")
    return (f.spec.container.ports ?? []).map((p) => ({ port: p.host ?? p.container, protocol: p.protocol ?? "tcp" }));
  return [];
}

/** How users connect to a machine (also the ports opened to allowFrom on entry points). */
export function connectPorts(f: Formation, m: PlannedMachine): PlannedMachine["connect"] {
  // A container service runs the container alone: nothing to log in to, its published ports are all.
  if (m.service) return [];
  if (m.role === "proxy" && f.kind === "VirtualLab")
    return [
      { protocol: "https", port: GATEWAY_PORT },
      { protocol: "ssh", port: 22 },
    ];
  if (m.role === "target" && f.kind === "VirtualLab") {
    const p = f.spec.target.protocol;
    return [{ protocol: p, port: PROTOCOL_PORT[p] }];
  }
  if (m.role === "proxy")
    return [
      { protocol: "ssh", port: 22 },
      { protocol: "https", port: GATEWAY_PORT },
    ];
  return m.image.os === "windows" ? [{ protocol: "rdp", port: 3389 }] : [{ protocol: "ssh", port: 22 }];
}

export function inboundRules(f: Formation, m: PlannedMachine): InboundRule[] {
  const rules: InboundRule[] = [];
  const allowFrom = f.access?.allowFrom ?? [];
  if (allowFrom.length > 0 && isEntryPoint(f.kind, m.role)) {
    const cidrs = { kind: "cidrs" as const, cidrs: allowFrom };
    for (const c of connectPorts(f, m))
      rules.push({ protocol: "tcp", fromPort: c.port, toPort: c.port, from: cidrs, description: `${c.protocol} from access.allowFrom` });
    for (const p of userPorts(f, m))
      rules.push({ protocol: p.protocol, fromPort: p.port, toPort: p.port, from: cidrs, description: `port ${p.port}/${p.protocol} from access.allowFrom` });
  }
  switch (f.kind) {
    case "VirtualLab":
      if (m.role === "target") {
        const port = PROTOCOL_PORT[f.spec.target.protocol];
        rules.push({
          protocol: "tcp",
          fromPort: port,
          toPort: port,
          from: { kind: "role", role: "proxy" },
          description: `${f.spec.target.protocol} from the gateway only`,
        });
      }
      break;
    case "EMRCluster":
    case "HPCCluster":
      // Cluster members talk freely (Slurm, Spark, NFS, MPI use many ports).
      rules.push({ protocol: "all", fromPort: 0, toPort: 0, from: { kind: "session" }, description: "cluster members to each other" });
      break;
    default:
      break;
  }
  return rules;
}
