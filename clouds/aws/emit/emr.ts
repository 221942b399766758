/**
 * EMRCluster on AWS: an `aws.emr.Cluster` (master and core instance groups from the planned
 * master and workers) in the private subnet, with its IAM roles and its own EMR-managed security
 * groups. The groups are ours (not EMR's defaults) so that deleting the session can delete the
 * VPC, and they carry only the rules EMR needs between its nodes: nothing from the internet.
 * Users reach the cluster through the proxy instance, a member of the session group.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { PlannedBigData, PlannedMachine } from "../../../plan/types.js";
import { aws as catalog } from "../catalog.js";
import type { BigDataHandle, EmitContext } from "../../../components/adapter.js";
import { EGRESS_ALL, EMR_MANAGED_TAG, tagsFor, type AwsNetwork } from "./provider.js";
import { emrRoles } from "./iam.js";
import { ec2, emr } from "./sdk.js";

/** Formation application names → EMR's. */
export const EMR_APPLICATIONS: Readonly<Record<string, string>> = { spark: "Spark", hadoop: "Hadoop", hive: "Hive", jupyter: "JupyterHub", presto: "Presto" };

export function emrApplications(apps: readonly string[]): string[] {
  return [...new Set(apps.map((a) => EMR_APPLICATIONS[a] ?? a))];
}

/** Spot bid: the on-demand price (spot is charged at the market price, capped there). */
export function bidPrice(m: PlannedMachine): string | undefined {
  if (!m.spot) return undefined;
  return (catalog.instances[m.instanceType]?.usd ?? catalog.unknownInstanceUsd).toFixed(3);
}

function group(ctx: EmitContext, net: AwsNetwork, suffix: string, description: string, egress: boolean): ec2.SecurityGroup {
  // No inline ingress: EMR adds what it needs; revokeRulesOnDelete breaks the groups' mutual references on delete.
  return new ec2.SecurityGroup(
    ctx.name(suffix),
    {
      vpcId: net.vpcId,
      description,
      revokeRulesOnDelete: true,
      ...(egress ? { egress: EGRESS_ALL } : {}),
      tags: { ...tagsFor(ctx, suffix, "bigdata"), ...EMR_MANAGED_TAG },
    },
    net.opts,
  );
}

interface RuleSpec {
  name: string;
  type: "ingress" | "egress";
  on: ec2.SecurityGroup;
  from?: ec2.SecurityGroup;
  port?: number;
}

/** The rules EMR needs between its groups (each a separate resource: the groups refer to each other). */
function emrRules(ctx: EmitContext, net: AwsNetwork, rules: readonly RuleSpec[]): pulumi.Resource[] {
  return rules.map(
    (r) =>
      new ec2.SecurityGroupRule(
        ctx.name(r.name),
        {
          type: r.type,
          securityGroupId: r.on.id,
          protocol: r.port ? "tcp" : "-1",
          fromPort: r.port ?? 0,
          toPort: r.port ?? 0,
          ...(r.from ? { sourceSecurityGroupId: r.from.id } : { self: true }),
          description: r.port ? `EMR ${r.port}` : "EMR nodes to each other",
        },
        net.opts,
      ),
  );
}

export function createEmrCluster(ctx: EmitContext, net: AwsNetwork, bigData: PlannedBigData, nodes: readonly PlannedMachine[]): BigDataHandle {
  const plan = ctx.plan;
  const master = nodes.find((n) => n.role === "master");
  const workers = nodes.filter((n) => n.role === "worker");
  const firstWorker = workers[0];
  if (!master || !firstWorker) throw new Error("an EMR cluster has a master and at least one worker");
  if (!net.sessionGroup) throw new Error("an EMR cluster needs the session's security group");
  const roles = emrRoles(ctx, net);
  const masterGroup = group(ctx, net, "sg-emr-master", `${plan.session}: EMR master (EMR-managed rules only)`, true);
  const coreGroup = group(ctx, net, "sg-emr-core", `${plan.session}: EMR core nodes (EMR-managed rules only)`, true);
  // EMR requires a service-access group in a private subnet; a given network's subnet may be public.
  const serviceGroup = net.owned ? group(ctx, net, "sg-emr-service", `${plan.session}: EMR service access (EMR-managed rules only)`, false) : undefined;
  const rules = emrRules(ctx, net, [
    { name: "emr-master-self", type: "ingress", on: masterGroup },
    { name: "emr-master-from-core", type: "ingress", on: masterGroup, from: coreGroup },
    { name: "emr-core-self", type: "ingress", on: coreGroup },
    { name: "emr-core-from-master", type: "ingress", on: coreGroup, from: masterGroup },
    ...(serviceGroup
      ? ([
          { name: "emr-master-from-service", type: "ingress", on: masterGroup, from: serviceGroup, port: 8443 },
          { name: "emr-core-from-service", type: "ingress", on: coreGroup, from: serviceGroup, port: 8443 },
          { name: "emr-service-from-master", type: "ingress", on: serviceGroup, from: masterGroup, port: 9443 },
          { name: "emr-service-to-master", type: "egress", on: serviceGroup, from: masterGroup, port: 8443 },
          { name: "emr-service-to-core", type: "egress", on: serviceGroup, from: coreGroup, port: 8443 },
        ] satisfies RuleSpec[])
      : []),
  ]);
  const ebs = (m: PlannedMachine) => [{ size: m.diskGb, type: "gp3", volumesPerInstance: 1 }];
  const masterBid = bidPrice(master);
  const workerBid = bidPrice(firstWorker);
  const cluster = new emr.Cluster(
    ctx.name("emr"),
    {
      name: plan.session,
      releaseLabel: bigData.release,
      applications: emrApplications(bigData.applications),
      serviceRole: roles.serviceRole.arn,
      ec2Attributes: {
        subnetId: net.privateSubnetId,
        instanceProfile: roles.instanceProfile.arn,
        ...(net.keyName ? { keyName: net.keyName } : {}),
        emrManagedMasterSecurityGroup: masterGroup.id,
        emrManagedSlaveSecurityGroup: coreGroup.id,
        ...(serviceGroup ? { serviceAccessSecurityGroup: serviceGroup.id } : {}),
        additionalMasterSecurityGroups: net.sessionGroup.id,
        additionalSlaveSecurityGroups: net.sessionGroup.id,
      },
      masterInstanceGroup: { instanceType: master.instanceType, instanceCount: 1, ebsConfigs: ebs(master), ...(masterBid ? { bidPrice: masterBid } : {}) },
      // EMR reclaims spot nodes by terminating them (spotInterruption has no say here).
      coreInstanceGroup: {
        instanceType: firstWorker.instanceType,
        instanceCount: workers.length,
        ebsConfigs: ebs(firstWorker),
        ...(workerBid ? { bidPrice: workerBid } : {}),
      },
      // autoStop on EMR terminates the idle cluster (EMR clusters cannot be stopped); `up` recreates it.
      ...(plan.autoStop ? { autoTerminationPolicy: { idleTimeout: plan.autoStop.idleMinutes * 60 } } : {}),
      keepJobFlowAliveWhenNoSteps: true,
      terminationProtection: false,
      tags: tagsFor(ctx, "emr", "master"),
    },
    { ...net.opts, dependsOn: [...roles.ready, ...rules] },
  );
  return { cloudId: cluster.id, masterAddress: cluster.masterPublicDns };
}
