/**
 * Seeding moto's EC2 as a session's `up` would have left it, and reading it back, with the AWS SDK
 * for JavaScript (the same client the driver uses, pointed at moto by test/moto/setup.ts).
 *
 * Each planned machine becomes one RunInstances with what clouds/aws/emit/machine.ts gives
 * aws.ec2.Instance: the tags (the session's labels, formations-role, Name `<session>-<machine>`),
 * an encrypted gp3 root volume deleted on termination, IMDSv2, hibernation at launch where the
 * plan enables it (not on one-time spot), and spot market options (one-time when reclaimed
 * machines are terminated, persistent otherwise). The session store is a FakeEngine whose `up`
 * exports these instance ids as the machines' cloud ids, as the real program would.
 */
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type _InstanceType,
  type Image,
  type Instance,
  type Tag,
} from "@aws-sdk/client-ec2";
import { loadFormationText } from "../../format/load.js";
import { planSession } from "../../plan/index.js";
import type { PlannedMachine, PowerState, SessionPlan } from "../../plan/types.js";
import type { FakeEngine } from "../automation/fake-engine.js";
import type { Harness } from "../automation/helpers.js";

export const REGION = "eu-west-1";

let client: EC2Client | undefined;
/** The test's own client (not the driver's): reads and seeds. */
export function ec2(): EC2Client {
  client ??= new EC2Client({ region: REGION });
  return client;
}

let ami: Promise<string> | undefined;
/** An AMI from moto's catalog for the region (moto ships Amazon's public images' records). */
function someAmi(): Promise<string> {
  ami ??= ec2()
    .send(new DescribeImagesCommand({ Owners: ["amazon"] }))
    .then((out) => {
      const id = out.Images?.find((i) => String(i.Platform ?? "").toLowerCase() !== "windows")?.ImageId;
      if (!id) throw new Error("moto lists no Amazon image in eu-west-1");
      return id;
    });
  return ami;
}

const tagList = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** The tags machine.ts puts on an instance: labels (formations-session, -formation, -kind, managed-by, the formation's) and role. */
export function tagsOf(plan: SessionPlan, m: PlannedMachine): Record<string, string> {
  return { ...plan.labels, "formations-role": m.role, Name: `${plan.session}-${m.name}` };
}

/** One instance as `up` creates it for a planned machine; returns its id. */
export async function runInstance(plan: SessionPlan, m: PlannedMachine): Promise<string> {
  const oneTime = m.spot && plan.spotInterruption === "terminate";
  const hibernation = m.hibernation && !oneTime;
  const tags = tagList(tagsOf(plan, m));
  const out = await ec2().send(
    new RunInstancesCommand({
      ImageId: await someAmi(),
      InstanceType: m.instanceType as _InstanceType,
      MinCount: 1,
      MaxCount: 1,
      BlockDeviceMappings: [{ DeviceName: "/dev/sda1", Ebs: { VolumeType: "gp3", VolumeSize: m.diskGb, Encrypted: true, DeleteOnTermination: true } }],
      MetadataOptions: { HttpTokens: "required", HttpEndpoint: "enabled", HttpPutResponseHopLimit: 1 },
      ...(hibernation ? { HibernationOptions: { Configured: true } } : {}),
      ...(m.spot
        ? {
            InstanceMarketOptions: {
              MarketType: "spot",
              SpotOptions: {
                SpotInstanceType: oneTime ? "one-time" : "persistent",
                InstanceInterruptionBehavior: oneTime ? "terminate" : plan.spotInterruption === "hibernate" && !m.hibernation ? "stop" : plan.spotInterruption,
              },
            },
          }
        : {}),
      TagSpecifications: [
        { ResourceType: "instance", Tags: tags },
        { ResourceType: "volume", Tags: tags },
      ],
    }),
  );
  const id = out.Instances?.[0]?.InstanceId;
  if (!id) throw new Error(`moto launched nothing for ${plan.session}/${m.name}`);
  return id;
}

/** Instance ids by session, then machine: what the FakeEngine's `up` exports as cloud ids. */
export type Seeded = Map<string, Map<string, string>>;

/**
 * Backs the harness's FakeEngine with moto: its `up` exports the seeded instances' ids, and its
 * `refresh` reads their states from moto, as Pulumi's refresh reads them from EC2 (a terminated
 * instance is gone from the state). Otherwise the refresh after each driver action would read
 * FakeEngine's own fake cloud, which never sees what the driver did, and record that as drift.
 */
export function exportSeeded(engine: FakeEngine, seeded: Seeded): void {
  engine.cloudId = (session, machine) => seeded.get(session)?.get(machine);
  engine.readCloud = async (session, machines) => {
    const ids = seeded.get(session);
    const read = await Promise.all(
      machines.map(async (m): Promise<[string, PowerState | "deleted"] | undefined> => {
        const id = ids?.get(m);
        if (!id) return undefined;
        const raw = await stateOf(id);
        return [m, raw === "terminated" || raw === "shutting-down" ? "deleted" : raw === "stopped" || raw === "stopping" ? "stopped" : "running"];
      }),
    );
    return Object.fromEntries(read.filter((x) => x !== undefined));
  };
}

/**
 * A session whose machines exist in moto as `up` would have created them: plans the formation,
 * launches one instance per machine, then runs the session's `up` (FakeEngine) so its outputs
 * name those instances. Returns the instance id per machine.
 */
export async function seedSession(h: Harness, seeded: Seeded, session: string, text: string): Promise<Map<string, string>> {
  const plan = planSession(loadFormationText(text), { session });
  const ids = new Map<string, string>();
  for (const m of plan.machines) ids.set(m.name, await runInstance(plan, m));
  seeded.set(session, ids);
  exportSeeded(h.engine, seeded);
  await h.sessions.up(await h.file(`${session}.yaml`, text), { session });
  return ids;
}

/** The instance as moto describes it now. */
export async function instance(id: string): Promise<Instance> {
  const out = await ec2().send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const i = out.Reservations?.flatMap((r) => r.Instances ?? []).find((x) => x.InstanceId === id);
  if (!i) throw new Error(`moto does not know ${id}`);
  return i;
}

/** moto's raw state name of an instance. */
export async function stateOf(id: string): Promise<string | undefined> {
  return (await instance(id)).State?.Name;
}

/** The AMI as moto describes it (undefined when unknown). */
export async function image(id: string): Promise<Image | undefined> {
  return (await ec2().send(new DescribeImagesCommand({ ImageIds: [id] }))).Images?.[0];
}

/** Tags of a resource as a record. */
export function tagRecord(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

/** The tags of the snapshot behind an AMI's root device. */
export async function snapshotTags(img: Image): Promise<Record<string, string>> {
  const id = img.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId;
  if (!id) return {};
  const out = await ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }));
  return tagRecord(out.Snapshots?.[0]?.Tags);
}

/** Someone stops an instance outside formations (the console, the AWS CLI). */
export async function stopBehindOurBack(id: string): Promise<void> {
  await ec2().send(new StopInstancesCommand({ InstanceIds: [id] }));
}

/** Someone starts an instance outside formations. */
export async function startBehindOurBack(id: string): Promise<void> {
  await ec2().send(new StartInstancesCommand({ InstanceIds: [id] }));
}
