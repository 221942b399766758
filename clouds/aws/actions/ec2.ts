/**
 * The EC2 calls the AWS driver makes, each one request through the modular SDK (client-ec2), which
 * is imported on the first call and never before. One client per region, built with the SDK's own
 * retries off: the batch layer (batch.ts) owns retries, backoff with jitter and the per-target
 * timeout, and two retry loops stacked would multiply attempts and hide throttling from it.
 */
import type * as Ec2Sdk from "@aws-sdk/client-ec2";
import type { EC2Client, EC2ClientConfig, Image, Instance, SpotInstanceRequest } from "@aws-sdk/client-ec2";
import { classifyAwsError, ec2Raw, fromEc2State, type Ec2RawState } from "./states.js";
import { ActionError, type ActionTarget, type MachineState } from "../../../automation/actions/types.js";

/** The SDK module, as `import()` gives it. */
export type Sdk = typeof Ec2Sdk;

/** An instance as read just now: the SDK's record (undefined when EC2 no longer knows it) and its states. */
export interface Seen {
  instance: Instance | undefined;
  raw: Ec2RawState;
  state: MachineState;
}

/**
 * The client settings: one attempt per call (`maxAttempts: 1`, i.e. no SDK retry), and the region
 * when one is known; without one the SDK reads AWS_REGION or the profile, as the AWS CLI does.
 */
export function ec2ClientConfig(region?: string): EC2ClientConfig {
  return { maxAttempts: 1, ...(region ? { region } : {}) };
}

/** The machine's EC2 instance id; actions need it (the session's outputs carry it as the machine's cloud id). */
export function instanceId(t: ActionTarget): string {
  if (!t.providerId)
    throw new ActionError("other", `no EC2 instance id for ${label(t)}: run \`formations refresh ${t.session}\` so the session knows its machines`);
  return t.providerId;
}

export const label = (t: ActionTarget) => `${t.session}/${t.machine}`;

/** EC2 through the SDK: lazily loaded, one client per region, every failure classified. */
export class Ec2Api {
  private sdk?: Promise<Sdk>;
  private readonly clients = new Map<string, EC2Client>();

  constructor(private readonly defaultRegion?: string) {}

  /** The SDK module, imported once on first use. */
  load(): Promise<Sdk> {
    this.sdk ??= import("@aws-sdk/client-ec2");
    return this.sdk;
  }

  /** Sends one command built from the SDK module; failures come back as ActionErrors. */
  async call<R>(t: ActionTarget, f: (sdk: Sdk, client: EC2Client) => Promise<R>, states: { from?: MachineState } = {}): Promise<R> {
    try {
      const sdk = await this.load();
      return await f(sdk, this.client(sdk, t.region ?? this.defaultRegion));
    } catch (err) {
      throw classifyAwsError(err, label(t), states);
    }
  }

  /** The instance now; `missing` when EC2 does not know the id any more (terminated instances vanish after about an hour). */
  async describe(t: ActionTarget): Promise<Seen> {
    const id = instanceId(t);
    let instance: Instance | undefined;
    try {
      const out = await this.call(t, (sdk, c) => c.send(new sdk.DescribeInstancesCommand({ InstanceIds: [id] })));
      instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id);
    } catch (err) {
      if (!(err instanceof ActionError && err.kind === "not-found")) throw err;
    }
    return { instance, raw: ec2Raw(instance), state: fromEc2State(instance) };
  }

  /** The spot request an instance came from (undefined for on-demand instances). Asks EC2 only for spot instances. */
  async spotRequest(t: ActionTarget, instance: Instance | undefined, from: MachineState): Promise<SpotInstanceRequest | undefined> {
    if (t.spot === false || instance?.InstanceLifecycle !== "spot" || !instance.SpotInstanceRequestId) return undefined;
    const ids = [instance.SpotInstanceRequestId];
    const out = await this.call(t, (sdk, c) => c.send(new sdk.DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: ids })), { from });
    return out.SpotInstanceRequests?.[0];
  }

  /**
   * Whether the instance came from a one-time spot request: such an instance can never be stopped
   * (EC2 refuses), only terminated. The plan's word (`t.oneTimeSpot`) comes first and costs no call;
   * without it, EC2's: the request the instance names. An EC2-compatible service that does not link
   * a spot instance to its request (moto does not) must not turn a one-time spot machine into a
   * plain stop that real EC2 would refuse, leaving it running.
   */
  async oneTimeSpot(t: ActionTarget, instance: Instance | undefined, from: MachineState): Promise<boolean> {
    if (t.oneTimeSpot) return true;
    return (await this.spotRequest(t, instance, from))?.Type === "one-time";
  }

  /** The AMI as EC2 describes it now (undefined while it is not visible yet). */
  async image(t: ActionTarget, imageId: string): Promise<Image | undefined> {
    const out = await this.call(t, (sdk, c) => c.send(new sdk.DescribeImagesCommand({ ImageIds: [imageId] })));
    return out.Images?.[0];
  }

  private client(sdk: Sdk, region: string | undefined): EC2Client {
    const key = region ?? "";
    let c = this.clients.get(key);
    if (!c) this.clients.set(key, (c = new sdk.EC2Client(ec2ClientConfig(region))));
    return c;
  }
}

/** What a snapshot of a running machine is: EC2 images it without rebooting it. */
export const CRASH_CONSISTENT = "imaged while running, without reboot: the image is crash-consistent (stop the machine first for a clean one)";

/** The tag that names the machine a snapshot came from (with `managed-by: formations`: the marks `images delete` checks). */
export const SNAPSHOT_OF_TAG = "formations-snapshot-of";
export const MANAGED_BY_TAG = { Key: "managed-by", Value: "formations" } as const;

/** CreateImage without reboot, the image and its snapshots tagged with where they came from. */
export async function createImage(sdk: Sdk, c: EC2Client, t: ActionTarget, id: string, name: string): Promise<string> {
  const Tags = [
    { Key: "Name", Value: name },
    { Key: SNAPSHOT_OF_TAG, Value: label(t) },
    { Key: MANAGED_BY_TAG.Key, Value: MANAGED_BY_TAG.Value },
  ];
  const out = await c.send(
    new sdk.CreateImageCommand({
      InstanceId: id,
      Name: name,
      Description: `formations snapshot of ${label(t)}`,
      // Never reboot a user's running machine behind their back.
      NoReboot: true,
      TagSpecifications: [
        { ResourceType: "image", Tags },
        { ResourceType: "snapshot", Tags },
      ],
    }),
  );
  if (!out.ImageId) throw new ActionError("other", `EC2 accepted the image of ${label(t)} but returned no image id`);
  return out.ImageId;
}

/** Reads until `done` or the deadline; returns the last read and whether `done` said yes. */
export async function pollUntil<T>(read: () => Promise<T>, done: (v: T) => boolean, deadline: number, pollMs: number): Promise<{ value: T; reached: boolean }> {
  for (;;) {
    const value = await read();
    if (done(value)) return { value, reached: true };
    if (Date.now() + pollMs > deadline) return { value, reached: false };
    await new Promise<void>((r) => setTimeout(r, pollMs));
  }
}
