/**
 * AWS: EC2 machines, EFS shared storage, EMR for big data. The descriptor is plain data; the
 * adapter (@pulumi/aws), the driver and the console reader (@aws-sdk/client-ec2) load on first use.
 */
import type { Cloud } from "../cloud.js";
import { consoleVerdictSource } from "../console.js";
import { aws as catalog } from "./catalog.js";
import { mocks } from "./mocks.js";
import { ecs } from "./ecs.js";

export const aws = {
  provider: "aws",
  catalog,
  planning: { machines: "vms", bigDataRelease: "emr-7.5.0", shutdownDeletesOneTimeSpot: true },
  checks: { windows: true, imageId: /^ami-[0-9a-f]+$/, zoneOf: (region) => `${region}a` },
  mocks,
  pulumiPackages: [{ pkg: "@pulumi/aws", plugin: "aws" }],
  adapter: async () => (await import("./emit/index.js")).awsAdapter,
  actions: {
    managedCluster: { service: "EMR", stoppable: false },
    // InstanceState holds running and stopped; hibernate is an API call (StopInstances with Hibernate).
    declarative: new Set(["start", "stop", "shutdown"]),
    hibernationAtLaunch: true,
    driver: async (ctx) => new (await import("./actions/driver.js")).AwsDriver(ctx),
    // AMIs: sized by their EBS volumes; deleted with their EBS snapshots.
    images: async (ctx) => new (await import("./actions/images.js")).AwsImages(ctx),
  },
  idle: { read: "on-request", source: async () => consoleVerdictSource((await import("./console.js")).ec2Console()) },
  // A Docker formation's container on ECS (`spec.ecs`) instead of a host VM.
  containerService: ecs,
  // Where credentials would come from: the environment and files only, imported when `doctor` asks.
  credentials: async (probe) => (await import("./credentials.js")).awsCredentials(probe),
} satisfies Cloud;
