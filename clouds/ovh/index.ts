/**
 * OVHcloud Public Cloud: instances are OpenStack servers, so compute (servers, ports, security
 * groups, key pairs, floating IPs) and the lifecycle driver (Nova through Keystone) are
 * clouds/openstack's, imported, not copied. What OVHcloud adds is here: its regions, flavors and
 * prices, and what only its own API does (`@ovhcloud/pulumi-ovh`): the project (serviceName), the
 * private network in the vRack with its gateway, and File Storage shares for HPC. The descriptor
 * is plain data; the adapter and driver load on first use.
 */
import type { Cloud } from "../cloud.js";
import { consoleVerdictSource } from "../console.js";
import { openstack } from "../openstack/index.js";
import { ovh as catalog, OVH_REGIONS } from "./catalog.js";
import { mocks } from "./mocks.js";
import { ovhNotes } from "./notes.js";

export const ovh = {
  provider: "ovh",
  catalog,
  planning: { machines: "vms", bigDataRelease: openstack.planning.bigDataRelease },
  checks: { windows: true, regions: OVH_REGIONS },
  notes: ovhNotes,
  mocks,
  pulumiPackages: [
    { pkg: "@pulumi/openstack", plugin: "openstack" },
    { pkg: "@ovhcloud/pulumi-ovh", plugin: "ovh" },
  ],
  adapter: async () => (await import("./emit/index.js")).ovhAdapter,
  actions: {
    // The OpenStack server's powerState: active, shutoff and shelved_offloaded (what hibernate becomes).
    declarative: openstack.actions.declarative,
    declarativeFallback: {
      hibernate: "OVHcloud has no hibernation: the instance was shelved (the OS shut down and memory was not kept; start boots it again)",
    },
    hibernationAtLaunch: false,
    driver: async (ctx) => new (await import("../openstack/actions/driver.js")).OpenStackDriver({ ...ctx, provider: "ovh" }),
    // Its instances' snapshots are Glance images (Cinder snapshots for volume-backed ones): OpenStack's image store.
    images: async (ctx) => new (await import("../openstack/actions/images.js")).OpenStackImages(ctx),
  },
  idle: { read: "on-request", source: async () => consoleVerdictSource((await import("../openstack/console.js")).novaConsole()) },
  // Both sets it needs: OpenStack's for the instances, OVH's API keys for project, vRack and storage.
  credentials: async (probe) => (await import("./credentials.js")).ovhCredentials(probe),
} satisfies Cloud;
