/** The price a machine is charged at, captured when it is launched (pure; from plan/catalog). */
import type { ProviderCatalog } from "../plan/catalog.js";
import { computeHourlyUsd, diskHourlyUsd } from "../plan/cost.js";
import type { PlannedMachine } from "../plan/types.js";
import type { LaunchPrice } from "./events.js";

/** What the launch knows beyond the plan: a spot price read from the cloud, an address price. */
export interface LaunchObservations {
  /**
   * The spot price the cloud quoted at launch, USD per hour (compute only). Preferred over the
   * catalog's long-run spot factor for a spot machine; ignored for an on-demand one.
   */
  spotUsdPerHour?: number;
  /** Where `spotUsdPerHour` was read (default: "spot price at launch"). */
  spotSource?: string;
  /** A public address billed per hour while the machine exists (AWS bills public IPv4 at 0.005). */
  addressUsdPerHour?: number;
}

/**
 * The launch price of a planned machine: compute from the catalog's on-demand price (plus the
 * Windows licence where billed), times the catalog's spot factor for spot machines unless the real
 * spot price is given, plus the managed big-data service's per-node fee for its nodes; disk from
 * the catalog's GB-month price over 730 hours.
 */
export function priceAtLaunch(
  catalog: ProviderCatalog,
  machine: Pick<PlannedMachine, "instanceType" | "diskGb" | "spot" | "image"> & Partial<Pick<PlannedMachine, "managedBy" | "service" | "hourlyUsd">>,
  seen: LaunchObservations = {},
): LaunchPrice {
  // A container service's task is priced by its size (vCPUs and memory), as planned: no instance type to look up.
  if (machine.service && machine.hourlyUsd !== undefined) {
    const diskUsdPerHour = diskHourlyUsd(catalog, machine.diskGb);
    return {
      computeUsdPerHour: Math.max(0, machine.hourlyUsd - diskUsdPerHour),
      diskUsdPerHour,
      source: `${catalog.source}; ${machine.instanceType} priced by its size as planned (${machine.service})`,
      spot: machine.spot,
    };
  }
  // A catalog that lists no instance at all prices every type the same (Docker: nothing to pay).
  const known = catalog.instances[machine.instanceType] !== undefined || Object.keys(catalog.instances).length === 0;
  let computeUsdPerHour = computeHourlyUsd(catalog, machine.instanceType, machine.spot, machine.image.os);
  let source = known
    ? catalog.source
    : `${catalog.source}; ${machine.instanceType} not in the catalog, priced at its default ${catalog.unknownInstanceUsd} USD/h`;
  if (machine.spot && seen.spotUsdPerHour !== undefined) {
    // The licence is billed on top of the spot price, as computeHourlyUsd does with the factor.
    const licence = machine.image.os === "windows" ? (catalog.instances[machine.instanceType]?.windowsUsd ?? 0) : 0;
    computeUsdPerHour = seen.spotUsdPerHour + licence;
    source = `${seen.spotSource ?? "spot price at launch"}; disk: ${catalog.source}`;
  } else if (machine.spot && catalog.spotFactor !== 1) {
    source = `${source}; spot estimated at ${catalog.spotFactor} x on-demand (long-run average)`;
  }
  if (machine.managedBy === "bigdata" && catalog.bigDataNodeUsd > 0) {
    // The managed service (EMR, Dataproc, HDInsight) bills its fee per node-hour on top of the instance.
    computeUsdPerHour += catalog.bigDataNodeUsd;
    source = `${source}; + ${catalog.bigDataNodeUsd} USD/h managed big-data service fee`;
  }
  return {
    computeUsdPerHour,
    diskUsdPerHour: diskHourlyUsd(catalog, machine.diskGb),
    ...(seen.addressUsdPerHour !== undefined ? { addressUsdPerHour: seen.addressUsdPerHour } : {}),
    source,
    spot: machine.spot,
  };
}
