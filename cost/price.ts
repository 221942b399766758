/** The price a machine is charged at, captured when it is launched (pure; from plan/catalog). */
import type { ProviderCatalog } from "../plan/catalog/types.js";
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
 * spot price is given; disk from the catalog's GB-month price over 730 hours.
 */
export function priceAtLaunch(catalog: ProviderCatalog, machine: Pick<PlannedMachine, "instanceType" | "diskGb" | "spot" | "image">, seen: LaunchObservations = {}): LaunchPrice {
  // A catalog that lists no instance at all prices every type the same (Docker: nothing to pay).
  const known = catalog.instances[machine.instanceType] !== undefined || Object.keys(catalog.instances).length === 0;
  let computeUsdPerHour = computeHourlyUsd(catalog, machine.instanceType, machine.spot, machine.image.os);
  let source = known ? catalog.source : `${catalog.source}; ${machine.instanceType} not in the catalog, priced at its default ${catalog.unknownInstanceUsd} USD/h`;
  if (machine.spot && seen.spotUsdPerHour !== undefined) {
    // The licence is billed on top of the spot price, as computeHourlyUsd does with the factor.
    const licence = machine.image.os === "windows" ? (catalog.instances[machine.instanceType]?.windowsUsd ?? 0) : 0;
    computeUsdPerHour = seen.spotUsdPerHour + licence;
    source = `${seen.spotSource ?? "spot price at launch"}; disk: ${catalog.source}`;
  } else if (machine.spot && catalog.spotFactor !== 1) {
    source = `${source}; spot estimated at ${catalog.spotFactor} x on-demand (long-run average)`;
  }
  return {
    computeUsdPerHour,
    diskUsdPerHour: diskHourlyUsd(catalog, machine.diskGb),
    ...(seen.addressUsdPerHour !== undefined ? { addressUsdPerHour: seen.addressUsdPerHour } : {}),
    source,
    spot: machine.spot,
  };
}

/**
 * Launch prices as an `up` records them in the session's journal: one group per distinct price,
 * with the shape it was captured for, so a later `up` can tell a reshaped machine (new instance
 * type, disk, spot or OS: a new price from then on) from a catalog update (which never re-prices
 * the past or the present: a machine keeps the price it was launched at).
 */
export interface CapturedPrice extends LaunchPrice {
  machines: string[];
  instanceType: string;
  diskGb: number;
  os: "linux" | "windows";
}

type Shaped = Pick<PlannedMachine, "name" | "instanceType" | "diskGb" | "spot" | "image">;
type Shape = Pick<CapturedPrice, "instanceType" | "diskGb" | "spot" | "os">;

const sameShape = (a: Partial<Shape>, m: Shaped) => a.instanceType === m.instanceType && a.diskGb === m.diskGb && a.spot === m.spot && a.os === m.image.os;

/** The last shape each machine's price was captured for, from journal entries carrying `prices`. */
function lastShapes(journal: readonly { prices?: unknown }[]): Map<string, Partial<Shape>> {
  const shapes = new Map<string, Partial<Shape>>();
  for (const e of journal) {
    if (!Array.isArray(e.prices)) continue;
    for (const g of e.prices as Partial<CapturedPrice>[]) for (const name of Array.isArray(g?.machines) ? g.machines : []) shapes.set(name, g);
  }
  return shapes;
}

/**
 * The prices an `up` records: every machine it creates (`added`), and every other machine whose
 * shape differs from the one its last captured price was for, grouped by price. A machine with
 * no captured price (a session from before prices were recorded) is left alone: the ledger
 * prices it from the catalog, and says so.
 */
export function pricesForUp(catalog: ProviderCatalog, machines: readonly Shaped[], added: readonly string[], journal: readonly { prices?: unknown }[]): CapturedPrice[] {
  const shapes = lastShapes(journal);
  const groups = new Map<string, CapturedPrice>();
  for (const m of machines) {
    const last = shapes.get(m.name);
    if (!added.includes(m.name) && (last === undefined || sameShape(last, m))) continue;
    const p = { ...priceAtLaunch(catalog, m), instanceType: m.instanceType, diskGb: m.diskGb, os: m.image.os };
    const key = JSON.stringify(p);
    const g = groups.get(key);
    if (g) g.machines.push(m.name);
    else groups.set(key, { machines: [m.name], ...p });
  }
  return [...groups.values()];
}
