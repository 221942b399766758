/**
 * The GCP adapter: GCE instances in a session VPC behind default-deny firewall rules, Filestore
 * for HPC shared storage and Dataproc for EMRCluster. Loaded only for `provider: gcp` formations,
 * and it imports `@pulumi/gcp` one resource module at a time: a service's index (or the package
 * root) imported from ESM loads every resource of the service (hundreds of files for compute).
 */
import type { CloudAdapter } from "../../../components/adapter.js";
import { createNetwork } from "./network.js";
import { createMachine } from "./machine.js";
import { createSharedStorage } from "./storage.js";
import { createDataprocCluster } from "./dataproc.js";
import type { GcpNetwork } from "./provider.js";

const adapter = {
  provider: "gcp",
  network: (ctx) => createNetwork(ctx),
  machine: (ctx, net, m, boot) => createMachine(ctx, net, m, boot),
  sharedStorage: (ctx, net, storage) => createSharedStorage(ctx, net, storage),
  // Dataproc configures its own nodes: they need no bootstrap values.
  bigDataCluster: (ctx, net, bigData, nodes) => createDataprocCluster(ctx, net, bigData, nodes),
} satisfies CloudAdapter<GcpNetwork>;

export const gcpAdapter: CloudAdapter = adapter;

export type { GcpNetwork } from "./provider.js";
