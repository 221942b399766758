/**
 * A Docker formation's container as an ECS service (`spec.ecs`), instead of a host VM: a cluster,
 * a task definition of the one container (its image, command, environment, ports, named volumes,
 * logs to CloudWatch), and a service of one task whose desired count follows the session's desired
 * state (running 1, otherwise 0), so `up` converges stop and start as it does EC2's InstanceState.
 *
 * FARGATE: awsvpc networking, the task in the public subnet with a public address only when the
 * plan makes it an entry point (allowFrom set), behind the role's default-deny group (the
 * container's ports from allowFrom, nothing else). EC2: one container instance (ECS-optimized
 * Amazon Linux 2023, IMDSv2, encrypted gp3) in an Auto Scaling group of at most one, which the
 * cluster's capacity provider scales in to none when the service has no task; bridge networking
 * publishes the container's host ports on it, behind the same group.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlannedContainer, PlannedMachine } from "../../../plan/types.js";
import type { EmitContext, MachineHandle } from "../../../components/adapter.js";
import type { LaunchType } from "../ecs.js";
import { partitionOf, tagsFor, type AwsNetwork } from "./provider.js";
import { ecs, iam } from "./sdk.js";

/** The container's name in the task definition (what `aws ecs execute-command --container` would name). */
export const CONTAINER = "container";
/** Where the ECS-optimized AMI's id is published. */
export const ECS_AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";

function assumedBy(service: string): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });
}

/** The container definition ECS runs (JSON), from the plan's container. */
export function containerDefinitions(c: PlannedContainer, launchType: LaunchType, logGroup: string, region: string): string {
  const def = {
    name: CONTAINER,
    image: c.image,
    essential: true,
    ...(c.command.length > 0 ? { command: [...c.command] } : {}),
    environment: Object.entries(c.env).map(([name, value]) => ({ name, value })),
    // awsvpc (Fargate) publishes a port on itself; bridge (EC2) maps the host port on the instance.
    portMappings: c.ports.map((p) => ({ containerPort: p.container, hostPort: launchType === "FARGATE" ? p.container : p.host, protocol: p.protocol })),
    mountPoints: c.volumes.map((v) => ({ sourceVolume: v.name ?? volumeName(v.hostPath ?? v.mountPath), containerPath: v.mountPath, readOnly: v.readOnly })),
    ...(launchType === "EC2" && c.service ? { memoryReservation: c.service.memoryMb } : {}),
    logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": logGroup, "awslogs-region": region, "awslogs-stream-prefix": CONTAINER } },
  };
  return JSON.stringify([def]);
}

/** A task volume's name for a bind-mounted host path (EC2 only). */
function volumeName(path: string): string {
  return `host${path.replace(/[^A-Za-z0-9]+/g, "-")}`.slice(0, 255);
}

function ec2Capacity(ctx: EmitContext, net: AwsNetwork, m: PlannedMachine, cluster: ecs.Cluster, tags: Record<string, string>): ecs.CapacityProvider {
  const opts = net.opts;
  const partition = partitionOf(net.region);
  const role = new iam.Role(
    ctx.name("ecs-instance"),
    { assumeRolePolicy: assumedBy("ec2.amazonaws.com"), description: `ECS container instance role of ${ctx.plan.session}`, tags },
    opts,
  );
  new iam.RolePolicyAttachment(
    ctx.name("ecs-instance-policy"),
    { role: role.name, policyArn: `arn:${partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role` },
    opts,
  );
  const profile = new iam.InstanceProfile(ctx.name("ecs-instance-profile"), { role: role.name, tags }, opts);
  const ami = ecs.getParameterOutput({ name: ECS_AMI_PARAMETER }, { parent: ctx.parent, provider: opts.provider! }).value;
  const group = net.roleGroups.get(m.role);
  const template = new ecs.LaunchTemplate(
    ctx.name("ecs-template"),
    {
      imageId: ami,
      instanceType: m.instanceType,
      iamInstanceProfile: { arn: profile.arn },
      userData: cluster.name.apply((name) => Buffer.from(`#!/bin/bash\necho ECS_CLUSTER=${name} >> /etc/ecs/ecs.config\n`).toString("base64")),
      networkInterfaces: [{ associatePublicIpAddress: m.public ? "true" : "false", securityGroups: group ? [group.id] : [], deleteOnTermination: "true" }],
      metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 2 },
      blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeType: "gp3", volumeSize: m.diskGb, encrypted: "true", deleteOnTermination: "true" } }],
      tagSpecifications: [{ resourceType: "instance", tags: tagsFor(ctx, `${m.name}-instance`, m.role) }],
      tags,
    },
    opts,
  );
  const asg = new ecs.AutoScalingGroup(
    ctx.name("ecs-instances"),
    {
      minSize: 0,
      maxSize: 1,
      vpcZoneIdentifiers: [m.public ? net.publicSubnetId : net.privateSubnetId],
      launchTemplate: { id: template.id, version: "$Latest" },
      // The capacity provider sets the desired capacity; ECS requires this tag on groups it manages.
      tags: [
        { key: "AmazonECSManaged", value: "true", propagateAtLaunch: true },
        ...Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      ],
    },
    { ...opts, ignoreChanges: ["desiredCapacity"] },
  );
  const provider = new ecs.CapacityProvider(
    ctx.name("ecs-capacity"),
    {
      name: `${ctx.plan.session}-capacity`,
      autoScalingGroupProvider: {
        autoScalingGroupArn: asg.arn,
        managedScaling: { status: "ENABLED", targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 1 },
        managedTerminationProtection: "DISABLED",
      },
      tags,
    },
    opts,
  );
  new ecs.ClusterCapacityProviders(
    ctx.name("ecs-capacity-default"),
    {
      clusterName: cluster.name,
      capacityProviders: [provider.name],
      defaultCapacityProviderStrategies: [{ capacityProvider: provider.name, weight: 1, base: 0 }],
    },
    opts,
  );
  return provider;
}

export function createEcsService(ctx: EmitContext, net: AwsNetwork, m: PlannedMachine): MachineHandle {
  const plan = ctx.plan;
  const c = plan.container;
  if (!c?.service) throw new Error(`${plan.session}/${m.name}: an ECS service needs the plan's container and its service`);
  const launchType: LaunchType = c.service.options.launchType === "EC2" ? "EC2" : "FARGATE";
  const opts = net.opts;
  const tags = tagsFor(ctx, m.name, m.role);
  const cluster = new ecs.Cluster(ctx.name("cluster"), { name: plan.session, settings: [{ name: "containerInsights", value: "disabled" }], tags }, opts);
  const logGroupName = `/formations/${plan.session}`;
  const logs = new ecs.LogGroup(ctx.name("logs"), { name: logGroupName, retentionInDays: 14, tags }, opts);
  // Pulls the image and writes the logs: nothing else (the container itself gets no AWS role).
  const execution = new iam.Role(
    ctx.name("ecs-execution"),
    { assumeRolePolicy: assumedBy("ecs-tasks.amazonaws.com"), description: `ECS task execution role of ${plan.session}`, tags },
    opts,
  );
  const executionPolicy = new iam.RolePolicyAttachment(
    ctx.name("ecs-execution-policy"),
    { role: execution.name, policyArn: `arn:${partitionOf(net.region)}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy` },
    opts,
  );
  const fargate = launchType === "FARGATE";
  const task = new ecs.TaskDefinition(
    ctx.name("task"),
    {
      family: plan.session,
      requiresCompatibilities: [launchType],
      networkMode: fargate ? "awsvpc" : "bridge",
      ...(fargate ? { cpu: String(c.service.vcpus * 1024), memory: String(c.service.memoryMb) } : {}),
      executionRoleArn: execution.arn,
      containerDefinitions: pulumi.output(logs.name).apply(() => containerDefinitions(c, launchType, logGroupName, net.region)),
      volumes: c.volumes.map((v) => (v.hostPath ? { name: volumeName(v.hostPath), hostPath: v.hostPath } : { name: v.name ?? volumeName(v.mountPath) })),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
      tags,
    },
    opts,
  );
  const capacity = fargate ? undefined : ec2Capacity(ctx, net, m, cluster, tags);
  const group = net.roleGroups.get(m.role);
  const service = new ecs.Service(
    ctx.name(m.name),
    {
      name: plan.session,
      cluster: cluster.arn,
      taskDefinition: task.arn,
      // The session's desired state: running is one task, stopped (and anything else) none.
      desiredCount: m.desiredState === "running" ? 1 : 0,
      ...(fargate
        ? {
            launchType: "FARGATE",
            networkConfiguration: {
              subnets: [m.public ? net.publicSubnetId : net.privateSubnetId],
              securityGroups: group ? [group.id] : [],
              assignPublicIp: m.public,
            },
          }
        : { capacityProviderStrategies: [{ capacityProvider: capacity!.name, weight: 1, base: 0 }] }),
      // One task: the old one stops before the new one starts (an EC2 instance holds one).
      deploymentMinimumHealthyPercent: 0,
      deploymentMaximumPercent: 100,
      enableExecuteCommand: false,
      propagateTags: "SERVICE",
      waitForSteadyState: false,
      tags,
    },
    { ...opts, dependsOn: [executionPolicy] },
  );
  // A task's address is its own and changes at every start: none is recorded.
  return { cloudId: service.id, privateIp: pulumi.output(""), user: "" };
}
