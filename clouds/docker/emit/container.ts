/**
 * One long-running container per planned machine (plus the gateway's guacd sidecar): on the
 * session network under its machine name, labelled so lifecycle actions find it, limited to its
 * size, with the capabilities its role needs and the desired power state kept by `up`.
 */
import * as pulumi from "@pulumi/pulumi";
import { Container, type ContainerArgs } from "@pulumi/docker/container.js";
import type { PlannedMachine, PowerState } from "../../../plan/types.js";
import type { EmitContext, MachineHandle } from "../../../components/adapter.js";
import { childOpts, labelList, remoteImage, type DockerNetwork } from "./network.js";
import type { ContainerSpec, VolumeSpec } from "./roles.js";
import { shellFor } from "./images.js";

/** The label lifecycle actions select a session's containers by (with formations-session). */
export const MACHINE_LABEL = "formations-machine";
/** Marks a helper container that belongs to a machine (guacd beside the gateway). */
export const SIDECAR_LABEL = "formations-sidecar";

/**
 * Desired power state → the provider's switches. `start` decides whether a new container is
 * started; `mustRun` whether `up` restarts one found stopped. @pulumi/docker 5 has no pause
 * switch: hibernated (= `docker pause`, done by the hibernate action) is kept as running, which
 * leaves a paused container alone because the engine still reports a paused container as running.
 */
export function powerSwitches(state: PowerState): { mustRun: boolean; start: boolean } {
  return state === "stopped" ? { mustRun: false, start: false } : { mustRun: true, start: true };
}

export interface ContainerOptions {
  /** Child name suffix and container name suffix (the machine's name, or `guacd`). */
  suffix: string;
  /** Network aliases (the machine's name, or `guacd`). */
  aliases: string[];
  /** Extra labels (the sidecar marker). */
  labels?: Record<string, string>;
  /** Named volumes of the Docker kind, by formation name. */
  volumes?: ReadonlyMap<string, pulumi.Output<string>>;
  dependsOn?: pulumi.Resource[];
}

function mountsOf(specs: readonly VolumeSpec[], named: ReadonlyMap<string, pulumi.Output<string>> | undefined): NonNullable<ContainerArgs["volumes"]> {
  return specs.map((v) => {
    const volumeName = v.formationVolume ? named?.get(v.formationVolume) : v.volumeName;
    if (v.formationVolume && !volumeName) throw new Error(`volume '${v.formationVolume}' was not created`);
    return { containerPath: v.containerPath, readOnly: v.readOnly, ...(v.hostPath ? { hostPath: v.hostPath } : { volumeName }) };
  });
}

/**
 * CPUs as the provider reads them back from Docker's NanoCPUs ("2.0", "0.5"): sent any other way
 * ("2"), every refresh shows a change, and `cpus` replaces the container.
 */
export function dockerCpus(cpus: number): string {
  return Number.isInteger(cpus) ? cpus.toFixed(1) : String(cpus);
}

export function createContainer(ctx: EmitContext, net: DockerNetwork, m: PlannedMachine, spec: ContainerSpec, o: ContainerOptions): Container {
  const name = ctx.name(o.suffix);
  const img = remoteImage(ctx, net, spec.image);
  const args: ContainerArgs = {
    name,
    hostname: o.aliases[0] ?? m.name,
    // The pulled image's id replaces the container when the tag moves; until the engine has
    // pulled it (preview, the offline mocks) the reference names the same image.
    image: img.imageId.apply((id) => id || spec.image),
    labels: labelList({ ...ctx.labels(m.role), [MACHINE_LABEL]: m.name, ...o.labels }),
    // The proxy publishes its port on the edge network, and reaches the machines it fronts on the session's.
    networksAdvanced: [
      { name: net.network.name, aliases: o.aliases },
      ...(net.edge && spec.ports.length > 0 ? [{ name: net.edge.name, aliases: o.aliases }] : []),
    ],
    restart: "unless-stopped",
    ...powerSwitches(m.desiredState),
    // As Docker reads them back (CAP_ prefixed): any other spelling is a diff at every refresh,
    // and capabilities replace the container.
    capabilities: { drops: ["ALL"], adds: spec.caps.map((c) => `CAP_${c}`) },
    ...(spec.noNewPrivileges ? { securityOpts: ["no-new-privileges:true"] } : {}),
    // tini reaps zombies and forwards SIGTERM for the keep-alive command (not for images with
    // their own init, s6-overlay refuses not to be PID 1).
    ...(spec.slot === "machine" ? { init: true } : {}),
    ...(spec.cpus !== undefined ? { cpus: dockerCpus(spec.cpus) } : {}),
    // No swap beyond the limit, as a VM of that size; left unset, Docker sets twice the memory,
    // which the next refresh reads back as a change.
    ...(spec.memoryMb !== undefined ? { memory: spec.memoryMb, memorySwap: spec.memoryMb } : {}),
    ...(m.gpus && o.suffix === m.name ? { deviceRequests: [{ driver: "nvidia", count: m.gpus.count, capabilities: ["gpu"] }] } : {}),
    ...(spec.user !== undefined ? { user: spec.user } : {}),
    ...(spec.entrypoint ? { entrypoints: spec.entrypoint } : {}),
    ...(spec.command ? { command: spec.command } : {}),
    ...(spec.env.length > 0 ? { envs: spec.env } : {}),
    ...(spec.uploads.length > 0 ? { uploads: spec.uploads } : {}),
    ...(spec.volumes.length > 0 ? { volumes: mountsOf(spec.volumes, o.volumes) } : {}),
    ...(spec.ports.length > 0
      ? {
          ports: spec.ports.map((p) => ({
            internal: p.internal,
            ...(p.external !== undefined ? { external: p.external } : {}),
            ip: p.ip,
            protocol: p.protocol,
          })),
        }
      : {}),
  };
  return new Container(name, args, childOpts(ctx, net, o.dependsOn ? { dependsOn: o.dependsOn } : {}));
}

/** The container's address on the session network ("" until the engine reports it). */
export function sessionIp(net: DockerNetwork, c: Container): pulumi.Output<string> {
  return pulumi.all([c.networkDatas, net.network.name]).apply(([datas, netName]) => (datas ?? []).find((d) => d.networkName === netName)?.ipAddress ?? "");
}

/** Where a proxy's published HTTP port is reached: the engine's host, on the port it picked. */
export function gatewayUrl(dockerHost: string | undefined, bindIp: string, c: Container, path: string): pulumi.Output<string> {
  // A remote engine bound to 0.0.0.0 is reached by its name; otherwise on the engine's loopback.
  const host = bindIp === "0.0.0.0" && dockerHost ? (hostOf(dockerHost) ?? "127.0.0.1") : "127.0.0.1";
  return c.ports.apply((ports) => {
    const external = ports?.[0]?.external;
    return external ? `http://${host}:${external}${path}` : `http://${host}:<port picked by the engine at up>${path}`;
  });
}

/** The host name of a Docker engine URL (tcp://h:2376, ssh://user@h); undefined for a socket. */
export function hostOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === "unix:" || u.protocol === "npipe:" ? undefined : u.hostname || undefined;
  } catch {
    return undefined;
  }
}

/** The shell `docker exec` opens: cmd on Windows images, sh on Alpine/BusyBox, else bash. */
export function shellOf(m: Pick<PlannedMachine, "image">, spec: Pick<ContainerSpec, "image">): string {
  return m.image.os === "windows" ? "cmd" : shellFor(spec.image);
}

export function machineHandle(net: DockerNetwork, c: Container, shell: string, connect?: pulumi.Output<string>): MachineHandle {
  return {
    cloudId: c.id,
    privateIp: sessionIp(net, c),
    user: "root",
    connect: connect ?? c.name.apply((n) => `${net.cli} exec -it ${n} ${shell}`),
  };
}
