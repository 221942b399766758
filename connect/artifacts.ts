/**
 * What `formations connect` prints or writes for one machine of a session: the SSH command, an
 * `~/.ssh/config` snippet, an `.rdp` file, an SSH tunnel to a private desktop, the browser URL of
 * a VirtualLab's gateway, or `docker exec` for a container. Pure text from the session's outputs,
 * byte for byte the same for the same input.
 *
 * Private machines (EMR and HPC nodes, a VirtualLab's target) are reached through the session's
 * entry point (the proxy, or the HPC head). With a key file, the one-line command uses
 * `-o ProxyCommand="ssh -i KEY -W %h:%p ..."` rather than `-J`: ssh runs the jump connection as
 * `ssh -l USER -W '[%h]:%p' PROXY` without the `-i` of the command line (OpenSSH ssh.c), so `-J`
 * authenticates to the proxy only with the agent's or the default keys. The config snippet uses
 * `ProxyJump <proxy alias>`, whose own Host block carries the IdentityFile.
 */
import { cloudOf } from "../clouds/index.js";
import type { Kind, Provider } from "../format/types.js";
import type { Role } from "../plan/types.js";
import { configValue, hostAddress, hostPort, rdpValue, shellWord } from "./quote.js";

/** The machine users pass through when the target has no public address. */
export interface ConnectProxy {
  /** Machine name of the proxy (`proxy`, or `head` for an HPC cluster). */
  machine: string;
  /** Its public address (or name), with `:port` when the gateway is not on 443. */
  address: string;
  /** Its login user. */
  user: string;
}

export interface ConnectMachine {
  session: string;
  machine: string;
  provider: Provider;
  kind: Kind;
  role: Role;
  os: "linux" | "windows";
  /** A VirtualLab target's desktop protocol (`spec.target.protocol`). */
  protocol?: "ssh" | "rdp" | "vnc";
  /** Login user (the adapter's: ubuntu, azureuser, Administrator, root...). */
  user: string;
  /** Present only when the machine is reachable from `access.allowFrom`. */
  publicAddress?: string;
  privateAddress?: string;
  /** Where to jump through when there is no public address. */
  proxy?: ConnectProxy;
  /** The browser gateway's URL when the session reports one (Docker: a port the engine picked); default `https://<proxy>/guacamole/`. */
  gatewayUrl?: string;
  /** Container name: the machine itself on Docker, the workload on a Docker kind's host VM. */
  container?: string;
  /** The Docker engine URL (`cloud.host`), when it is not the local default. */
  dockerHost?: string;
  /** Shell for `docker exec`; default /bin/bash. */
  shell?: string;
}

export interface ConnectOptions {
  /** Private key file for `ssh -i` and IdentityFile; default: none (ssh-agent or the default keys). */
  keyPath?: string;
}

export interface ConnectionArtifacts {
  machine: string;
  /** `ssh ...` for a machine with an SSH server users may reach. */
  ssh?: string;
  /** Host blocks for `~/.ssh/config` (the proxy's first when the machine is reached through it). */
  sshConfig?: string;
  /** An `.rdp` file (CRLF lines; no password: the client asks for it). */
  rdpFile?: string;
  /** `ssh -N -L ...` that forwards a private desktop to localhost, for the `.rdp` file or a VNC viewer. */
  tunnel?: string;
  /** The browser URL of a VirtualLab's gateway. */
  url?: string;
  /** `docker exec -it ...` for a container. */
  dockerExec?: string;
  /** What the user should know (no public address, where to point a VNC viewer). */
  notes: string[];
}

const DEFAULT_ENGINE = "unix:///var/run/docker.sock";
/** Local ends of the tunnels: above 1024, and not 3389/5901 which a local desktop server may hold. */
export const TUNNEL_PORTS = { rdp: { local: 13389, remote: 3389 }, vnc: { local: 15901, remote: 5901 } } as const;

export const aliasOf = (session: string, machine: string) => `${session}-${machine}`;

export interface Route {
  host: string;
  /** Set when the machine is reached through the proxy. */
  via?: ConnectProxy;
}

/** Where a machine is reached: its own address, or a private one through the proxy. Throws when it has none yet, or when an address read from state is not an IP or a host name. */
export function routeOf(m: ConnectMachine): Route {
  if (m.publicAddress) return { host: hostAddress(m.publicAddress, `${m.session}/${m.machine}'s public address`) };
  if (!m.privateAddress) throw new Error(`${m.session}/${m.machine}: no address yet (is the machine running? run \`formations refresh ${m.session}\`)`);
  const host = hostAddress(m.privateAddress, `${m.session}/${m.machine}'s private address`);
  return m.proxy ? { host, via: { ...m.proxy, address: hostAddress(m.proxy.address, `${m.session}/${m.proxy.machine}'s address`) } } : { host };
}

function sshCommand(user: string, route: Route, key: string | undefined): string {
  const i = key ? ["-i", shellWord(key)] : [];
  const target = shellWord(`${user}@${route.host}`);
  if (!route.via) return ["ssh", ...i, target].join(" ");
  const jump = `${route.via.user}@${route.via.address}`;
  if (!key) return ["ssh", "-J", shellWord(jump), target].join(" ");
  const proxyCommand = ["ssh", "-i", shellWord(key), "-W", "%h:%p", shellWord(jump)].join(" ");
  return ["ssh", ...i, "-o", `ProxyCommand="${proxyCommand.replace(/["\\$`]/g, (c) => `\\${c}`)}"`, target].join(" ");
}

function hostBlock(alias: string, host: string, user: string, key: string | undefined, jump: string | undefined): string {
  return [
    `Host ${alias}`,
    `  HostName ${configValue(host)}`,
    `  User ${configValue(user)}`,
    // IdentitiesOnly: offer this key only, not every key of the agent (servers cut off after 6 tries).
    ...(key ? [`  IdentityFile ${configValue(key)}`, "  IdentitiesOnly yes"] : []),
    ...(jump ? [`  ProxyJump ${jump}`] : []),
    "  StrictHostKeyChecking accept-new",
    "",
  ].join("\n");
}

/** Host blocks for machines reached with SSH; the proxy's block comes first, once. */
export function sshConfigSnippet(machines: readonly ConnectMachine[], opts: ConnectOptions = {}): string {
  const blocks = new Map<string, string>();
  for (const m of machines) {
    if (!speaksSsh(m)) continue;
    const route = routeOf(m);
    if (route.via) {
      const alias = aliasOf(m.session, route.via.machine);
      if (!blocks.has(alias)) blocks.set(alias, hostBlock(alias, route.via.address, route.via.user, opts.keyPath, undefined));
    }
    blocks.set(
      aliasOf(m.session, m.machine),
      hostBlock(aliasOf(m.session, m.machine), route.host, m.user, opts.keyPath, route.via ? aliasOf(m.session, route.via.machine) : undefined),
    );
  }
  return [...blocks.values()].join("\n");
}

/** The machine is a container on a Docker engine (its cloud runs machines as containers): reached with `docker exec`. */
export function isContainer(m: ConnectMachine): boolean {
  return cloudOf(m.provider).planning.machines === "containers";
}

/** Whether users reach the machine with SSH (not a container, not Windows, not a desktop-only target). */
export function speaksSsh(m: ConnectMachine): boolean {
  if (isContainer(m) || m.os === "windows") return false;
  return !(m.kind === "VirtualLab" && m.role === "target" && m.protocol !== "ssh");
}

function rdpFile(address: string, user: string): string {
  const lines = [
    `full address:s:${rdpValue(address)}`,
    `username:s:${rdpValue(user)}`,
    "prompt for credentials:i:1",
    "authentication level:i:2",
    "screen mode id:i:2",
  ];
  return lines.map((l) => `${l}\r\n`).join("");
}

function dockerExec(m: ConnectMachine, host: string | undefined): string {
  const prefix = host && host !== DEFAULT_ENGINE ? `DOCKER_HOST=${shellWord(host)} ` : "";
  const container = m.container ?? m.machine;
  return `${prefix}docker exec -it ${shellWord(container)} ${shellWord(m.shell ?? "/bin/bash")}`;
}

/** The desktop of a Windows machine or a VirtualLab target: an .rdp file, or a tunnel through the proxy. */
function desktop(m: ConnectMachine, route: Route, key: string | undefined, out: ConnectionArtifacts): void {
  const protocol = m.protocol === "vnc" ? "vnc" : "rdp";
  if (route.via) {
    const t = TUNNEL_PORTS[protocol];
    const i = key ? ["-i", shellWord(key)] : [];
    // Quoted like every other word of a printed command (the address comes from the state).
    out.tunnel = ["ssh", ...i, "-N", "-L", shellWord(`${t.local}:${hostPort(route.host, t.remote)}`), shellWord(`${route.via.user}@${route.via.address}`)].join(
      " ",
    );
    if (protocol === "rdp") out.rdpFile = rdpFile(`localhost:${t.local}`, m.user);
    else out.notes.push(`with the tunnel open, point a VNC viewer at localhost:${t.local}`);
  } else if (protocol === "rdp") {
    out.rdpFile = rdpFile(hostPort(route.host, TUNNEL_PORTS.rdp.remote), m.user);
  } else {
    out.notes.push(`point a VNC viewer at ${hostPort(route.host, TUNNEL_PORTS.vnc.remote)}`);
  }
}

/** Every artifact that applies to one machine. */
export function connectionArtifacts(m: ConnectMachine, opts: ConnectOptions = {}): ConnectionArtifacts {
  const out: ConnectionArtifacts = { machine: m.machine, notes: [] };
  const key = opts.keyPath;
  if (m.kind === "VirtualLab") {
    const raw = m.role === "proxy" ? m.publicAddress : m.proxy?.address;
    const proxyAddress = raw === undefined ? undefined : hostAddress(raw, `${m.session}'s proxy address`);
    const url = m.gatewayUrl ?? (proxyAddress ? `https://${proxyAddress}/guacamole/` : undefined);
    if (url) out.url = url;
  }
  if (isContainer(m)) {
    out.dockerExec = dockerExec(m, m.dockerHost);
    return out;
  }
  const route = routeOf(m);
  if (!m.publicAddress && !route.via)
    out.notes.push(
      `${m.machine} has no public address (access.allowFrom is empty): ${route.host} is reachable from the session's network only (VPN, peering or a bastion)`,
    );
  if (speaksSsh(m)) {
    out.ssh = sshCommand(m.user, route, key);
    out.sshConfig = sshConfigSnippet([m], opts);
  } else {
    desktop(m, route, key, out);
  }
  if (m.kind === "Docker" && m.role === "host" && m.os === "linux") {
    // The workload container runs on this VM's engine: reach it over SSH (the docker CLI's ssh:// engine).
    out.dockerExec = dockerExec(m, `ssh://${m.user}@${route.host}`);
  }
  return out;
}
