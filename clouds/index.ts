/**
 * The one table of clouds: provider name → its descriptor (clouds/<provider>/index.ts). Typed
 * over every provider of the schema, so a provider without a folder fails to compile here.
 * Importing it loads each descriptor's plain data (catalogs, facts) and no SDK: each descriptor
 * imports its adapter, driver and verdict reader when first asked.
 */
import type { Provider } from "../format/types.js";
import type { ProviderCatalog } from "../plan/catalog.js";
import type { SessionPlan } from "../plan/types.js";
import type { Cloud } from "./cloud.js";
import { aws } from "./aws/index.js";
import { azure } from "./azure/index.js";
import { docker } from "./docker/index.js";
import { gcp } from "./gcp/index.js";
import { openstack } from "./openstack/index.js";
import { ovh } from "./ovh/index.js";

export const CLOUDS: { readonly [P in Provider]: Cloud & { readonly provider: P } } = { aws, azure, gcp, openstack, ovh, docker };

/** The cloud of a provider. */
export function cloudOf(provider: Provider): Cloud {
  return CLOUDS[provider];
}

/** The cloud of a provider name read from outside (a stored session, a raw document); undefined when there is none. */
export function findCloud(name: unknown): Cloud | undefined {
  return typeof name === "string" && Object.hasOwn(CLOUDS, name) ? CLOUDS[name as Provider] : undefined;
}

/** The provider's price and shape catalog, as a plan prices it (`pricing`: what the formation set, where its cloud allows that). */
export function catalogFor(provider: Provider, pricing?: SessionPlan["pricing"]): ProviderCatalog {
  const cloud: Cloud = CLOUDS[provider];
  return pricing && cloud.pricedBy ? cloud.pricedBy(pricing) : cloud.catalog;
}

export type * from "./cloud.js";
export * from "../plan/catalog.js";
