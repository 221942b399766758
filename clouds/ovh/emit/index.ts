/**
 * The OVHcloud adapter: OVHcloud's API for the project, the private network (vRack), its gateway
 * and File Storage; clouds/openstack's servers for machines (ports, default-deny groups, boot
 * volumes, cloud-init, power states, floating IPs). Spark runs on instances (no managed Spark).
 * Loaded only for `provider: ovh` formations.
 */
import type { CloudAdapter } from "../../../components/adapter.js";
import { createMachine } from "../../openstack/emit/machine.js";
import { createNetwork, type OvhNetwork } from "./network.js";
import { createSharedStorage } from "./storage.js";

export const ovhAdapter: CloudAdapter<OvhNetwork> = {
  provider: "ovh",
  network: (ctx) => createNetwork(ctx),
  machine: (ctx, net, m, boot) => createMachine(ctx, net, m, boot),
  sharedStorage: (ctx, net, storage) => createSharedStorage(ctx, net, storage),
  bigDataCluster: () => undefined,
};
