/**
 * ECS for the Docker kind (`spec.ecs`): plain data and pure functions the descriptor gives the
 * planner and the validator (clouds/cloud.ts `containerService`). FARGATE runs the container as a
 * task of its own size, billed per vCPU-hour and GB-hour; EC2 runs it on one container instance
 * of the `host` block's type, in an Auto Scaling group the service's capacity provider scales in
 * to none when the service is scaled to 0. Either way stop and start scale the service.
 */
import type { ContainerService } from "../cloud.js";
import { machineHourlyUsd } from "../../plan/cost.js";
import { aws as catalog, fargate } from "./catalog.js";

export type LaunchType = "FARGATE" | "EC2";

/** Fargate's task sizes: CPU units and the memory (MB) each allows. */
const FARGATE_SIZES: readonly { cpu: number; memory: readonly number[] }[] = [
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: range(1024, 4096, 1024) },
  { cpu: 1024, memory: range(2048, 8192, 1024) },
  { cpu: 2048, memory: range(4096, 16384, 1024) },
  { cpu: 4096, memory: range(8192, 30720, 1024) },
  { cpu: 8192, memory: range(16384, 61440, 4096) },
  { cpu: 16384, memory: range(32768, 122880, 8192) },
];

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** The smallest Fargate size that holds the container (default 1 vCPU and 2 GB); undefined above 16 vCPU / 120 GB. */
export function fargateSize(cpus?: number, memoryMb?: number): { cpu: number; memoryMb: number } | undefined {
  const wantCpu = Math.ceil((cpus ?? (memoryMb === undefined ? 1 : 0.25)) * 1024);
  for (const size of FARGATE_SIZES) {
    if (size.cpu < wantCpu) continue;
    const memory = size.memory.find((m) => m >= (memoryMb ?? (cpus === undefined ? 2048 : 0)));
    if (memory !== undefined) return { cpu: size.cpu, memoryMb: memory };
  }
  return undefined;
}

/** USD per hour of a Fargate task of this size. */
export function fargateHourlyUsd(cpu: number, memoryMb: number): number {
  return Math.round(((cpu / 1024) * fargate.vcpuHourUsd + (memoryMb / 1024) * fargate.gbHourUsd) * 1e6) / 1e6;
}

const gb = (mb: number) => `${mb / 1024}`.replace(/\.0+$/, "");
const launchTypeOf = (options: Readonly<Record<string, unknown>>): LaunchType => (options.launchType === "EC2" ? "EC2" : "FARGATE");

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export const ecs: ContainerService = {
  field: "ecs",
  refusal(options, spec) {
    if (launchTypeOf(options) !== "FARGATE") return undefined;
    if ("host" in spec) {
      return {
        pointer: "/spec/host",
        atKey: true,
        message: "'spec.host' is not used with ecs.launchType FARGATE: Fargate runs the task on capacity of its own, sized by container.cpus and memoryMb",
        hint: "remove 'host', or use launchType EC2 to run the task on an instance of that type",
      };
    }
    const container = isObj(spec.container) ? spec.container : {};
    const ports = Array.isArray(container.ports) ? container.ports : [];
    for (const [i, p] of ports.entries()) {
      if (isObj(p) && typeof p.host === "number" && p.host !== p.container) {
        return {
          pointer: `/spec/container/ports/${i}/host`,
          message: `Fargate tasks publish a container port on the same port (awsvpc networking): host ${p.host} cannot map to container ${String(p.container)}`,
          hint: `remove 'host' or set it to ${String(p.container)}; or use launchType EC2`,
        };
      }
    }
    const volumes = Array.isArray(container.volumes) ? container.volumes : [];
    for (const [i, v] of volumes.entries()) {
      if (isObj(v) && "hostPath" in v)
        return {
          pointer: `/spec/container/volumes/${i}/hostPath`,
          atKey: true,
          message: "a Fargate task has no host to bind-mount a path from",
          hint: "use a named volume (the task's own storage), or launchType EC2",
        };
    }
    const cpus = typeof container.cpus === "number" ? container.cpus : undefined;
    const memoryMb = typeof container.memoryMb === "number" ? container.memoryMb : undefined;
    if (!fargateSize(cpus, memoryMb)) {
      return {
        pointer: "/spec/container",
        message: `no Fargate task size holds ${cpus ?? "?"} vCPUs and ${memoryMb ?? "?"} MB: the largest is 16 vCPUs and 120 GB`,
        hint: "ask for less, or use launchType EC2 with a larger host instance type",
      };
    }
    return undefined;
  },
  plan(options, container, host) {
    if (launchTypeOf(options) === "FARGATE") {
      // The validator refused sizes Fargate lacks; the largest stands in if a plan is made anyway.
      const size = fargateSize(container.cpus, container.memoryMb) ?? { cpu: 16384, memoryMb: 122880 };
      const hourlyUsd = fargateHourlyUsd(size.cpu, size.memoryMb);
      const label = `${size.cpu / 1024} vCPU / ${gb(size.memoryMb)} GB`;
      return {
        instanceType: `fargate-${size.cpu / 1024}vcpu-${gb(size.memoryMb)}gb`,
        vcpus: size.cpu / 1024,
        memoryMb: size.memoryMb,
        diskGb: 0,
        hourlyUsd,
        notes: [
          `service: the container runs on ECS Fargate as a ${label} task (container.cpus and memoryMb rounded up to a Fargate size), $${hourlyUsd.toFixed(4)}/h while running (${fargate.source}); stop scales the service to 0 and nothing is billed until start scales it back to 1`,
          `service: a Fargate task's ${fargate.includedStorageGb} GB of storage and its named volumes are the task's own: they do not survive a stop, and snapshot is refused (a Fargate task has no host to commit it on: build and push a new image tag instead)`,
          "service: a task gets a new address at every start (no fixed address, no ssh): publish its ports and read the address from the ECS console or `aws ecs describe-tasks`",
        ],
      };
    }
    const shape = catalog.instances[host.instanceType];
    const memoryMb = container.memoryMb ?? Math.floor((shape?.memoryGb ?? 4) * 1024 * 0.9);
    return {
      instanceType: host.instanceType,
      vcpus: container.cpus ?? shape?.vcpus ?? 2,
      memoryMb,
      diskGb: host.diskGb,
      hourlyUsd: machineHourlyUsd(catalog, host.instanceType, host.diskGb, false, "linux"),
      notes: [
        `service: the container runs on ECS, on one ${host.instanceType} container instance (an Auto Scaling group of at most one, ECS-optimized Amazon Linux 2023); stop scales the service to 0 and the capacity provider then scales the instance in (the estimate's disk is then no longer billed either)`,
        "service: snapshot is refused on ECS (an ECS task is not committed to an image: build and push a new image tag instead)",
      ],
    };
  },
};
