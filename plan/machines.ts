/** Machines of a session, by kind: names, roles, tiers, sizes and images resolved per provider. */
import type { Formation, MachineBlock } from "../format/types.js";
import type { PlannedMachine, PowerState, Role } from "./types.js";
import type { Cloud } from "../clouds/cloud.js";
import { osOf, type ImageAlias, type ProviderCatalog, type Size } from "./catalog.js";
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
    notes.push(`${who}: ${catalog.provider} has no instance type with ${block.gpus.count ?? 1}x ${type} in the catalog; using size '${size}' without GPUs (set instanceType to choose one)`);
  }
  return catalog.sizes[size];
}

export function resolveImage(catalog: ProviderCatalog, image: string | undefined): PlannedMachine["image"] {
  const name = image ?? "ubuntu-22.04";
  if (ALIASES.has(name)) return { alias: name, ...catalog.images[name as ImageAlias] };
  return { id: name, os: osOf(name.toLowerCase().includes("windows") ? "windows" : "linux") };
}

/** A machine's desired power state as the session keeps it: running unless recorded otherwise. */
export function desiredStateOf(desired: Readonly<Record<string, PowerState>>, machine: string): PowerState {
  return desired[machine] ?? "running";
}

interface Slot {
  name: string;
  role: Role;
  block: MachineBlock | undefined;
}

/** Names and roles per kind. Names are what users pass to `--machine`. */
export function slots(f: Formation, cloud: Pick<Cloud, "planning">): Slot[] {
  const many = (prefix: string, role: Role, count: number, block: MachineBlock | undefined): Slot[] =>
    Array.from({ length: count }, (_, i) => ({ name: `${prefix}-${i + 1}`, role, block }));
  switch (f.kind) {
    case "Machine":
      return [{ name: "machine", role: "machine", block: f.spec.machine as MachineBlock }];
    case "Docker":
      // Where machines are containers the container is the machine; elsewhere a VM hosts it.
      return [cloud.planning.machines === "containers" ? { name: "container", role: "machine", block: (f.spec.host ?? {}) as MachineBlock } : { name: "host", role: "host", block: (f.spec.host ?? {}) as MachineBlock }];
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

/**
 * The slots left once machines deleted on purpose are taken out: their names are never reused,
 * so a Pool of 3 without machine-2 is machine-1 and machine-3 (raising the count adds machine-4).
 * A deleted name the formation no longer has (the count went below it) changes nothing.
 */
export function liveSlots(f: Formation, cloud: Pick<Cloud, "planning">, deleted: readonly string[], notes: string[]): Slot[] {
  const all = slots(f, cloud);
  if (!deleted.length) return all;
  const gone = all.filter((s) => deleted.includes(s.name)).map((s) => s.name);
  if (gone.length) notes.push(`deleted with 'formations delete --machine' (names not reused): ${gone.join(", ")}; ${all.length - gone.length} of the formation's ${all.length} machines remain`);
  return all.filter((s) => !deleted.includes(s.name));
}

export function planMachines(f: Formation, cloud: Cloud, desired: Readonly<Record<string, PowerState>>, notes: string[], removed: readonly string[] = [], deleted: readonly string[] = []): PlannedMachine[] {
  const catalog = cloud.catalog;
  const allowFrom = f.access?.allowFrom ?? [];
  // Instance types are resolved once per distinct block: a 1,000-node pool shares one answer.
  const typeCache = new Map<MachineBlock | undefined, string>();
  return liveSlots(f, cloud, deleted, notes).map((s) => {
    if (!typeCache.has(s.block)) typeCache.set(s.block, resolveInstanceType(catalog, s.block, notes, s.name.replace(/-\d+$/, "")));
    const instanceType = typeCache.get(s.block)!;
    const image = resolveImage(catalog, s.block?.image);
    const spot = s.block?.spot ?? false;
    const hibernation = catalog.hibernation && (catalog.instances[instanceType]?.hibernate ?? false) && image.os === "linux";
    const diskGb = s.block?.diskGb ?? 30;
    const shape = catalog.instances[instanceType];
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
      desiredState: desiredStateOf(desired, s.name),
      ...(removed.includes(s.name) ? { removed: true as const } : {}),
      connect: [],
      hourlyUsd: machineHourlyUsd(catalog, instanceType, diskGb, spot, image.os),
    };
    m.inbound = inboundRules(f, m);
    m.connect = connectPorts(f, m);
    return m;
  });
}
