/** Hourly estimates from the provider's catalog. */
import type { ProviderCatalog } from "./catalog.js";
import { HOURS_PER_MONTH } from "./catalog.js";
import type { CostEstimate, CostLine, Os, PlannedMachine, PlannedStorage } from "./types.js";

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** Compute price per hour of an instance type, on demand or spot. */
export function computeHourlyUsd(catalog: ProviderCatalog, instanceType: string, spot: boolean, os: Os): number {
  const price = catalog.instances[instanceType];
  const base = price?.usd ?? catalog.priceOf?.(instanceType) ?? catalog.unknownInstanceUsd;
  const licence = os === "windows" ? (price?.windowsUsd ?? 0) : 0;
  return (spot ? base * catalog.spotFactor : base) + licence;
}

export function diskHourlyUsd(catalog: ProviderCatalog, diskGb: number): number {
  return (diskGb * catalog.diskGbMonthUsd) / HOURS_PER_MONTH;
}

export function machineHourlyUsd(catalog: ProviderCatalog, instanceType: string, diskGb: number, spot: boolean, os: Os): number {
  return round(computeHourlyUsd(catalog, instanceType, spot, os) + diskHourlyUsd(catalog, diskGb));
}

/**
 * One line per distinct (instance type, role, spot, disk), plus storage, managed surcharges and,
 * with `privateEgress` (a session network of ours with machines lacking a public address), the
 * provider's egress gateway.
 */
export function estimate(
  catalog: ProviderCatalog,
  machines: readonly PlannedMachine[],
  storage: PlannedStorage | undefined,
  managedNodes: number,
  privateEgress = false,
): CostEstimate {
  const groups = new Map<string, CostLine>();
  for (const m of machines) {
    if (m.removed) continue;
    const role = m.role.replace(/^member$/, "machine");
    const item = `${m.instanceType} (${role}${m.spot ? ", spot" : ""}, ${m.diskGb} GB disk)`;
    const line = groups.get(item) ?? { item, count: 0, hourlyUsd: 0 };
    line.count += 1;
    line.hourlyUsd = round(line.hourlyUsd + m.hourlyUsd);
    groups.set(item, line);
  }
  const lines = [...groups.values()];
  if (storage?.kind === "managed" && catalog.sharedStorageGbMonthUsd > 0) {
    const billed = Math.max(storage.sizeGb, catalog.sharedStorageMinGb ?? 0);
    lines.push({ item: `shared storage (${billed} GB)`, count: 1, hourlyUsd: round((billed * catalog.sharedStorageGbMonthUsd) / HOURS_PER_MONTH) });
  }
  if (managedNodes > 0 && catalog.bigDataNodeUsd > 0) {
    lines.push({ item: "managed big-data service surcharge", count: managedNodes, hourlyUsd: round(managedNodes * catalog.bigDataNodeUsd) });
  }
  if (privateEgress && catalog.privateEgressUsd)
    lines.push({ item: "NAT gateway (egress of machines without a public address)", count: 1, hourlyUsd: catalog.privateEgressUsd });
  return { hourlyUsd: round(lines.reduce((s, l) => s + l.hourlyUsd, 0)), lines, source: catalog.source };
}
