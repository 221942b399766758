/**
 * Layer 4: the AWS image store (clouds/aws/actions/images.ts) on the exact EC2 requests it sends,
 * with aws-sdk-client-mock (the SDK's own mock library: nothing leaves the process). An AMI is
 * sized by its EBS volumes; deleting it deregisters it, then deletes each of its EBS snapshots;
 * an AMI EC2 no longer knows is reported gone, with nothing sent to delete.
 */
import { DeleteSnapshotCommand, DeregisterImageCommand, DescribeImagesCommand, EC2Client, EC2ServiceException } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { AwsImages } from "../../../clouds/aws/actions/images.js";

const ec2 = mockClient(EC2Client);
const sent = () => ec2.calls().map((c) => [c.args[0].constructor.name, c.args[0].input]);
const ami = { imageId: "ami-0abc", name: "lab-machine-1-20260101", region: "eu-west-1" };
const described = {
  Images: [
    {
      ImageId: "ami-0abc",
      State: "available" as const,
      BlockDeviceMappings: [
        { DeviceName: "/dev/xvda", Ebs: { SnapshotId: "snap-1", VolumeSize: 30 } },
        { DeviceName: "/dev/xvdb", Ebs: { SnapshotId: "snap-2", VolumeSize: 100 } },
        { DeviceName: "/dev/xvdc", VirtualName: "ephemeral0" },
      ],
    },
  ],
};

beforeEach(() => ec2.reset());

describe("AwsImages", () => {
  it("sizes an AMI by the sum of its EBS volumes", async () => {
    ec2.on(DescribeImagesCommand).resolves(described);
    expect(await new AwsImages({ region: "eu-west-1" }).sizeGb(ami)).toBe(130);
    expect(sent()).toEqual([["DescribeImagesCommand", { ImageIds: ["ami-0abc"] }]]);
  });

  it("deregisters the AMI, then deletes each of its EBS snapshots", async () => {
    ec2.on(DescribeImagesCommand).resolves(described);
    ec2.on(DeregisterImageCommand).resolves({});
    ec2.on(DeleteSnapshotCommand).resolves({});
    const r = await new AwsImages({ region: "eu-west-1" }).remove(ami);
    expect(r).toEqual({ deleted: ["AMI ami-0abc", "EBS snapshot snap-1", "EBS snapshot snap-2"] });
    expect(sent()).toEqual([
      ["DescribeImagesCommand", { ImageIds: ["ami-0abc"] }],
      ["DeregisterImageCommand", { ImageId: "ami-0abc" }],
      ["DeleteSnapshotCommand", { SnapshotId: "snap-1" }],
      ["DeleteSnapshotCommand", { SnapshotId: "snap-2" }],
    ]);
  });

  it("reports an AMI EC2 no longer knows as gone, deleting nothing", async () => {
    ec2.on(DescribeImagesCommand).rejects(
      new EC2ServiceException({
        name: "InvalidAMIID.NotFound",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
        message: "The image id '[ami-0abc]' does not exist",
      }),
    );
    expect(await new AwsImages({ region: "eu-west-1" }).remove(ami)).toEqual({ deleted: [], gone: true });
    expect(sent().map(([n]) => n)).toEqual(["DescribeImagesCommand"]);
  });
});
