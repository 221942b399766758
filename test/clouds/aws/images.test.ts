/**
 * Layer 4: the AWS image store (clouds/aws/actions/images.ts) on the exact EC2 requests it sends,
 * with aws-sdk-client-mock (the SDK's own mock library: nothing leaves the process). An AMI is
 * sized by its EBS volumes; deleting it checks that the AMI and each of its EBS snapshots carry
 * the tags formations' snapshot sets, then deregisters it and deletes each of those snapshots;
 * an AMI or a snapshot without them is refused (exit 1) with no deleting request sent; an AMI
 * EC2 no longer knows is reported gone, with nothing sent to delete.
 */
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  EC2ServiceException,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { AwsImages } from "../../../clouds/aws/actions/images.js";
import { ActionError } from "../../../automation/actions/types.js";
import { UserError } from "../../../user-error.js";

const ec2 = mockClient(EC2Client);
const sent = () => ec2.calls().map((c) => [c.args[0].constructor.name, c.args[0].input]);
const ami = { imageId: "ami-0abc", name: "lab-machine-1-20260101", region: "eu-west-1" };
/** The tags ec2.ts createImage puts on the AMI and on each of its snapshots. */
const MARKS = [
  { Key: "Name", Value: "lab-machine-1-20260101" },
  { Key: "formations-snapshot-of", Value: "lab/machine-1" },
  { Key: "managed-by", Value: "formations" },
];
const snapshots = (...ids: string[]) => ({ Snapshots: ids.map((SnapshotId) => ({ SnapshotId, Tags: MARKS })) });
const notFound = (name: string, message: string) => new EC2ServiceException({ name, $fault: "client", $metadata: { httpStatusCode: 400 }, message });
const described = {
  Images: [
    {
      ImageId: "ami-0abc",
      Name: "lab-machine-1-20260101",
      State: "available" as const,
      Tags: MARKS,
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
    ec2.on(DescribeSnapshotsCommand).resolves(snapshots("snap-1", "snap-2"));
    ec2.on(DeregisterImageCommand).resolves({});
    ec2.on(DeleteSnapshotCommand).resolves({});
    const r = await new AwsImages({ region: "eu-west-1" }).remove(ami);
    expect(r).toEqual({ deleted: ["AMI ami-0abc", "EBS snapshot snap-1", "EBS snapshot snap-2"] });
    expect(sent()).toEqual([
      ["DescribeImagesCommand", { ImageIds: ["ami-0abc"] }],
      ["DescribeSnapshotsCommand", { SnapshotIds: ["snap-1", "snap-2"] }],
      ["DeregisterImageCommand", { ImageId: "ami-0abc" }],
      ["DeleteSnapshotCommand", { SnapshotId: "snap-1" }],
      ["DeleteSnapshotCommand", { SnapshotId: "snap-2" }],
    ]);
  });

  it("reports an AMI EC2 no longer knows as gone, deleting nothing", async () => {
    ec2.on(DescribeImagesCommand).rejects(notFound("InvalidAMIID.NotFound", "The image id '[ami-0abc]' does not exist"));
    expect(await new AwsImages({ region: "eu-west-1" }).remove(ami)).toEqual({ deleted: [], gone: true });
    expect(sent().map(([n]) => n)).toEqual(["DescribeImagesCommand"]);
  });

  it("refuses an AMI without formations' tags: exit 1, the AMI and the missing tags named, no deleting request sent", async () => {
    const theirs = { Images: [{ ...described.Images[0]!, Name: "golden-base", Tags: [{ Key: "Name", Value: "golden-base" }] }] };
    ec2.on(DescribeImagesCommand).resolves(theirs);
    const err = await new AwsImages({ region: "eu-west-1" }).remove(ami).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({
      exitCode: 1,
      message:
        "AMI ami-0abc (golden-base) lacks the tags managed-by: formations and formations-snapshot-of: formations' snapshot tags every image it takes with managed-by: formations and formations-snapshot-of, and deletes only those, so nothing was deleted",
      hint: "if it is yours to delete: aws ec2 --region eu-west-1 deregister-image --image-id ami-0abc, then aws ec2 --region eu-west-1 delete-snapshot --snapshot-id SNAP for each of snap-1, snap-2",
    });
    expect(sent()).toEqual([["DescribeImagesCommand", { ImageIds: ["ami-0abc"] }]]);
  });

  it("names the one tag missing: managed-by set by someone else is not formations'", async () => {
    const tags = [
      { Key: "managed-by", Value: "terraform" },
      { Key: "formations-snapshot-of", Value: "lab/machine-1" },
    ];
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ...described.Images[0]!, Tags: tags }] });
    await expect(new AwsImages({ region: "eu-west-1" }).remove(ami)).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(/^AMI ami-0abc \(lab-machine-1-20260101\) lacks the tag managed-by: formations: /),
    });
    expect(sent().map(([n]) => n)).toEqual(["DescribeImagesCommand"]);
  });

  it("refuses a formations AMI whose EBS snapshot lacks the tags: the snapshot named, nothing deregistered or deleted", async () => {
    ec2.on(DescribeImagesCommand).resolves(described);
    ec2.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [
        { SnapshotId: "snap-1", Tags: MARKS },
        { SnapshotId: "snap-2", Tags: [{ Key: "managed-by", Value: "formations" }] },
      ],
    });
    const err = await new AwsImages({ region: "eu-west-1" }).remove(ami).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({
      exitCode: 1,
      message:
        "AMI ami-0abc (lab-machine-1-20260101) is formations', but its EBS snapshot snap-2 (no formations-snapshot-of) lacks the tags formations' snapshot puts on the snapshots it takes (managed-by: formations and formations-snapshot-of): formations deletes only what it made, so nothing was deleted",
    });
    expect(sent()).toEqual([
      ["DescribeImagesCommand", { ImageIds: ["ami-0abc"] }],
      ["DescribeSnapshotsCommand", { SnapshotIds: ["snap-1", "snap-2"] }],
    ]);
  });

  it("a snapshot already gone is skipped: EC2 answers for none, so each is asked for, and only the one there is deleted", async () => {
    ec2.on(DescribeImagesCommand).resolves(described);
    ec2.on(DescribeSnapshotsCommand).rejects(notFound("InvalidSnapshot.NotFound", "The snapshot 'snap-1' does not exist."));
    ec2.on(DescribeSnapshotsCommand, { SnapshotIds: ["snap-2"] }).resolves(snapshots("snap-2"));
    ec2.on(DeregisterImageCommand).resolves({});
    ec2.on(DeleteSnapshotCommand).resolves({});
    expect(await new AwsImages({ region: "eu-west-1" }).remove(ami)).toEqual({ deleted: ["AMI ami-0abc", "EBS snapshot snap-2"] });
    expect(sent()).toEqual([
      ["DescribeImagesCommand", { ImageIds: ["ami-0abc"] }],
      ["DescribeSnapshotsCommand", { SnapshotIds: ["snap-1", "snap-2"] }],
      ["DescribeSnapshotsCommand", { SnapshotIds: ["snap-1"] }],
      ["DescribeSnapshotsCommand", { SnapshotIds: ["snap-2"] }],
      ["DeregisterImageCommand", { ImageId: "ami-0abc" }],
      ["DeleteSnapshotCommand", { SnapshotId: "snap-2" }],
    ]);
  });

  it("a failure halfway says what was deleted and what is left, and sends nothing after it", async () => {
    ec2.on(DescribeImagesCommand).resolves(described);
    ec2.on(DescribeSnapshotsCommand).resolves(snapshots("snap-1", "snap-2"));
    ec2.on(DeregisterImageCommand).resolves({});
    ec2
      .on(DeleteSnapshotCommand)
      .rejects(new EC2ServiceException({ name: "UnauthorizedOperation", $fault: "client", $metadata: { httpStatusCode: 403 }, message: "not allowed" }));
    const err = await new AwsImages({ region: "eu-west-1" }).remove(ami).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    expect((err as Error).message).toMatch(
      /; deleted AMI ami-0abc; still there: EBS snapshot snap-1, EBS snapshot snap-2 \(the AMI is deregistered: aws ec2 --region eu-west-1 delete-snapshot --snapshot-id SNAP for each once that is fixed\)$/,
    );
    expect(sent().map(([n]) => n)).toEqual(["DescribeImagesCommand", "DescribeSnapshotsCommand", "DeregisterImageCommand", "DeleteSnapshotCommand"]);
  });
});
