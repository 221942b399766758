/**
 * OpenStack: Nova servers, NFS from the head node for HPC, Spark on servers for big data. The
 * descriptor is plain data; the adapter (@pulumi/openstack) and the driver and console reader
 * (Keystone and Nova over REST) load on first use.
 */
import type { Cloud } from "../cloud.js";
import { consoleVerdictSource } from "../console.js";
import { openstack as catalog } from "./catalog.js";
import { mocks } from "./mocks.js";
import { openstackNotes } from "./notes.js";

export const openstack = {
  provider: "openstack",
  catalog,
  planning: { machines: "vms", bigDataRelease: "spark-3.5.3" },
  checks: { windows: true },
  notes: openstackNotes,
  mocks,
  pulumiPackages: [{ pkg: "@pulumi/openstack", plugin: "openstack" }],
  adapter: async () => (await import("./emit/index.js")).openstackAdapter,
  actions: {
    // powerState: active, shutoff and shelved_offloaded (what hibernate becomes).
    declarative: new Set(["start", "stop", "shutdown", "hibernate"]),
    declarativeFallback: { hibernate: "OpenStack has no hibernation: the server was shelved (the OS shut down and memory was not kept; start boots it again)" },
    // Nothing to enable at launch: any server can be shelved, running or stopped.
    hibernationAtLaunch: false,
    driver: async (ctx) => new (await import("./actions/driver.js")).OpenStackDriver(ctx),
    // Glance images (and the Cinder snapshots of a volume-backed server's): sized and deleted over REST.
    images: async (ctx) => new (await import("./actions/images.js")).OpenStackImages(ctx),
  },
  idle: { read: "on-request", source: async () => consoleVerdictSource((await import("./console.js")).novaConsole()) },
  // Where credentials would come from: the environment and files only, imported when `doctor` asks.
  credentials: async (probe) => (await import("./credentials.js")).openstackCredentials(probe),
} satisfies Cloud;
