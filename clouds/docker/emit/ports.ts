/**
 * What a session publishes on the Docker engine's host, and where. Pure: no `@pulumi/*`.
 *
 * Docker cannot filter published ports by source CIDR: a port is bound to one host address and
 * anyone who can reach that address can connect. So, security by default:
 * - without `access.allowFrom`, every published port binds to 127.0.0.1 (reachable from the
 *   engine's host only, e.g. through an SSH tunnel);
 * - with `access.allowFrom`, ports bind to 0.0.0.0 and the CIDRs are NOT enforced by Docker:
 *   filter them in the host's firewall (the DOCKER-USER iptables chain) or in front of it.
 * Containers reached with `docker exec` (plain machines, Slurm and Spark nodes) publish nothing.
 */
import type { PlannedMachine, SessionPlan } from "../../../plan/types.js";

/** Where the browser gateway (Guacamole's Tomcat) and the Spark UI proxy (nginx) listen. */
export const PROXY_HTTP_PORT = 8080;

export interface PublishedPort {
  /** Port inside the container. */
  internal: number;
  /** Port on the engine's host; undefined: the engine picks a free one (no clash between sessions). */
  external?: number;
  protocol: "tcp" | "udp";
  /** Host address the port binds to: 127.0.0.1, or 0.0.0.0 when access.allowFrom is set. */
  ip: string;
}

/** 127.0.0.1 unless the formation lets someone in (see the module comment: no CIDR filtering). */
export function bindAddress(plan: Pick<SessionPlan, "allowFrom">): "127.0.0.1" | "0.0.0.0" {
  return plan.allowFrom.length > 0 ? "0.0.0.0" : "127.0.0.1";
}

/** Ports a machine publishes on the engine's host. */
export function publishedPorts(plan: Pick<SessionPlan, "kind" | "allowFrom" | "container">, m: Pick<PlannedMachine, "role" | "inbound" | "connect">): PublishedPort[] {
  const ip = bindAddress(plan);
  if (plan.kind === "Docker" && plan.container) {
    return plan.container.ports.map((p) => ({ internal: p.container, external: p.host, protocol: p.protocol, ip }));
  }
  // The gateway (VirtualLab) and the Spark UI proxy (EMRCluster): one HTTP port, host port picked
  // by the engine so that many sessions share one engine without clashing.
  if (m.role === "proxy") return [{ internal: PROXY_HTTP_PORT, protocol: "tcp", ip }];
  if (m.role === "machine" || m.role === "member") {
    // The plan lists a Machine's or Pool's extra ports only as rules from allowFrom; the connect
    // ports (ssh) are left out: these containers are reached with `docker exec`, not sshd.
    const connect = new Set(m.connect.map((c) => c.port));
    const out: PublishedPort[] = [];
    for (const r of m.inbound) {
      if (r.from.kind !== "cidrs" || r.protocol === "all") continue;
      for (let port = r.fromPort; port <= r.toPort; port++) {
        if (connect.has(port)) continue;
        // A single machine keeps the port number; pool members would clash, so the engine picks.
        out.push({ internal: port, ...(m.role === "machine" ? { external: port } : {}), protocol: r.protocol, ip });
      }
    }
    return out;
  }
  return [];
}

/**
 * The session network is internal (no route out, nothing published) unless some container
 * publishes a port: Docker ignores published ports of containers on internal networks only.
 */
export function networkIsInternal(plan: Pick<SessionPlan, "kind" | "allowFrom" | "container" | "machines">): boolean {
  return plan.machines.every((m) => publishedPorts(plan, m).length === 0);
}
