/**
 * One session per provider and kind, as `connect` would see it after `up`: addresses from the
 * documentation ranges, the adapters' login users, and a key path per provider (none, a plain
 * one, one with a space). Their expected artifacts are under test/fixtures/connect/<case>/.
 */
import type { ConnectMachine, ConnectOptions } from "../../connect/artifacts.js";
import type { Kind, Provider } from "../../format/types.js";

export interface ConnectCase {
  name: string;
  machines: ConnectMachine[];
  options: ConnectOptions;
}

/** ovh's machines are OpenStack servers made by clouds/openstack's adapter: their artifacts are openstack's, not repeated. */
type Covered = Exclude<Provider, "ovh">;

const KEYS: Record<Covered, ConnectOptions> = {
  aws: { keyPath: "~/.ssh/formations_ed25519" },
  azure: {},
  gcp: { keyPath: "~/.ssh/google_compute_engine" },
  openstack: { keyPath: "/home/alice/lab keys/id_ed25519" },
  docker: {},
};

const USER: Record<Exclude<Covered, "docker">, string> = { aws: "ubuntu", azure: "azureuser", gcp: "formations", openstack: "ubuntu" };
const NET: Record<Exclude<Covered, "docker">, number> = { aws: 10, azure: 20, gcp: 30, openstack: 40 };

type Cloud = Exclude<Covered, "docker">;

function cloudCase(provider: Cloud, kind: Kind): ConnectCase {
  const session = `${provider}-${kind.toLowerCase()}`;
  const user = USER[provider];
  const pub = (n: number) => `203.0.113.${NET[provider] + n}`;
  const priv = (n: number) => `10.${NET[provider]}.1.${n}`;
  const base = { session, provider, kind, os: "linux" as const, user };
  const proxy = { machine: "proxy", address: pub(1), user };
  const machines: ConnectMachine[] = [];
  switch (kind) {
    case "Machine":
      // OpenStack without access.allowFrom: no public address at all.
      machines.push(
        provider === "openstack"
          ? { ...base, machine: "machine", role: "machine", privateAddress: priv(5) }
          : { ...base, machine: "machine", role: "machine", publicAddress: pub(5), privateAddress: priv(5) },
      );
      break;
    case "Docker":
      machines.push({ ...base, machine: "host", role: "host", publicAddress: pub(5), privateAddress: priv(5), container: `${session}-web` });
      break;
    case "Pool":
      machines.push({ ...base, machine: "machine-1", role: "member", publicAddress: pub(5), privateAddress: priv(5) });
      machines.push({ ...base, machine: "machine-2", role: "member", publicAddress: pub(6), privateAddress: priv(6) });
      break;
    case "VirtualLab": {
      machines.push({ ...base, machine: "proxy", role: "proxy", publicAddress: pub(1), privateAddress: priv(4) });
      const target = {
        aws: { os: "windows", protocol: "rdp", user: "Administrator" },
        azure: { os: "linux", protocol: "rdp" },
        gcp: { os: "linux", protocol: "vnc" },
        openstack: { os: "linux", protocol: "ssh" },
      } as const;
      machines.push({ ...base, ...target[provider], machine: "target", role: "target", privateAddress: priv(5), proxy });
      break;
    }
    case "EMRCluster": {
      // EMR's own nodes log in as hadoop; elsewhere Spark runs on our machines.
      const node = provider === "aws" ? { ...base, user: "hadoop" } : base;
      machines.push({ ...base, machine: "proxy", role: "proxy", publicAddress: pub(1), privateAddress: priv(4) });
      machines.push({ ...node, machine: "master", role: "master", privateAddress: priv(10), proxy });
      machines.push({ ...node, machine: "worker-1", role: "worker", privateAddress: priv(11), proxy });
      machines.push({ ...node, machine: "worker-2", role: "worker", privateAddress: priv(12), proxy });
      break;
    }
    case "HPCCluster": {
      const head = { machine: "head", address: pub(2), user };
      machines.push({ ...base, machine: "head", role: "head", publicAddress: pub(2), privateAddress: priv(4) });
      machines.push({ ...base, machine: "compute-1", role: "compute", privateAddress: priv(21), proxy: head });
      machines.push({ ...base, machine: "compute-2", role: "compute", privateAddress: priv(22), proxy: head });
      break;
    }
  }
  return { name: session, machines, options: KEYS[provider] };
}

function dockerCase(kind: Kind): ConnectCase {
  const session = `docker-${kind.toLowerCase()}`;
  const base = { session, provider: "docker" as const, kind, os: "linux" as const, user: "root" };
  const c = (machine: string, role: ConnectMachine["role"], extra: Partial<ConnectMachine> = {}): ConnectMachine => ({
    ...base,
    machine,
    role,
    container: `${session}-${machine}`,
    privateAddress: "172.18.0.2",
    ...extra,
  });
  const machines: ConnectMachine[] = [];
  switch (kind) {
    case "Machine": // the local default engine: no DOCKER_HOST
      machines.push(c("container", "machine"));
      break;
    case "Docker": // a remote engine over TLS
      machines.push(c("container", "machine", { dockerHost: "tcp://docker.lab.example:2376", shell: "/bin/sh" }));
      break;
    case "Pool": // a remote engine over SSH
      machines.push(
        c("machine-1", "member", { dockerHost: "ssh://alice@build.example" }),
        c("machine-2", "member", { dockerHost: "ssh://alice@build.example" }),
      );
      break;
    case "VirtualLab": {
      const gatewayUrl = "http://127.0.0.1:49153/guacamole/";
      machines.push(c("proxy", "proxy", { gatewayUrl }), c("target", "target", { gatewayUrl, protocol: "rdp" }));
      break;
    }
    case "EMRCluster":
      machines.push(c("proxy", "proxy"), c("master", "master"), c("worker-1", "worker"));
      break;
    case "HPCCluster": // the default socket named explicitly: still no DOCKER_HOST
      machines.push(c("head", "head", { dockerHost: "unix:///var/run/docker.sock" }), c("compute-1", "compute", { dockerHost: "unix:///var/run/docker.sock" }));
      break;
  }
  return { name: session, machines, options: KEYS.docker };
}

const KINDS: Kind[] = ["Machine", "Docker", "Pool", "VirtualLab", "EMRCluster", "HPCCluster"];

export const CASES: ConnectCase[] = [
  ...(["aws", "azure", "gcp", "openstack"] as const).flatMap((p) => KINDS.map((k) => cloudCase(p, k))),
  // A Windows machine reached directly, on its public address.
  {
    name: "aws-machine-windows",
    machines: [
      {
        session: "aws-machine-windows",
        machine: "machine",
        provider: "aws",
        kind: "Machine",
        role: "machine",
        os: "windows",
        user: "Administrator",
        publicAddress: "203.0.113.99",
        privateAddress: "10.10.1.99",
      },
    ],
    options: KEYS.aws,
  },
  ...KINDS.map(dockerCase),
];
