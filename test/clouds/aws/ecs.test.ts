/**
 * Layer 2: a Docker formation on ECS (`spec.ecs`) under Pulumi's mock runtime. No instance of
 * ours on Fargate: a cluster, a task definition of the container (size, image, ports, volumes,
 * logs), a service whose desired count follows the session's desired state, in the public subnet
 * behind a group open to allowFrom on the container's ports only (no ssh). On EC2: one container
 * instance in an Auto Scaling group of at most one under the cluster's capacity provider. The plan
 * prices a Fargate task from the aws catalog's vCPU-hour and GB-hour prices.
 */
import { describe, expect, it } from "vitest";
import { fargate } from "../../../clouds/aws/catalog.js";
import { fargateHourlyUsd, fargateSize } from "../../../clouds/aws/ecs.js";
import { CONTAINER, ECS_AMI_PARAMETER } from "../../../clouds/aws/emit/ecs.js";
import { priceAtLaunch } from "../../../cost/price.js";
import { catalogFor } from "../../../clouds/index.js";
import { loadFormation } from "../../../format/load.js";
import { expectNoPlainSecret } from "../../helpers/compile.js";
import { compile, ingress, inline, T, type Inputs } from "./helpers.js";

const E = {
  cluster: "aws:ecs/cluster:Cluster",
  task: "aws:ecs/taskDefinition:TaskDefinition",
  service: "aws:ecs/service:Service",
  logs: "aws:cloudwatch/logGroup:LogGroup",
  template: "aws:ec2/launchTemplate:LaunchTemplate",
  asg: "aws:autoscaling/group:Group",
  capacity: "aws:ecs/capacityProvider:CapacityProvider",
  defaults: "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
} as const;

const fargateExample = () => loadFormation("formations/aws/ecs/fargate.yaml");
const ec2Example = () => loadFormation("formations/aws/ecs/ec2.yaml");

describe("Fargate task sizes and prices", () => {
  it.each([
    [undefined, undefined, { cpu: 1024, memoryMb: 2048 }],
    [0.25, undefined, { cpu: 256, memoryMb: 512 }],
    [0.5, 1024, { cpu: 512, memoryMb: 1024 }],
    [1, 512, { cpu: 1024, memoryMb: 2048 }],
    // More memory than 0.5 vCPU's 4 GB: 1 vCPU with 5 GB.
    [undefined, 5000, { cpu: 1024, memoryMb: 5120 }],
    [3, 9000, { cpu: 4096, memoryMb: 9216 }],
    [16, 122880, { cpu: 16384, memoryMb: 122880 }],
  ] as const)("%s vCPU, %s MB → %j", (cpus, memoryMb, size) => {
    expect(fargateSize(cpus, memoryMb)).toEqual(size);
  });

  it("nothing above 16 vCPU and 120 GB", () => {
    expect(fargateSize(32, undefined)).toBeUndefined();
    expect(fargateSize(undefined, 200_000)).toBeUndefined();
  });

  it("a task costs its vCPUs and GBs at the catalog's Fargate prices", () => {
    expect(fargateHourlyUsd(512, 1024)).toBeCloseTo(0.5 * fargate.vcpuHourUsd + 1 * fargate.gbHourUsd, 6);
  });
});

describe("FARGATE", () => {
  it("a cluster, a task definition and a service; no instance, no key, no ssh", async () => {
    const c = await compile(await fargateExample());
    const s = c.plan.session;
    expect(c.of(T.instance)).toEqual([]);
    expect(c.of(E.template)).toEqual([]);
    expect(c.named(E.cluster, "cluster")).toMatchObject({ name: s });
    const task = c.named(E.task, "task");
    expect(task).toMatchObject({
      family: s,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "512",
      memory: "1024",
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
    });
    const [def] = JSON.parse(String(task.containerDefinitions)) as Record<string, unknown>[];
    expect(def).toEqual({
      name: CONTAINER,
      image: "grafana/grafana-oss:11.1.0",
      essential: true,
      environment: [{ name: "GF_AUTH_ANONYMOUS_ENABLED", value: "false" }],
      portMappings: [{ containerPort: 3000, hostPort: 3000, protocol: "tcp" }],
      mountPoints: [],
      logConfiguration: {
        logDriver: "awslogs",
        options: { "awslogs-group": `/formations/${s}`, "awslogs-region": "eu-west-1", "awslogs-stream-prefix": CONTAINER },
      },
    });
    expect(c.named(E.logs, "logs")).toMatchObject({ name: `/formations/${s}`, retentionInDays: 14 });
    const service = c.named(E.service, "service");
    expect(service).toMatchObject({
      name: s,
      cluster: `arn:mock:${E.cluster}:${s}-cluster`,
      launchType: "FARGATE",
      desiredCount: 1,
      networkConfiguration: { subnets: [`${s}-subnet-public-id`], securityGroups: [`${s}-sg-host-id`], assignPublicIp: true },
      enableExecuteCommand: false,
    });
    expectNoPlainSecret(c.rec);
  });

  it("the service's group lets allowFrom reach the container's port and nothing else", async () => {
    const c = await compile(await fargateExample());
    expect(ingress(c.named(T.sg, "sg-host"))).toEqual([
      expect.objectContaining({ protocol: "tcp", fromPort: 3000, toPort: 3000, cidrBlocks: ["203.0.113.0/24"] }),
    ]);
    expect(c.plan.machines[0]).toMatchObject({ name: "service", service: "ecs", connect: [], public: true, hibernation: false });
  });

  it("the session's desired state sets the desired count: stopped (or hibernated) is 0", async () => {
    const f = await fargateExample();
    expect((await compile(f, { desired: { service: "stopped" } })).named(E.service, "service").desiredCount).toBe(0);
  });

  it("without allowFrom the task is in the private subnet, with no public address", async () => {
    const c = await compile(inline("Docker", "  ecs: { launchType: FARGATE }\n  container: { image: nginx:1.27, ports: [{ container: 80 }] }\n"));
    expect(c.named(E.service, "service").networkConfiguration).toEqual({
      subnets: [`${c.plan.session}-subnet-private-id`],
      securityGroups: [`${c.plan.session}-sg-host-id`],
      assignPublicIp: false,
    });
    expect(ingress(c.named(T.sg, "sg-host"))).toEqual([]);
  });

  it("the plan prices the task from Fargate's vCPU-hour and GB-hour prices, and the ledger charges the same", async () => {
    const c = await compile(await fargateExample());
    const want = 0.5 * fargate.vcpuHourUsd + 1 * fargate.gbHourUsd;
    expect(c.plan.cost.lines).toEqual([{ item: "fargate-0.5vcpu-1gb (host, 0 GB disk)", count: 1, hourlyUsd: expect.closeTo(want, 6) }]);
    expect(c.plan.container?.service).toEqual({ field: "ecs", options: { launchType: "FARGATE" }, vcpus: 0.5, memoryMb: 1024 });
    const price = priceAtLaunch(catalogFor("aws"), c.plan.machines[0]!);
    expect(price.computeUsdPerHour + price.diskUsdPerHour).toBeCloseTo(want, 6);
    expect(c.plan.notes.some((n) => n.startsWith("service: the container runs on ECS Fargate as a 0.5 vCPU / 1 GB task"))).toBe(true);
  });
});

describe("EC2 launch type", () => {
  it("one container instance of the host type under a capacity provider the service uses", async () => {
    const c = await compile(await ec2Example());
    const s = c.plan.session;
    expect(c.named(E.template, "ecs-template")).toMatchObject({
      imageId: "ami-0mockecs00000000000",
      instanceType: "c6i.xlarge",
      metadataOptions: { httpTokens: "required" },
      networkInterfaces: [{ associatePublicIpAddress: "true", securityGroups: [`${s}-sg-host-id`], deleteOnTermination: "true" }],
      blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeType: "gp3", volumeSize: 60, encrypted: "true", deleteOnTermination: "true" } }],
    });
    expect(Buffer.from(String(c.named(E.template, "ecs-template").userData), "base64").toString()).toBe(
      `#!/bin/bash\necho ECS_CLUSTER=${s} >> /etc/ecs/ecs.config\n`,
    );
    expect(c.rec.calls.find((x) => x.token === "aws:ssm/getParameter:getParameter")?.inputs).toMatchObject({ name: ECS_AMI_PARAMETER });
    const asg = c.named(E.asg, "ecs-instances");
    expect(asg).toMatchObject({ minSize: 0, maxSize: 1, vpcZoneIdentifiers: [`${s}-subnet-public-id`] });
    expect(asg.tags).toContainEqual({ key: "AmazonECSManaged", value: "true", propagateAtLaunch: true });
    expect(c.named(E.capacity, "ecs-capacity").autoScalingGroupProvider).toMatchObject({
      managedScaling: { status: "ENABLED", targetCapacity: 100 },
      managedTerminationProtection: "DISABLED",
    });
    const service = c.named(E.service, "service") as Inputs;
    expect(service.launchType).toBeUndefined();
    expect(service.capacityProviderStrategies).toEqual([{ capacityProvider: `${s}-capacity`, weight: 1, base: 0 }]);
    const task = c.named(E.task, "task");
    expect(task).toMatchObject({ requiresCompatibilities: ["EC2"], networkMode: "bridge", volumes: [{ name: "notebooks" }] });
    const [def] = JSON.parse(String(task.containerDefinitions)) as Record<string, unknown>[];
    expect(def).toMatchObject({
      portMappings: [{ containerPort: 8888, hostPort: 443, protocol: "tcp" }],
      mountPoints: [{ sourceVolume: "notebooks", containerPath: "/home/jovyan/work", readOnly: false }],
      memoryReservation: 6144,
    });
    // The instance's group: the published host port from allowFrom, no ssh.
    expect(ingress(c.named(T.sg, "sg-host"))).toEqual([expect.objectContaining({ fromPort: 443, toPort: 443, cidrBlocks: ["198.51.100.0/24"] })]);
  });

  it("is priced as the container instance", async () => {
    const c = await compile(await ec2Example());
    const cat = catalogFor("aws");
    expect(c.plan.cost.lines).toEqual([
      { item: "c6i.xlarge (host, 60 GB disk)", count: 1, hourlyUsd: expect.closeTo(cat.instances["c6i.xlarge"]!.usd + (60 * cat.diskGbMonthUsd) / 730, 6) },
    ]);
  });
});
