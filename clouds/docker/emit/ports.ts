/**
 * What a session publishes on the Docker engine's host, and where. Pure: no `@pulumi/*`.
 *
 * Docker cannot filter published ports by source CIDR: a port is bound to one host address and
 * anyone who can reach that address can connect. So Docker can honour exactly two `allowFrom`s,
 * and anything else would be a silent no-op or a silent opening; security by default:
 * - every published port binds to 127.0.0.1 (reachable from the engine's host only, e.g.
 *   through an SSH tunnel), whatever narrower ranges `access.allowFrom` lists;
 * - only an `allowFrom` that lets everyone in (0.0.0.0/0 or ::/0) binds them to 0.0.0.0.
 * The plan says which applied and why (dockerAccessNote). Containers reached with `docker exec`
 * (plain machines, Slurm and Spark nodes) publish nothing.
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
  /** Host address the port binds to: 127.0.0.1, or 0.0.0.0 when access.allowFrom lets everyone in. */
  ip: string;
}

/** The ranges that mean "anyone": the one filter Docker can apply besides loopback. */
const EVERYONE = new Set(["0.0.0.0/0", "::/0"]);

/** 127.0.0.1 unless the formation lets everyone in (see the module comment: no CIDR filtering). */
export function bindAddress(plan: Pick<SessionPlan, "allowFrom">): "127.0.0.1" | "0.0.0.0" {
  return plan.allowFrom.some((c) => EVERYONE.has(c)) ? "0.0.0.0" : "127.0.0.1";
}

/** What `access.allowFrom` does on Docker, said in the plan (a refusal to filter is never silent). */
export function dockerAccessNote(plan: Pick<SessionPlan, "kind" | "allowFrom" | "container" | "machines">): string | undefined {
  if (plan.allowFrom.length === 0) return undefined;
  const ranges = plan.allowFrom.join(", ");
  if (networkIsInternal(plan))
    return `access.allowFrom (${ranges}) has no effect on Docker here: nothing is published (containers are entered with docker exec)`;
  if (bindAddress(plan) === "0.0.0.0") {
    return `access.allowFrom (${ranges}) lets everyone in: published ports listen on every address of the Docker engine's host (0.0.0.0); Docker cannot filter by source address, so filter in the host's firewall (the DOCKER-USER iptables chain) if needed`;
  }
  return (
    `access.allowFrom (${ranges}) cannot be enforced by Docker, which does not filter published ports by source address: ` +
    "they listen on 127.0.0.1 of the engine's host only (reach them through an SSH tunnel). To publish them on every address of the host, " +
    "add 0.0.0.0/0 to allowFrom and filter in the host's firewall (the DOCKER-USER iptables chain)"
  );
}

/** Ports a machine publishes on the engine's host. */
export function publishedPorts(
  plan: Pick<SessionPlan, "kind" | "allowFrom" | "container">,
  m: Pick<PlannedMachine, "role" | "inbound" | "connect">,
): PublishedPort[] {
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
