/**
 * One EC2 instance per planned machine: its AMI, default-deny groups, encrypted gp3 root volume,
 * IMDSv2, spot and hibernation settings, cloud-init user data (a secret), its desired power state
 * (InstanceState) and, with `lifecycle.autoStop`, a CloudWatch alarm that stops it when idle.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { PlannedMachine, ResolvedImage } from "../../../plan/types.js";
import { userData } from "../../../plan/cloudinit.js";
import { aws as catalog } from "../catalog.js";
import type { Bootstrap, EmitContext, MachineHandle } from "../../../components/adapter.js";
import { secretBootData } from "../../../components/boot-data.js";
import { partitionOf, tagsFor, type AwsNetwork } from "./provider.js";
import { usesSessionGroup } from "./security.js";
import { ec2, InstanceState, MetricAlarm } from "./sdk.js";

/** Graviton families (m7g, c6gn, t4g...) run arm64 images. */
export function architectureOf(instanceType: string): "arm64" | "x86_64" {
  return /^[a-z]+\d+g[a-z]*\./.test(instanceType) ? "arm64" : "x86_64";
}

/** The AMI: the given id, or the newest image of the catalog's owner and name filter for the architecture. */
function ami(ctx: EmitContext, net: AwsNetwork, image: ResolvedImage, instanceType: string): pulumi.Input<string> {
  if (image.id || !image.lookup) return image.id ?? "";
  const arch = architectureOf(instanceType);
  const nameFilter = arch === "arm64" ? image.lookup.nameFilter.replace("amd64", "arm64").replace("x86_64", "aarch64") : image.lookup.nameFilter;
  const key = `${image.lookup.owner}|${nameFilter}|${arch}`;
  let id = net.amis.get(key);
  if (!id) {
    const filters = [
      { name: "name", values: [nameFilter] },
      { name: "architecture", values: [arch] },
    ];
    id = ec2.getAmiOutput({ owners: [image.lookup.owner], mostRecent: true, filters }, { parent: ctx.parent, provider: net.opts.provider! }).id;
    net.amis.set(key, id);
  }
  return id;
}

/** The default login of the image's family. */
export function loginUser(image: ResolvedImage): string {
  if (image.os === "windows") return "Administrator";
  const name = image.alias ?? image.id ?? "";
  if (name.startsWith("ubuntu")) return "ubuntu";
  if (name.startsWith("debian")) return "admin";
  if (name.startsWith("rocky")) return "rocky";
  return "ec2-user";
}

/**
 * Hibernation at launch where the plan enables it, except on one-time spot instances: they can
 * never be stopped, so hibernation would only be a launch option EC2 may refuse.
 */
export function hibernates(m: PlannedMachine, interruption: "stop" | "hibernate" | "terminate"): boolean {
  return m.hibernation && !(m.spot && interruption === "terminate");
}

/** Hibernation writes RAM to the root volume: it must hold the memory plus the system. */
export function rootVolumeGb(m: PlannedMachine, hibernation: boolean): number {
  const memoryGb = m.memoryGb ?? catalog.instances[m.instanceType]?.memoryGb ?? 0;
  return hibernation ? Math.max(m.diskGb, Math.ceil(memoryGb) + 8) : m.diskGb;
}

/** Spot requests: persistent (stop/hibernate resume later) unless reclaimed machines are terminated. */
export function spotOptions(m: PlannedMachine, interruption: "stop" | "hibernate" | "terminate"): ec2.InstanceArgs["instanceMarketOptions"] {
  if (!m.spot) return undefined;
  // Hibernating on interruption needs hibernation enabled at launch; the plan noted the fallback.
  const behaviour = interruption === "hibernate" && !m.hibernation ? "stop" : interruption;
  return {
    marketType: "spot",
    spotOptions: { instanceInterruptionBehavior: behaviour, spotInstanceType: behaviour === "terminate" ? "one-time" : "persistent" },
  };
}

/** Idle stop: average CPU under 5 % for idleMinutes (5-minute points up to a day, hourly beyond: CloudWatch's limits). */
export function idleAlarm(idleMinutes: number): { period: number; evaluationPeriods: number } {
  const period = idleMinutes <= 1440 ? 300 : 3600;
  return { period, evaluationPeriods: Math.max(1, Math.ceil((idleMinutes * 60) / period)) };
}

function secretUserData(ctx: EmitContext, m: PlannedMachine, boot: Bootstrap): pulumi.Output<string> {
  return secretBootData(boot, (v) => userData(ctx.plan, m, v));
}

export function createMachine(ctx: EmitContext, net: AwsNetwork, m: PlannedMachine, boot: Bootstrap): MachineHandle {
  const plan = ctx.plan;
  const opts = net.opts;
  const role = net.roleGroups.get(m.role);
  const groups = [...(role ? [role.id] : []), ...(usesSessionGroup(m) && net.sessionGroup ? [net.sessionGroup.id] : [])];
  const tags = tagsFor(ctx, m.name, m.role);
  const runsDocker = m.role === "host" || m.role === "proxy";
  const hibernation = hibernates(m, plan.spotInterruption);
  // Windows refuses non-RSA key pairs (it encrypts the first password with the key).
  const keyName = net.keyName && (m.image.os === "linux" || net.keyIsRsa) ? net.keyName : undefined;
  const instance = new ec2.Instance(
    ctx.name(m.name),
    {
      ami: ami(ctx, net, m.image, m.instanceType),
      instanceType: m.instanceType,
      subnetId: m.public ? net.publicSubnetId : net.privateSubnetId,
      vpcSecurityGroupIds: groups,
      associatePublicIpAddress: m.public,
      ...(keyName ? { keyName } : {}),
      userData: secretUserData(ctx, m, boot),
      rootBlockDevice: { volumeType: "gp3", volumeSize: rootVolumeGb(m, hibernation), encrypted: true, deleteOnTermination: true, tags },
      ...(hibernation ? { hibernation: true } : {}),
      ...(m.spot ? { instanceMarketOptions: spotOptions(m, plan.spotInterruption) } : {}),
      // IMDSv2 only; one more hop where containers run (they reach the metadata through docker0).
      metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: runsDocker ? 2 : 1 },
      tags,
    },
    // cloud-init runs once per instance: new user data (a node added to slurm.conf, a rotated
    // secret) would only stop and start the machine for nothing. New machines get the new data.
    { ...opts, ignoreChanges: ["userData"] },
  );
  // InstanceState knows running and stopped only: a hibernated machine is kept stopped here, and
  // `formations hibernate` asks EC2 to hibernate (not plain stop) when it acts.
  new InstanceState(ctx.name(`${m.name}-state`), { instanceId: instance.id, state: m.desiredState === "running" ? "running" : "stopped", force: false }, opts);
  const oneTimeSpot = m.spot && plan.spotInterruption === "terminate";
  // A one-time spot instance cannot be stopped: no idle alarm for it (it runs until deleted or reclaimed).
  if (plan.autoStop && !oneTimeSpot) {
    const { period, evaluationPeriods } = idleAlarm(plan.autoStop.idleMinutes);
    new MetricAlarm(
      ctx.name(`${m.name}-idle-stop`),
      {
        alarmDescription: `Stops ${plan.session}/${m.name} after ${plan.autoStop.idleMinutes} idle minutes (lifecycle.autoStop)`,
        namespace: "AWS/EC2",
        metricName: "CPUUtilization",
        dimensions: { InstanceId: instance.id },
        statistic: "Average",
        comparisonOperator: "LessThanThreshold",
        threshold: 5,
        period,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        treatMissingData: "missing",
        alarmActions: [`arn:${partitionOf(net.region)}:automate:${net.region}:ec2:stop`],
        tags,
      },
      opts,
    );
  }
  return {
    cloudId: instance.id,
    privateIp: instance.privateIp,
    ...(m.public ? { publicIp: instance.publicIp } : {}),
    user: loginUser(m.image),
  };
}
