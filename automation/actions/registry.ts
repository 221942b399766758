/**
 * Which driver acts on a provider's machines: each provider's module is imported only when an
 * action needs it (a cloud SDK costs seconds and megabytes to load), by name, so a driver that
 * is not part of this build is a clear "not available" error rather than a failed import.
 *
 * Convention for driver modules: `automation/actions/<module>.ts` exports a class named
 * `<Name>Driver` implementing {@link ActionDriver}, constructed with {@link DriverContext} (extra
 * fields are ignored by drivers that do not need them).
 */
import type { Provider } from "../../format/types.js";
import type { ActionDriver } from "./types.js";

/** Where a session's machines live, as a driver needs to find them. */
export interface DriverContext {
  /** Region (aws, azure location, gcp, openstack catalog region). */
  region?: string;
  zone?: string;
  /** GCP project. */
  project?: string;
  /** Docker engine URL (the formation's `cloud.host`); default DOCKER_HOST. */
  host?: string;
}

/** Gives the driver for a provider; tests pass a test double through `Sessions({ drivers })`. */
export type DriverSource = (provider: Provider, ctx: DriverContext) => ActionDriver | Promise<ActionDriver>;

/** The module and class of each provider's driver. */
export const DRIVER_MODULES: Readonly<Record<Provider, { module: string; exportName: string }>> = {
  docker: { module: "../../clouds/docker/actions/driver", exportName: "DockerDriver" },
  aws: { module: "../../clouds/aws/actions/driver", exportName: "AwsDriver" },
  azure: { module: "../../clouds/azure/actions/driver", exportName: "AzureDriver" },
  gcp: { module: "../../clouds/gcp/actions/driver", exportName: "GcpDriver" },
  openstack: { module: "../../clouds/openstack/actions/driver", exportName: "OpenStackDriver" },
};

/** No driver for this provider in this build (its module is missing or exports no driver). */
export class DriverUnavailableError extends Error {
  override readonly name = "DriverUnavailableError";
  constructor(
    /** The provider asked for. */
    readonly provider: Provider,
    why: string,
  ) {
    super(`actions on ${provider} machines through the ${provider} API are not available in this build (${why})`);
  }
}

type DriverClass = new (ctx: DriverContext) => ActionDriver;

/** Imports a driver module; undefined when the file is not there (as opposed to a module that fails to load). */
async function importModule(name: string): Promise<Record<string, unknown> | undefined> {
  // A computed specifier: the compiler must not resolve modules that other work adds later.
  const specifier = `./${name}.js`;
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    // Only the driver module itself missing means "not in this build"; a missing SDK it needs is a real error.
    const m = /(?:Cannot find module|Failed to load url) '?([^'\s]+)/.exec(String((err as Error).message));
    if (m && new RegExp(`(^|/)${name}\\.(js|ts)$`).test(m[1]!)) return undefined;
    throw err;
  }
}

/** The driver class a module exports: the conventional name, else its only export named `*Driver`. */
function driverClass(mod: Record<string, unknown>, exportName: string): DriverClass | undefined {
  const named = mod[exportName];
  if (typeof named === "function") return named as DriverClass;
  const candidates = Object.entries(mod).filter(([k, v]) => typeof v === "function" && /Driver$/.test(k));
  return candidates.length === 1 ? (candidates[0]![1] as DriverClass) : undefined;
}

/** The default source: the provider's module from this build, loaded on first use and cached per context. */
export function buildDrivers(): DriverSource {
  const cache = new Map<string, Promise<ActionDriver>>();
  return (provider, ctx) => {
    const key = JSON.stringify([provider, ctx.region ?? "", ctx.zone ?? "", ctx.project ?? "", ctx.host ?? ""]);
    let driver = cache.get(key);
    if (!driver) {
      driver = loadDriver(provider, ctx);
      cache.set(key, driver);
      driver.catch(() => cache.delete(key)); // a failed load is retried next time
    }
    return driver;
  };
}

/** Loads and constructs the driver of `provider`, or rejects with {@link DriverUnavailableError}. `modules`: for tests. */
export async function loadDriver(provider: Provider, ctx: DriverContext, modules: Readonly<Record<string, { module: string; exportName: string }>> = DRIVER_MODULES): Promise<ActionDriver> {
  const entry = modules[provider];
  if (!entry) throw new DriverUnavailableError(provider, "unknown provider");
  const mod = await importModule(entry.module);
  if (!mod) throw new DriverUnavailableError(provider, `automation/actions/${entry.module}.ts is not part of it yet`);
  const Driver = driverClass(mod, entry.exportName);
  if (!Driver) throw new DriverUnavailableError(provider, `automation/actions/${entry.module}.ts exports no ${entry.exportName}`);
  return new Driver(ctx);
}
