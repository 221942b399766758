/**
 * Docker: every kind on a local or remote Docker engine, each machine a container. The descriptor
 * is plain data; the adapter (@pulumi/docker), the driver and the verdict reader (dockerode) load
 * on first use.
 */
import type { Cloud } from "../cloud.js";
import { docker as catalog, pricedDocker } from "./catalog.js";
import { mocks } from "./mocks.js";
import { containerName, stamp } from "./names.js";

export const docker = {
  provider: "docker",
  catalog,
  pricedBy: pricedDocker,
  planning: { machines: "containers", bigDataRelease: "spark-3.5.3" },
  checks: {
    windows: false,
    instanceType: { pattern: /^\d+(\.\d+)?cpu-\d+[mg]$/, hint: "on docker write '<cpus>cpu-<memory><m|g>', e.g. '2cpu-4g', or use 'size'" },
    // An engine has no capacity market: nothing reclaims a container, so `spot` could only mislead.
    noSpot: {
      reason: "a Docker engine has no spot capacity: nothing reclaims a container, so 'spot: true' would have no effect",
      hint: "remove 'spot' (or set it to false)",
    },
  },
  mocks,
  pulumiPackages: [{ pkg: "@pulumi/docker", plugin: "docker" }],
  adapter: async () => (await import("./emit/index.js")).dockerAdapter,
  actions: {
    // @pulumi/docker has no pause, and `up` does not stop a running container: Docker's API does it all.
    declarative: new Set(),
    // Pausing keeps memory on any container: nothing to enable at launch.
    hibernationAtLaunch: false,
    // Containers are found by the name the adapter gives them: stable across replacements, and what `docker ps` shows.
    byName: true,
    // The committed image's reference is what a formation launches from, so it is chosen here, not by the engine.
    snapshotReference: (session, machine, now) => `${containerName(session, machine)}-snapshot:${stamp(now)}`,
    driver: async (ctx) => new (await import("./actions/driver.js")).DockerDriver(ctx),
    // Committed images: their size from the engine, deleted by their tag (docker rmi).
    images: async (ctx) => new (await import("./actions/images.js")).DockerImages(ctx),
  },
  // Read through the engine (a local call), so always: the verdict file copied out of the container.
  idle: {
    read: "always",
    source: async () => (await import("./verdicts.js")).dockerVerdictSource(),
    watch: async () => (await import("./idle-watch.js")).dockerIdleWatcher(),
  },
  // Where credentials would come from: the environment and files only, imported when `doctor` asks.
  credentials: async (probe) => (await import("./credentials.js")).dockerEngine(probe),
  credentialsCheck: "docker engine",
} satisfies Cloud;
