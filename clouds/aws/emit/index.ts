/**
 * The AWS adapter: EC2 instances in a session VPC behind default-deny security groups, EFS for
 * HPC shared storage and EMR for EMRCluster. Loaded only for `provider: aws` formations, and it
 * imports `@pulumi/aws` by subpath (the package root loads every service).
 */
import type { CloudAdapter } from "../../../components/adapter.js";
import { createNetwork } from "./network.js";
import { createMachine } from "./machine.js";
import { createSharedStorage } from "./storage.js";
import { createEmrCluster } from "./emr.js";
import { createEcsService } from "./ecs.js";
import type { AwsNetwork } from "./provider.js";

export const awsAdapter: CloudAdapter<AwsNetwork> = {
  provider: "aws",
  network: (ctx) => createNetwork(ctx),
  // A Docker formation's container on ECS (`spec.ecs`) is a service, not an instance.
  machine: (ctx, net, m, boot) => (m.service ? createEcsService(ctx, net, m) : createMachine(ctx, net, m, boot)),
  sharedStorage: (ctx, net, storage) => createSharedStorage(ctx, net, storage),
  // EMR nodes need no bootstrap values: EMR configures its own applications.
  bigDataCluster: (ctx, net, bigData, nodes) => createEmrCluster(ctx, net, bigData, nodes),
};

export type { AwsNetwork } from "./provider.js";
