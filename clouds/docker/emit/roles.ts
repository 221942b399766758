/**
 * What each container of a session runs: image, entrypoint, command, environment, uploaded
 * files, volumes, published ports and Linux capabilities, per role. Secrets (the munge key, the
 * gateway password) only ever enter as Pulumi secret Outputs; nothing here creates resources.
 */
import * as pulumi from "@pulumi/pulumi";
import { dockerLimits } from "../catalog.js";
import type { PlannedMachine, SessionPlan } from "../../../plan/types.js";
import type { Bootstrap } from "../../../components/adapter.js";
import { DEFAULT_IMAGES, imageFor, slotOf, type ImageSlot } from "./images.js";
import { publishedPorts, type PublishedPort } from "./ports.js";
import { MUNGE_KEY_UPLOAD, SLURM_CONF, SLURM_START, slurmConf, slurmDaemon, slurmStartScript } from "./slurm.js";
import { GATEWAY_USER, GUACAMOLE_HOME, GUACD_ALIAS, USER_MAPPING_TEMPLATE, desktopInit, gatewayStartScript, sparkProxyConf, userMapping } from "./gateway.js";

export interface Upload {
  file: string;
  content?: pulumi.Input<string>;
  contentBase64?: pulumi.Input<string>;
  executable?: boolean;
  permissions?: string;
}

export interface VolumeSpec {
  /** A Docker volume to mount (HPC shared storage: the session's volume name). */
  volumeName?: pulumi.Input<string>;
  /** A named volume of the Docker kind's formation, created with the session. */
  formationVolume?: string;
  hostPath?: string;
  containerPath: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  slot: ImageSlot | "container";
  image: string;
  entrypoint?: string[];
  command?: string[];
  env: pulumi.Input<string>[];
  uploads: Upload[];
  volumes: VolumeSpec[];
  ports: PublishedPort[];
  /** Capabilities added after dropping ALL of Docker's defaults. */
  caps: readonly string[];
  /** `no-new-privileges`: for services nobody logs into (setuid binaries gain nothing). */
  noNewPrivileges: boolean;
  cpus?: number;
  memoryMb?: number;
  /** The user the container runs as, when the role needs one the image may not default to. */
  user?: string;
}

/** What a root shell needs to install packages and manage files (apt and dpkg drop to _apt). */
const BASE_CAPS = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID"] as const;
/**
 * Capabilities per slot, after `drop: ALL` (Docker's default set also has NET_RAW, MKNOD,
 * AUDIT_WRITE, SETFCAP, SETPCAP, SYS_CHROOT, NET_BIND_SERVICE). Images that run as a non-root
 * user (Spark 185, Guacamole, guacd, the VNC desktop's user 1000) need none.
 */
export const CAPS: Readonly<Record<ImageSlot | "container", readonly string[]>> = {
  machine: BASE_CAPS,
  container: [...BASE_CAPS, "NET_BIND_SERVICE"],
  head: BASE_CAPS,
  compute: BASE_CAPS,
  master: [],
  worker: [],
  "spark-proxy": ["CHOWN", "DAC_OVERRIDE", "SETGID", "SETUID"],
  gateway: [],
  guacd: [],
  // sshd: privilege separation (SYS_CHROOT) and login records (AUDIT_WRITE).
  "desktop-ssh": [...BASE_CAPS, "SYS_CHROOT", "AUDIT_WRITE"],
  "desktop-rdp": [...BASE_CAPS, "SYS_CHROOT", "AUDIT_WRITE"],
  "desktop-vnc": [],
};
const SERVICE_SLOTS = new Set<string>(["master", "worker", "spark-proxy", "gateway", "guacd"]);

export const SPARK_MASTER_URL = "spark://master:7077";

/**
 * The machines a container waits for (created first, so the alias it uses resolves). Peers are
 * named by their network alias, not by the address in Bootstrap: an alias survives restarts.
 */
export function peersOf(plan: Pick<SessionPlan, "kind" | "machines">, m: Pick<PlannedMachine, "role">): string[] {
  const of = (role: string) => plan.machines.filter((p) => p.role === role).map((p) => p.name);
  if (m.role === "compute") return of("head");
  if (m.role === "worker") return of("master");
  if (m.role === "proxy") return plan.kind === "VirtualLab" ? of("target") : of("master");
  return [];
}

function limitsOf(plan: SessionPlan, m: PlannedMachine): { cpus?: number; memoryMb?: number } {
  const l = dockerLimits(m.instanceType);
  const c = plan.kind === "Docker" ? plan.container : undefined;
  const cpus = c?.cpus ?? l?.cpus;
  const memoryMb = c?.memoryMb ?? l?.memoryMb;
  return { ...(cpus !== undefined ? { cpus } : {}), ...(memoryMb !== undefined ? { memoryMb } : {}) };
}

function keepAlive(m: PlannedMachine): string[] {
  return m.image.os === "windows" ? ["ping", "-t", "localhost"] : ["sleep", "infinity"];
}

/** The container a planned machine becomes. */
export function containerSpec(plan: SessionPlan, m: PlannedMachine, boot: Bootstrap): ContainerSpec {
  const slot = plan.kind === "Docker" ? "container" : slotOf(plan, m);
  const limits = limitsOf(plan, m);
  const spec: ContainerSpec = {
    slot,
    image: imageFor(plan, m),
    env: [],
    uploads: [],
    volumes: [],
    ports: publishedPorts(plan, m),
    caps: CAPS[slot],
    noNewPrivileges: SERVICE_SLOTS.has(slot),
    ...limits,
  };
  const password = boot.secrets.gatewayPassword;
  switch (slot) {
    case "container": {
      const c = plan.container;
      if (!c) throw new Error("a Docker plan has a container");
      if (c.command.length > 0) spec.command = [...c.command];
      spec.env = Object.entries(c.env).map(([k, v]) => `${k}=${v}`);
      spec.volumes = c.volumes.map((v) => ({
        ...(v.name ? { formationVolume: v.name } : {}),
        ...(v.hostPath ? { hostPath: v.hostPath } : {}),
        containerPath: v.mountPath,
        readOnly: v.readOnly,
      }));
      break;
    }
    case "machine":
      spec.command = keepAlive(m);
      break;
    case "head":
    case "compute": {
      if (!boot.secrets.mungeKey) throw new Error("an HPC session has a munge key");
      spec.entrypoint = ["/bin/bash", SLURM_START];
      spec.command = [slurmDaemon(m)];
      spec.env = [`SLURM_CONF=${SLURM_CONF}`, "SLURM_HEAD=head"];
      spec.uploads = [
        { file: SLURM_CONF, content: slurmConf(plan) },
        { file: SLURM_START, content: slurmStartScript(), executable: true },
        // RandomBytes' base64 is the key; the engine writes the raw bytes. Secret in state.
        { file: MUNGE_KEY_UPLOAD, contentBase64: boot.secrets.mungeKey, permissions: "0400" },
      ];
      if (boot.storage) spec.volumes = [{ volumeName: boot.storage.source, containerPath: boot.storage.mountPath, readOnly: false }];
      break;
    }
    case "master":
      spec.command = ["/opt/spark/bin/spark-class", "org.apache.spark.deploy.master.Master", "--host", "master", "--port", "7077", "--webui-port", "8080"];
      spec.env = [`SPARK_MASTER_URL=${SPARK_MASTER_URL}`];
      break;
    case "worker": {
      const cores = String(Math.max(1, Math.floor(limits.cpus ?? 1)));
      const memory = `${Math.max(512, Math.floor((limits.memoryMb ?? 1024) * 0.8))}m`;
      spec.command = [
        "/opt/spark/bin/spark-class",
        "org.apache.spark.deploy.worker.Worker",
        SPARK_MASTER_URL,
        "--cores",
        cores,
        "--memory",
        memory,
        "--work-dir",
        "/opt/spark/work-dir",
      ];
      spec.env = [`SPARK_MASTER_URL=${SPARK_MASTER_URL}`];
      break;
    }
    case "spark-proxy":
      spec.env = [`SPARK_MASTER_URL=${SPARK_MASTER_URL}`];
      spec.uploads = [{ file: "/etc/nginx/conf.d/default.conf", content: sparkProxyConf() }];
      break;
    case "gateway": {
      if (!password) throw new Error("a VirtualLab session has a gateway password");
      spec.entrypoint = ["/bin/sh", "-c", gatewayStartScript()];
      spec.env = [
        `GUACD_HOSTNAME=${GUACD_ALIAS}`,
        "GUACD_PORT=4822",
        `GUACAMOLE_HOME=${GUACAMOLE_HOME}`,
        "TARGET_HOST=target",
        pulumi.interpolate`GATEWAY_PASSWORD=${password}`,
      ];
      spec.uploads = [{ file: USER_MAPPING_TEMPLATE, content: userMapping(plan.session, plan.gateway?.protocol ?? "ssh") }];
      break;
    }
    case "desktop-ssh":
      if (!password) throw new Error("a VirtualLab session has a gateway password");
      // sshd and xrdp log users in: root, which the linuxserver images default to anyway, and
      // which an image whose default user is an unprivileged desktop user needs said.
      spec.user = "root";
      spec.env = [
        `USER_NAME=${GATEWAY_USER}`,
        "PASSWORD_ACCESS=true",
        "SUDO_ACCESS=true",
        pulumi.interpolate`USER_PASSWORD=${password}`,
        ...(plan.sshPublicKeys.length > 0 ? [`PUBLIC_KEY=${plan.sshPublicKeys.join("\n")}`] : []),
      ];
      break;
    case "desktop-rdp":
      if (!password) throw new Error("a VirtualLab session has a gateway password");
      spec.user = "root";
      spec.env = [pulumi.interpolate`GATEWAY_PASSWORD=${password}`];
      spec.uploads = [{ file: "/custom-cont-init.d/10-formations-password", content: desktopInit(), executable: true }];
      break;
    case "desktop-vnc":
      if (!password) throw new Error("a VirtualLab session has a gateway password");
      spec.env = ["VNC_RESOLUTION=1600x900", pulumi.interpolate`VNC_PW=${password}`];
      break;
    case "guacd":
      break;
  }
  return spec;
}

/** The guacd sidecar of a VirtualLab gateway: a child of the proxy machine, no ports, no caps. */
export function guacdSpec(plan: SessionPlan, proxy: PlannedMachine): ContainerSpec {
  return {
    slot: "guacd",
    image: guacdImage(proxy),
    env: [],
    uploads: [],
    volumes: [],
    ports: [],
    caps: CAPS.guacd,
    noNewPrivileges: true,
    ...limitsOf(plan, proxy),
  };
}

/**
 * guacd follows the gateway: the default pair; the same tag of guacamole/guacd for an override
 * of guacamole/guacamole; any other override is an image that carries guacd too, as its
 * default command (scripts/images/guacamole is one), and runs as the sidecar unchanged.
 */
export function guacdImage(proxy: Pick<PlannedMachine, "image">): string {
  if (proxy.image.alias || !proxy.image.id) return DEFAULT_IMAGES.guacd;
  const official = /^guacamole\/guacamole:(.+)$/.exec(proxy.image.id);
  return official ? `guacamole/guacd:${official[1]}` : proxy.image.id;
}
