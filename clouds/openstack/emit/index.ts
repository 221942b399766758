/**
 * The OpenStack adapter: Nova servers on a session network behind default-deny Neutron security
 * groups, floating IPs for entry points only, Slurm with NFS from the head node for HPC, and
 * Spark installed on servers for EMRCluster (OpenStack has no managed big-data service that every
 * cloud runs). Loaded only for `provider: openstack` formations.
 */
import type { CloudAdapter } from "../../../components/adapter.js";
import { createNetwork } from "./network.js";
import { createMachine } from "./machine.js";
import { createSharedStorage } from "./storage.js";
import type { OpenStackNetwork } from "./provider.js";

export const openstackAdapter: CloudAdapter<OpenStackNetwork> = {
  provider: "openstack",
  network: (ctx) => createNetwork(ctx),
  machine: (ctx, net, m, boot) => createMachine(ctx, net, m, boot),
  sharedStorage: (ctx, net, storage) => createSharedStorage(ctx, net, storage),
  // Spark runs on servers (catalog: managedBigData false): the EMRCluster component creates them.
  bigDataCluster: () => undefined,
};

export type { OpenStackNetwork } from "./provider.js";
