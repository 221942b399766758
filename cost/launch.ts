/**
 * What an `up` records about prices in the session's journal (pure; cost/journal.ts reads it):
 * the launch price of each machine it creates or reshapes, and of the session's own resources
 * (shared storage, the NAT gateway), one group per distinct price, with the shape each price was
 * captured for, so a later `up` can tell a reshaped machine (new instance type, disk, spot or OS:
 * a new price from then on) from a catalog update (which never re-prices the past or the present:
 * a machine keeps the price it was launched at).
 */
import type { ProviderCatalog } from "../plan/catalog.js";
import { HOURS_PER_MONTH } from "../plan/catalog.js";
import type { PlannedMachine, SessionPlan } from "../plan/types.js";
import type { LaunchPrice } from "./events.js";
import { priceAtLaunch } from "./price.js";

/** The ledger's name for what a session pays for whatever its machines do: shared storage, the NAT gateway. Never a machine name (those are lower case). */
export const SESSION_RESOURCES = "(session)";

export interface CapturedPrice extends LaunchPrice {
  machines: string[];
  instanceType: string;
  diskGb: number;
  os: "linux" | "windows";
}

type Shaped = Pick<PlannedMachine, "name" | "instanceType" | "diskGb" | "spot" | "image"> & Partial<Pick<PlannedMachine, "managedBy">>;
/** As much of a plan as prices need. */
export interface PricedPlan {
  machines: readonly (Shaped & Pick<PlannedMachine, "public">)[];
  storage?: SessionPlan["storage"];
  network: Pick<SessionPlan["network"], "existing">;
}
type Shape = Pick<CapturedPrice, "instanceType" | "diskGb" | "spot" | "os">;
type Entry = { prices?: unknown; action?: string; result?: string };

const sameShape = (a: Partial<Shape>, m: Shaped) => a.instanceType === m.instanceType && a.diskGb === m.diskGb && a.spot === m.spot && a.os === m.image.os;

/**
 * The session's own resources as a priced pseudo-machine, or undefined when there are none: the
 * managed file system (billed by size, at least its minimum) and the NAT gateway of a session
 * network whose machines lack a public address. Charged from launch to destroy whatever the
 * machines' states (as "disk": billed in every state). Same conditions as plan/cost.ts estimate().
 */
export function sessionResources(catalog: ProviderCatalog, plan: PricedPlan): { shaped: Shaped; price: LaunchPrice } | undefined {
  const storageGb =
    plan.storage?.kind === "managed" && catalog.sharedStorageGbMonthUsd > 0 ? Math.max(plan.storage.sizeGb, catalog.sharedStorageMinGb ?? 0) : 0;
  const nat = !plan.network.existing && plan.machines.some((m) => !m.public) && (catalog.privateEgressUsd ?? 0) > 0;
  if (storageGb === 0 && !nat) return undefined;
  const usd = (storageGb * catalog.sharedStorageGbMonthUsd) / HOURS_PER_MONTH + (nat ? (catalog.privateEgressUsd ?? 0) : 0);
  const what = [...(storageGb ? [`shared storage ${storageGb} GB`] : []), ...(nat ? ["NAT gateway"] : [])].join(" + ");
  return {
    shaped: { name: SESSION_RESOURCES, instanceType: nat ? "nat" : "no-nat", diskGb: storageGb, spot: false, image: { os: "linux" } },
    price: { computeUsdPerHour: 0, diskUsdPerHour: usd, source: `${catalog.source}; ${what}`, spot: false },
  };
}

/** The last shape each machine's price was captured for, from journal entries carrying `prices`. */
function lastShapes(journal: readonly Entry[]): Map<string, Partial<Shape>> {
  const shapes = new Map<string, Partial<Shape>>();
  for (const e of journal) {
    if (!Array.isArray(e.prices)) continue;
    for (const g of e.prices as Partial<CapturedPrice>[]) for (const name of Array.isArray(g?.machines) ? g.machines : []) shapes.set(name, g);
  }
  return shapes;
}

/**
 * The prices an `up` records: every machine it creates (`added`), every other machine whose shape
 * differs from the one its last captured price was for, and the session's resources on its first
 * successful up (or when they change), grouped by price. A machine with no captured price (a
 * session from before prices were recorded) is left alone: the ledger prices it from the
 * catalog, and says so.
 */
export function pricesForUp(catalog: ProviderCatalog, plan: PricedPlan, added: readonly string[], journal: readonly Entry[]): CapturedPrice[] {
  const shapes = lastShapes(journal);
  const first = !journal.some((e) => e.action === "up" && e.result === "ok");
  const groups = new Map<string, CapturedPrice>();
  const record = (m: Shaped, price: LaunchPrice) => {
    const p = { ...price, instanceType: m.instanceType, diskGb: m.diskGb, os: m.image.os };
    const key = JSON.stringify(p);
    const g = groups.get(key);
    if (g) g.machines.push(m.name);
    else groups.set(key, { machines: [m.name], ...p });
  };
  const changed = (m: Shaped) => {
    const last = shapes.get(m.name);
    return last !== undefined && !sameShape(last, m);
  };
  for (const m of plan.machines) if (added.includes(m.name) || changed(m)) record(m, priceAtLaunch(catalog, m));
  const session = sessionResources(catalog, plan);
  if (session && (first || changed(session.shaped))) record(session.shaped, session.price);
  return [...groups.values()];
}
