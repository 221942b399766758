import type { Provider } from "../../format/types.js";
import type { ProviderCatalog } from "./types.js";
import { aws } from "./aws.js";
import { azure } from "./azure.js";
import { docker } from "./docker.js";
import { gcp } from "./gcp.js";
import { openstack } from "./openstack.js";

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

export * from "./types.js";
