/**
 * Google Cloud: GCE instances, Filestore shared storage, Dataproc for big data. The descriptor is
 * plain data; the adapter (@pulumi/gcp) and the driver and console reader (the Compute REST API)
 * load on first use.
 */
import type { Cloud } from "../cloud.js";
import { consoleVerdictSource } from "../console.js";
import { gcp as catalog } from "./catalog.js";
import { mocks } from "./mocks.js";

export const gcp = {
  provider: "gcp",
  catalog,
  planning: { machines: "vms", bigDataRelease: "2.2-debian12" },
  checks: { windows: true, imageId: /^projects\/[^/]+\/global\/images\//, zoneOf: (region) => `${region}-b`, lowerCaseLabels: "GCP" },
  mocks,
  pulumiPackages: [{ pkg: "@pulumi/gcp", plugin: "gcp" }],
  adapter: async () => (await import("./emit/index.js")).gcpAdapter,
  actions: {
    managedCluster: { service: "Dataproc", stoppable: true },
    // desiredStatus: RUNNING, TERMINATED (stopped) and SUSPENDED (hibernated).
    declarative: new Set(["start", "stop", "shutdown", "hibernate"]),
    hibernationAtLaunch: true,
    hibernateRefusal: (m) => (m.spot || m.gpus ? `${m.name} cannot be suspended on GCE (${m.spot ? "spot VM" : "it has GPUs"})` : undefined),
    // GCE suspends only a running instance: a stopped one has no memory to keep.
    declarativeRefusal: (action, m) =>
      action === "hibernate" && m.recorded === "stopped"
        ? `${m.planned.name} is stopped: there is no memory to keep, so nothing to suspend (start it first, or leave it stopped)`
        : undefined,
    driver: async (ctx) => new (await import("./actions/driver.js")).GcpDriver(ctx),
    // Machine images: sized by their stored bytes, deleted with machineImages.delete.
    images: async () => new (await import("./actions/images.js")).GcpImages(),
  },
  idle: { read: "on-request", source: async () => consoleVerdictSource((await import("./console.js")).gceConsole()) },
  // Where credentials would come from: the environment and files only, imported when `doctor` asks.
  credentials: async (probe) => (await import("./credentials.js")).gcpCredentials(probe),
} satisfies Cloud;
