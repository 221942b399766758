/**
 * The parts of @pulumi/aws the adapter uses, one module file each. A service index
 * (`@pulumi/aws/ec2/index.js`) loads every resource of the service (ec2 alone is ~300 files);
 * these load a few dozen. Adapter modules import `* as ec2` etc. from here.
 */
export * as ec2 from "./sdk-ec2.js";
export * as iam from "./sdk-iam.js";
export * as emr from "./sdk-emr.js";
export * as efs from "./sdk-efs.js";
export * as ecs from "./sdk-ecs.js";
export { InstanceState } from "@pulumi/aws/ec2transitgateway/instanceState.js";
export { MetricAlarm } from "@pulumi/aws/cloudwatch/metricAlarm.js";
