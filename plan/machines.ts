/** Machines of a session, by kind: names, roles, tiers, sizes and images resolved per provider. */
import type { Formation, MachineBlock } from "../format/types.js";
import type { PlannedMachine, PowerState, Role } from "./types.js";
import type { Cloud } from "../clouds/cloud.js";
import { osOf, shapeOf, type HibernationSubject, type ImageAlias, type ProviderCatalog, type Size } from "./catalog.js";
import { inboundRules, connectPorts, isEntryPoint } from "./network.js";
import { machineHourlyUsd } from "./cost.js";
import { tierOf } from "./tiers.js";

const ALIASES = new Set<string>(["ubuntu-22.04", "ubuntu-24.04", "debian-12", "rocky-9", "windows-2022"]);

/** The smallest GPU instance of the catalog that has at least `count` GPUs of `type`. */
function gpuInstance(catalog: ProviderCatalog, type: string, count: number): string | undefined {
  const options = catalog.gpus[type] ?? {};
  for (const n of [1, 2, 4, 8] as const) if (n >= count && options[n]) return options[n];
  return undefined;
}

export function resolveInstanceType(catalog: ProviderCatalog, block: MachineBlock | undefined, notes: string[], who: string): string {
  if (block?.instanceType) return block.instanceType;
  const size = (block?.size ?? "small") as Size;
  if (block?.gpus) {
    const type = block.gpus.type ?? "nvidia-t4";
    const found = gpuInstance(catalog, type, block.gpus.count ?? 1);
    if (found) return found;
    notes.push(
      `${who}: ${catalog.provider} has no instance type with ${block.gpus.count ?? 1}x ${type} in the catalog; using size '${size}' without GPUs (set instanceType to choose one)`,
    );
  }
  return catalog.sizes[size];
}

export function resolveImage(catalog: ProviderCatalog, image: string | undefined): PlannedMachine["image"] {
  const name = image ?? "ubuntu-22.04";
  if (ALIASES.has(name)) return { alias: name, ...catalog.images[name as ImageAlias] };
  return { id: name, os: osOf(name.toLowerCase().includes("windows") ? "windows" : "linux") };
}

/** The machine a container service runs: its task size, shape and price are the service's. */
function runAsService(
  f: Formation,
  cloud: Cloud,
  m: PlannedMachine,
  service: { field: string; options: Readonly<Record<string, unknown>> },
  notes: string[],
): void {
  const container: { cpus?: number; memoryMb?: number } = f.kind === "Docker" ? f.spec.container : {};
  const p = cloud.containerService!.plan(
    service.options,
    { ...(container.cpus !== undefined ? { cpus: container.cpus } : {}), ...(container.memoryMb !== undefined ? { memoryMb: container.memoryMb } : {}) },
    { instanceType: m.instanceType, diskGb: m.diskGb },
  );
  m.service = service.field;
  m.instanceType = p.instanceType;
  m.vcpus = p.vcpus;
  m.memoryGb = p.memoryMb / 1024;
  m.diskGb = p.diskGb;
  m.hourlyUsd = p.hourlyUsd;
  // A task keeps no memory: it stops, it does not hibernate.
  m.hibernation = false;
  for (const n of p.notes) notes.push(n);
}

/** A machine's desired power state as the session keeps it: running unless recorded otherwise. */
export function desiredStateOf(desired: Readonly<Record<string, PowerState>>, machine: string): PowerState {
  return desired[machine] ?? "running";
}

interface Slot {
  name: string;
  role: Role;
  block: MachineBlock | undefined;
  /** Run by the cloud's container service (its spec key and the options given) instead of a VM. */
  service?: { field: string; options: Readonly<Record<string, unknown>> };
}

/** The container service a Docker formation asks for (`spec.ecs` where the cloud has ECS), with its options; undefined for a host VM. */
export function serviceOf(f: Formation, cloud: Pick<Cloud, "containerService">): { field: string; options: Readonly<Record<string, unknown>> } | undefined {
  const field = cloud.containerService?.field;
  if (f.kind !== "Docker" || !field) return undefined;
  const options = (f.spec as unknown as Record<string, unknown>)[field];
  return typeof options === "object" && options !== null ? { field, options: options as Record<string, unknown> } : undefined;
}

/** Names and roles per kind. Names are what users pass to `--machine`. */
export function slots(f: Formation, cloud: Pick<Cloud, "planning" | "containerService">): Slot[] {
  const many = (prefix: string, role: Role, count: number, block: MachineBlock | undefined): Slot[] =>
    Array.from({ length: count }, (_, i) => ({ name: `${prefix}-${i + 1}`, role, block }));
  switch (f.kind) {
    case "Machine":
      return [{ name: "machine", role: "machine", block: f.spec.machine as MachineBlock }];
    case "Docker": {
      // Where machines are containers the container is the machine; a container service runs it as a
      // service (on its own capacity, or on the `host` block's instances); elsewhere a VM hosts it.
      const block = (f.spec.host ?? {}) as MachineBlock;
      const service = serviceOf(f, cloud);
      if (service) return [{ name: "service", role: "host", block, service }];
      return [cloud.planning.machines === "containers" ? { name: "container", role: "machine", block } : { name: "host", role: "host", block }];
    }
    case "Pool":
      return many("machine", "member", f.spec.count, f.spec.machine as MachineBlock);
    case "VirtualLab":
      return [
        { name: "proxy", role: "proxy", block: f.spec.proxy?.machine as MachineBlock | undefined },
        { name: "target", role: "target", block: f.spec.target.machine as MachineBlock },
      ];
    case "EMRCluster":
      return [
        { name: "proxy", role: "proxy", block: f.spec.proxy?.machine as MachineBlock | undefined },
        { name: "master", role: "master", block: f.spec.master.machine as MachineBlock },
        ...many("worker", "worker", f.spec.workers.count, f.spec.workers.machine as MachineBlock),
      ];
    case "HPCCluster":
      return [
        { name: "head", role: "head", block: f.spec.headNode.machine as MachineBlock },
        ...many("compute", "compute", f.spec.computeNodes.count, f.spec.computeNodes.machine as MachineBlock),
      ];
  }
}

/** The rule that keeps hibernation off at launch: Windows (formations enables it on Linux only), then the cloud's own. */
export function hibernationRefusedBy(catalog: ProviderCatalog, m: HibernationSubject, os: "linux" | "windows"): string | undefined {
  if (os === "windows") return "its image is Windows";
  return catalog.hibernationRule?.(m);
}

/**
 * The slots left once machines deleted on purpose are taken out: their names are never reused,
 * so a Pool of 3 without machine-2 is machine-1 and machine-3 (raising the count adds machine-4).
 * A deleted name the formation no longer has (the count went below it) changes nothing.
 */
export function liveSlots(f: Formation, cloud: Pick<Cloud, "planning">, deleted: readonly string[], notes: string[]): Slot[] {
  const all = slots(f, cloud);
  if (!deleted.length) return all;
  const gone = all.filter((s) => deleted.includes(s.name)).map((s) => s.name);
  if (gone.length)
    notes.push(
      `deleted with 'formations delete --machine' (names not reused): ${gone.join(", ")}; ${all.length - gone.length} of the formation's ${all.length} machines remain`,
    );
  return all.filter((s) => !deleted.includes(s.name));
}

export function planMachines(
  f: Formation,
  cloud: Cloud,
  desired: Readonly<Record<string, PowerState>>,
  notes: string[],
  removed: readonly string[] = [],
  deleted: readonly string[] = [],
): PlannedMachine[] {
  // The formation's own prices where its cloud takes them (docker's cloud.pricing).
  const catalog = f.cloud.pricing && cloud.pricedBy ? cloud.pricedBy(f.cloud.pricing) : cloud.catalog;
  const allowFrom = f.access?.allowFrom ?? [];
  // Instance types are resolved once per distinct block: a 1,000-node pool shares one answer.
  const typeCache = new Map<MachineBlock | undefined, string>();
  return liveSlots(f, cloud, deleted, notes).map((s) => {
    if (!typeCache.has(s.block)) typeCache.set(s.block, resolveInstanceType(catalog, s.block, notes, s.name.replace(/-\d+$/, "")));
    const instanceType = typeCache.get(s.block)!;
    const image = resolveImage(catalog, s.block?.image);
    const spot = s.block?.spot ?? false;
    const diskGb = s.block?.diskGb ?? 30;
    const shape = shapeOf(catalog, instanceType);
    const hibernationRule = catalog.hibernation
      ? hibernationRefusedBy(catalog, { instanceType, diskGb, spot, gpus: Boolean(s.block?.gpus), ...(shape ? { memoryGb: shape.memoryGb } : {}) }, image.os)
      : undefined;
    const hibernation = catalog.hibernation && !hibernationRule;
    const m: PlannedMachine = {
      name: s.name,
      role: s.role,
      tier: tierOf(s.role),
      instanceType,
      ...(shape ? { vcpus: shape.vcpus, memoryGb: shape.memoryGb } : {}),
      ...(s.block?.size || !s.block?.instanceType ? { size: s.block?.size ?? "small" } : {}),
      image,
      diskGb,
      spot,
      ...(s.block?.gpus ? { gpus: { count: s.block.gpus.count ?? 1, type: s.block.gpus.type ?? "nvidia-t4" } } : {}),
      public: allowFrom.length > 0 && isEntryPoint(f.kind, s.role),
      inbound: [],
      hibernation,
      ...(hibernationRule ? { hibernationRule } : {}),
      desiredState: desiredStateOf(desired, s.name),
      ...(removed.includes(s.name) ? { removed: true as const } : {}),
      connect: [],
      hourlyUsd: machineHourlyUsd(catalog, instanceType, diskGb, spot, image.os),
    };
    if (s.service) runAsService(f, cloud, m, s.service, notes);
    m.inbound = inboundRules(f, m);
    m.connect = connectPorts(f, m);
    return m;
  });
}
