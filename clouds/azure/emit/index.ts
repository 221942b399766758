/**
 * The Azure adapter: VMs in a session resource group and virtual network behind default-deny
 * network security groups, Azure Files NFS for HPC shared storage and HDInsight for EMRCluster.
 * Loaded only for `provider: azure` formations; it imports `@pulumi/azure-native` one file at a
 * time (see provider.ts: a service's index loads hundreds of files under ESM).
 */
import type { CloudAdapter } from "../../../components/adapter.js";
import { createNetwork } from "./network.js";
import { createMachine } from "./machine.js";
import { createSharedStorage } from "./storage.js";
import { createHdInsight } from "./hdinsight.js";
import type { AzureNetwork } from "./provider.js";

export const azureAdapter: CloudAdapter<AzureNetwork> = {
  provider: "azure",
  network: (ctx) => createNetwork(ctx),
  machine: (ctx, net, m, boot) => createMachine(ctx, net, m, boot),
  sharedStorage: (ctx, net, storage) => createSharedStorage(ctx, net, storage),
  // HDInsight configures its own nodes: no bootstrap values.
  bigDataCluster: (ctx, net, bigData, nodes) => createHdInsight(ctx, net, bigData, nodes),
};

export type { AzureNetwork } from "./provider.js";
