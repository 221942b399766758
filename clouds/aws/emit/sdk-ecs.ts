// ECS resources the adapter creates (a Docker formation with `spec.ecs`), by module file (see sdk.ts).
export { Cluster } from "@pulumi/aws/ecs/cluster.js";
export { TaskDefinition } from "@pulumi/aws/ecs/taskDefinition.js";
export { Service, type ServiceArgs } from "@pulumi/aws/ecs/service.js";
export { CapacityProvider } from "@pulumi/aws/ecs/capacityProvider.js";
export { ClusterCapacityProviders } from "@pulumi/aws/ecs/clusterCapacityProviders.js";
export { LogGroup } from "@pulumi/aws/cloudwatch/logGroup.js";
export { LaunchTemplate } from "@pulumi/aws/ec2/launchTemplate.js";
export { Group as AutoScalingGroup } from "@pulumi/aws/autoscaling/group.js";
export { getParameterOutput } from "@pulumi/aws/ssm/getParameter.js";
