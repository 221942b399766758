/**
 * The IAM roles an EMR cluster needs, with AWS-managed policies: the service role (EMR acting in
 * the account, AmazonEMRServicePolicy_v2) and the instance profile of the cluster's instances.
 * The v2 service policy only passes its default role name, so passing ours is granted explicitly.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { EmitContext } from "../../../components/adapter.js";
import { partitionOf, tagsFor, type AwsNetwork } from "./provider.js";
import { iam } from "./sdk.js";

export interface EmrRoles {
  serviceRole: iam.Role;
  instanceProfile: iam.InstanceProfile;
  /** What the cluster must wait for (policies attached before EMR uses the roles). */
  ready: pulumi.Resource[];
}

function assumedBy(service: string): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });
}

export function emrRoles(ctx: EmitContext, net: AwsNetwork): EmrRoles {
  const opts = net.opts;
  const policy = (name: string) => `arn:${partitionOf(net.region)}:iam::aws:policy/service-role/${name}`;
  const serviceRole = new iam.Role(
    ctx.name("emr-service"),
    {
      assumeRolePolicy: assumedBy("elasticmapreduce.amazonaws.com"),
      description: `EMR service role of ${ctx.plan.session}`,
      tags: tagsFor(ctx, "emr-service"),
    },
    opts,
  );
  const serviceAttach = new iam.RolePolicyAttachment(
    ctx.name("emr-service-policy"),
    { role: serviceRole.name, policyArn: policy("AmazonEMRServicePolicy_v2") },
    opts,
  );
  const ec2Role = new iam.Role(
    ctx.name("emr-ec2"),
    { assumeRolePolicy: assumedBy("ec2.amazonaws.com"), description: `EMR instance role of ${ctx.plan.session}`, tags: tagsFor(ctx, "emr-ec2") },
    opts,
  );
  const ec2Attach = new iam.RolePolicyAttachment(
    ctx.name("emr-ec2-policy"),
    { role: ec2Role.name, policyArn: policy("AmazonElasticMapReduceforEC2Role") },
    opts,
  );
  const passRole = new iam.RolePolicy(
    ctx.name("emr-pass-role"),
    {
      role: serviceRole.id,
      policy: ec2Role.arn.apply((arn) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:PassRole", Resource: arn }] })),
    },
    opts,
  );
  const instanceProfile = new iam.InstanceProfile(ctx.name("emr-ec2-profile"), { role: ec2Role.name, tags: tagsFor(ctx, "emr-ec2-profile") }, opts);
  return { serviceRole, instanceProfile, ready: [serviceAttach, ec2Attach, passRole] };
}
