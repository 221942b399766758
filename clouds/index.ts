import type { Provider } from "../format/types.js";
import type { ProviderCatalog } from "../plan/catalog.js";
import { aws } from "./aws/catalog.js";
import { azure } from "./azure/catalog.js";
import { docker } from "./docker/catalog.js";
import { gcp } from "./gcp/catalog.js";
import { openstack } from "./openstack/catalog.js";

/** Every provider's table; a provider without one fails to type-check here, not at run time. */
const CATALOGS: Record<Provider, ProviderCatalog> = {
  aws,
  docker,
  azure,
  gcp,
  openstack,
};

export function catalogFor(provider: Provider): ProviderCatalog {
  return CATALOGS[provider];
}

export * from "../plan/catalog.js";
