// EMR resources the adapter creates, by module file (see sdk.ts).
export { Cluster, type ClusterArgs } from "@pulumi/aws/emr/cluster.js";
