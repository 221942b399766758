/**
 * Azure: VMs in a session resource group, Azure Files NFS shared storage, HDInsight for big data.
 * The descriptor is plain data; the adapter (@pulumi/azure-native), the driver and the console
 * reader (@azure/arm-compute) load on first use.
 */
import type { Cloud } from "../cloud.js";
import { consoleVerdictSource } from "../console.js";
import { azure as catalog } from "./catalog.js";
import { mocks } from "./mocks.js";
import { azureNotes } from "./notes.js";

export const azure = {
  provider: "azure",
  catalog,
  planning: { machines: "vms", bigDataRelease: "5.1" },
  checks: { windows: true, imageId: /^\/subscriptions\// },
  notes: azureNotes,
  mocks,
  pulumiPackages: [{ pkg: "@pulumi/azure-native", plugin: "azure-native" }],
  adapter: async () => (await import("./emit/index.js")).azureAdapter,
  actions: {
    managedCluster: { service: "HDInsight", stoppable: false },
    // No declarative power state on Azure VMs (clouds/azure/README.md): every power action is an API call.
    declarative: new Set(),
    hibernationAtLaunch: true,
    // A VM's id names its subscription and resource group: the driver needs nothing of the context.
    driver: async () => new (await import("./actions/driver.js")).AzureDriver(),
    // Gallery image versions: sized by their disk images, deleted with their empty definition (tags checked first).
    images: async () => new (await import("./actions/images.js")).AzureImages(),
  },
  idle: { read: "on-request", source: async () => consoleVerdictSource((await import("./console.js")).azureConsole()) },
  // Where credentials would come from: the environment and files only, imported when `doctor` asks.
  credentials: async (probe) => (await import("./credentials.js")).azureCredentials(probe),
} satisfies Cloud;
