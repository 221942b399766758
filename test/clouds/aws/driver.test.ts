/**
 * Test layer 4: cloud SDK calls on their exact requests (the SDK's mock library or HTTP interception); no cloud is reached.
 * The AWS driver on the exact EC2 requests it sends, with aws-sdk-client-mock (the SDK's own mock
 * library: it stubs EC2Client#send, so every command and its input are recorded and nothing leaves
 * the process). Covers the state mapping, every action, no-ops that send nothing mutating, honest
 * hibernation, the one-time spot stop, error classes, and batches with throttling and a failure.
 */
import {
  CancelSpotInstanceRequestsCommand,
  CreateImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSpotInstanceRequestsCommand,
  EC2Client,
  EC2ServiceException,
  RebootInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ec2ClientConfig } from "../../../clouds/aws/actions/ec2.js";
import { classifyAwsError, fromEc2State } from "../../../clouds/aws/actions/states.js";
import { AwsDriver } from "../../../clouds/aws/actions/driver.js";
import { runBatch } from "../../../automation/actions/batch.js";
import { ActionError, type ActionTarget } from "../../../automation/actions/types.js";

const ec2 = mockClient(EC2Client);
const NOW = new Date("2026-01-02T03:04:05Z");
const driver = () => new AwsDriver({ pollMs: 0, waitMs: 60_000, now: () => NOW });
const target = (id = "i-1", extra: Partial<ActionTarget> = {}): ActionTarget => ({
  session: "lab",
  machine: "head",
  role: "head",
  providerId: id,
  region: "eu-west-1",
  ...extra,
});

/** A DescribeInstances answer for one instance. */
const described = (state: string, extra: Partial<Instance> = {}, id = "i-1") => ({
  Reservations: [{ Instances: [{ InstanceId: id, State: { Name: state as never }, ...extra }] }],
});
const hibernated = { StateReason: { Code: "Client.UserInitiatedHibernate", Message: "Client.UserInitiatedHibernate: User initiated hibernate" } };
const sdkError = (name: string, status = 400) =>
  new EC2ServiceException({ name, $fault: "client", $metadata: { httpStatusCode: status }, message: `${name} (test)` });

/** Every command sent, as [command name, input], in order. */
const sent = () => ec2.calls().map((c) => [c.args[0].constructor.name, c.args[0].input]);
/** Names of commands that change something (everything but Describe*). */
const mutating = () => sent().filter(([name]) => !String(name).startsWith("Describe"));

beforeEach(() => ec2.reset());
afterEach(() => vi.useRealTimers());

describe("fromEc2State", () => {
  it.each([
    ["pending", undefined, "pending"],
    ["running", undefined, "running"],
    ["stopping", undefined, "pending"],
    ["stopped", undefined, "stopped"],
    ["stopped", "Client.UserInitiatedShutdown", "stopped"],
    ["stopped", "Client.UserInitiatedHibernate", "hibernated"],
    ["shutting-down", undefined, "terminated"],
    ["terminated", undefined, "terminated"],
    ["terminated", "Server.SpotInstanceTermination", "interrupted"],
    ["shutting-down", "Server.SpotInstanceTermination", "interrupted"],
    ["stopped", "Server.SpotInstanceShutdown", "interrupted"],
    // A running instance's stale reason does not make it interrupted.
    ["running", "Server.SpotInstanceTermination", "running"],
  ])("%s (%s) is %s", (name, code, state) => {
    expect(fromEc2State({ State: { Name: name }, ...(code ? { StateReason: { Code: code } } : {}) })).toBe(state);
  });

  it("no instance is terminated; a state EC2 may add later is an error, not a guess", () => {
    expect(fromEc2State(undefined)).toBe("terminated");
    expect(() => fromEc2State({ State: { Name: "rebooting" } })).toThrow(/unknown EC2 instance state 'rebooting'/);
  });
});

describe("the EC2 client", () => {
  it("makes one attempt per call (the batch owns retries) in the target's region", async () => {
    expect(ec2ClientConfig("eu-west-1")).toEqual({ maxAttempts: 1, region: "eu-west-1" });
    expect(ec2ClientConfig()).toEqual({ maxAttempts: 1 });
    ec2.on(DescribeInstancesCommand).resolves(described("running"));
    await driver().state(target());
    const client = ec2.call(0).thisValue as EC2Client;
    expect(await client.config.maxAttempts()).toBe(1);
    expect(await client.config.region()).toBe("eu-west-1");
  });

  it("asks for the instance by id", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described("stopped", hibernated));
    expect(await driver().state(target())).toBe("hibernated");
    expect(sent()).toEqual([["DescribeInstancesCommand", { InstanceIds: ["i-1"] }]]);
  });

  it("an id EC2 no longer knows is terminated; a target without id fails saying what to do", async () => {
    ec2.on(DescribeInstancesCommand).rejects(sdkError("InvalidInstanceID.NotFound"));
    expect(await driver().state(target())).toBe("terminated");
    await expect(driver().state(target(undefined, { providerId: undefined }))).rejects.toThrow(
      /no EC2 instance id for lab\/head: run `formations refresh lab`/,
    );
  });
});

describe("start", () => {
  it("sends StartInstances and waits for running", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(described("stopped")).resolvesOnce(described("pending")).resolves(described("running"));
    ec2.on(StartInstancesCommand).resolves({});
    const r = await driver().start(target());
    expect(r).toMatchObject({ outcome: "done", from: "stopped", to: "running" });
    expect(mutating()).toEqual([["StartInstancesCommand", { InstanceIds: ["i-1"] }]]);
  });

  it("resumes a hibernated instance with the same call", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(described("stopped", hibernated)).resolves(described("running"));
    ec2.on(StartInstancesCommand).resolves({});
    expect(await driver().start(target())).toMatchObject({ outcome: "done", from: "hibernated", to: "running" });
  });

  it.each(["running", "pending"])("is a no-op on a %s instance, with no mutating request", async (state) => {
    ec2.on(DescribeInstancesCommand).resolves(described(state));
    expect(await driver().start(target())).toMatchObject({ outcome: "no-op" });
    expect(mutating()).toEqual([]);
  });

  it("returns the transitional state when the wait runs out", async () => {
    vi.useFakeTimers();
    ec2.on(DescribeInstancesCommand).resolvesOnce(described("stopped")).resolves(described("pending"));
    ec2.on(StartInstancesCommand).resolves({});
    const p = new AwsDriver({ pollMs: 1_000, waitMs: 5_000 }).start(target());
    await vi.runAllTimersAsync();
    expect(await p).toMatchObject({ outcome: "done", from: "stopped", to: "pending" });
  });
});

describe("stop and shutdown", () => {
  it("stop sends a plain StopInstances and waits for stopped", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(described("running")).resolvesOnce(described("stopping")).resolves(described("stopped"));
    ec2.on(StopInstancesCommand).resolves({});
    expect(await driver().stop(target())).toMatchObject({ outcome: "done", from: "running", to: "stopped" });
    expect(mutating()).toEqual([["StopInstancesCommand", { InstanceIds: ["i-1"] }]]);
  });

  it("force stop skips the OS shutdown and forces a stuck stop through", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(described("stopping")).resolves(described("stopped"));
    ec2.on(StopInstancesCommand).resolves({});
    expect(await driver().stop(target(), true)).toMatchObject({ outcome: "done", to: "stopped" });
    expect(mutating()).toEqual([["StopInstancesCommand", { InstanceIds: ["i-1"], Force: true, SkipOsShutdown: true }]]);
  });

  it("shutdown is the graceful stop", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(described("running")).resolves(described("stopped"));
    ec2.on(StopInstancesCommand).resolves({});
    expect(await driver().shutdown(target())).toMatchObject({ action: "shutdown", outcome: "done", to: "stopped" });
    expect(mutating()).toEqual([["StopInstancesCommand", { InstanceIds: ["i-1"] }]]);
  });

  it.each([
    ["stopped", {}, "stopped"],
    ["stopped", hibernated, "hibernated"],
    ["stopping", {}, "pending"],
  ])("is a no-op on a %s instance (%o), with no mutating request", async (state, extra, from) => {
    ec2.on(DescribeInstancesCommand).resolves(described(state, extra));
    expect(await driver().stop(target())).toMatchObject({ outcome: "no-op", from, to: from });
    expect(mutating()).toEqual([]);
  });

  it("lets a launching instance reach running before stopping it", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(described("pending")).resolvesOnce(described("running")).resolves(described("stopped"));
    ec2.on(StopInstancesCommand).resolves({});
    expect(await driver().stop(target())).toMatchObject({ outcome: "done", from: "running", to: "stopped" });
  });

  it("a persistent spot instance is stopped like any other", async () => {
    const spot = { InstanceLifecycle: "spot" as const, SpotInstanceRequestId: "sir-1" };
    ec2.on(DescribeInstancesCommand).resolvesOnce(described("running", spot)).resolves(described("stopped", spot));
    ec2.on(DescribeSpotInstanceRequestsCommand).resolves({ SpotInstanceRequests: [{ SpotInstanceRequestId: "sir-1", Type: "persistent" }] });
    ec2.on(StopInstancesCommand).resolves({});
    expect(await driver().stop(target())).toMatchObject({ outcome: "done", to: "stopped" });
    expect(mutating()).toEqual([["StopInstancesCommand", { InstanceIds: ["i-1"] }]]);
  });

  it("a one-time spot instance is imaged, then terminated, never left running; the result says so", async () => {
    const spot = { InstanceLifecycle: "spot" as const, SpotInstanceRequestId: "sir-1" };
    ec2.on(DescribeInstancesCommand).resolvesOnce(described("running", spot)).resolves(described("shutting-down", spot));
    ec2.on(DescribeSpotInstanceRequestsCommand).resolves({ SpotInstanceRequests: [{ SpotInstanceRequestId: "sir-1", Type: "one-time" }] });
    ec2.on(CreateImageCommand).resolves({ ImageId: "ami-1" });
    ec2
      .on(DescribeImagesCommand)
      .resolvesOnce({ Images: [{ ImageId: "ami-1", State: "pending", BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: {} }] }] })
      .resolves({ Images: [{ ImageId: "ami-1", State: "pending", BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: "snap-1" } }] }] });
    ec2.on(TerminateInstancesCommand).resolves({});
    const r = await driver().stop(target());
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "terminated", imageId: "ami-1" });
    expect(r.fallback).toMatch(/one-time spot instance cannot be stopped: imaged as ami-1 \(crash-consistent, no reboot\), then terminated$/);
    expect(sent().map(([name]) => name)).toEqual([
      "DescribeInstancesCommand",
      "DescribeSpotInstanceRequestsCommand",
      "CreateImageCommand",
      "DescribeImagesCommand",
      "DescribeImagesCommand",
      "TerminateInstancesCommand",
      "DescribeInstancesCommand",
    ]);
    expect(ec2.commandCalls(DescribeSpotInstanceRequestsCommand)[0]!.args[0].input).toEqual({ SpotInstanceRequestIds: ["sir-1"] });
    expect(ec2.commandCalls(CreateImageCommand)[0]!.args[0].input).toMatchObject({ InstanceId: "i-1", Name: "lab-head-20260102030405", NoReboot: true });
    expect(ec2.commandCalls(TerminateInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: ["i-1"] });
    expect(ec2.commandCalls(StopInstancesCommand)).toHaveLength(0);
  });

  it("the plan's word that it is one-time spot is enough: imaged and terminated though EC2 names no spot request (as moto answers)", async () => {
    // moto's DescribeInstances gives a spot instance InstanceLifecycle but no SpotInstanceRequestId
    // (test/moto): before this, the driver then sent a plain StopInstances, which real EC2 refuses.
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce(described("running", { InstanceLifecycle: "spot" }))
      .resolves(described("terminated", { InstanceLifecycle: "spot" }));
    ec2.on(CreateImageCommand).resolves({ ImageId: "ami-3" });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: "ami-3", State: "available" }] });
    ec2.on(TerminateInstancesCommand).resolves({});
    const r = await driver().stop(target("i-1", { spot: true, oneTimeSpot: true }));
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "terminated", imageId: "ami-3" });
    expect(mutating().map(([name]) => name)).toEqual(["CreateImageCommand", "TerminateInstancesCommand"]);
    expect(ec2.commandCalls(DescribeSpotInstanceRequestsCommand)).toHaveLength(0);
  });

  it("hibernating a machine the plan says is one-time spot is refused before any mutating request", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described("running", { InstanceLifecycle: "spot", HibernationOptions: { Configured: true } }));
    await expect(driver().hibernate(target("i-1", { spot: true, oneTimeSpot: true }))).rejects.toThrow(
      /lab\/head cannot hibernate: it is a one-time spot instance, which EC2 never stops/,
    );
    expect(mutating()).toEqual([]);
  });

  it("a one-time spot instance still goes when its snapshots are slow to start, and the result warns", async () => {
    vi.useFakeTimers();
    const spot = { InstanceLifecycle: "spot" as const, SpotInstanceRequestId: "sir-1" };
    ec2.on(DescribeInstancesCommand).resolvesOnce(described("running", spot)).resolves(described("terminated", spot));
    ec2.on(DescribeSpotInstanceRequestsCommand).resolves({ SpotInstanceRequests: [{ Type: "one-time" }] });
    ec2.on(CreateImageCommand).resolves({ ImageId: "ami-2" });
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    ec2.on(TerminateInstancesCommand).resolves({});
    const p = new AwsDriver({ pollMs: 1_000, waitMs: 3_000 }).shutdown(target());
    await vi.runAllTimersAsync();
    const r = await p;
    expect(r).toMatchObject({ outcome: "done", to: "terminated", imageId: "ami-2" });
    expect(r.fallback).toMatch(/had not started its snapshots within 3 s: check the image/);
  });
});

describe("hibernate", () => {
  it("is refused before any request when hibernation was not enabled at launch", async () => {
    const p = driver().hibernate(target("i-1", { hibernation: false }));
    await expect(p).rejects.toThrow(/lab\/head cannot hibernate: it was not launched with hibernation .*; use stop$/);
    await expect(p).rejects.toMatchObject({ kind: "invalid-state" });
    expect(sent()).toEqual([]);
  });

  it("is refused before any mutating request when EC2 says hibernation is not configured", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described("running", { HibernationOptions: { Configured: false } }));
    await expect(driver().hibernate(target())).rejects.toThrow(/cannot hibernate: EC2 says hibernation was not enabled when it was launched; use stop/);
    expect(mutating()).toEqual([]);
  });

  it("sends StopInstances with Hibernate and reports hibernated", async () => {
    const on = { HibernationOptions: { Configured: true } };
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce(described("running", on))
      .resolvesOnce(described("stopping", on))
      .resolves(described("stopped", { ...on, ...hibernated }));
    ec2.on(StopInstancesCommand).resolves({});
    const r = await driver().hibernate(target("i-1", { hibernation: true }));
    expect(r).toEqual({ session: "lab", machine: "head", action: "hibernate", outcome: "done", from: "running", to: "hibernated" });
    expect(mutating()).toEqual([["StopInstancesCommand", { InstanceIds: ["i-1"], Hibernate: true }]]);
  });

  it("says so when EC2 fell back to a plain stop", async () => {
    const on = { HibernationOptions: { Configured: true } };
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce(described("running", on))
      .resolves(described("stopped", { ...on, StateReason: { Code: "Client.UserInitiatedShutdown" } }));
    ec2.on(StopInstancesCommand).resolves({});
    const r = await driver().hibernate(target());
    expect(r).toMatchObject({ outcome: "done", to: "stopped", fallback: "EC2 could not hibernate it and stopped it instead: its memory was not kept" });
  });

  it("has no forced variant: force hibernates gracefully and says so", async () => {
    const on = { HibernationOptions: { Configured: true } };
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce(described("running", on))
      .resolves(described("stopped", { ...on, ...hibernated }));
    ec2.on(StopInstancesCommand).resolves({});
    const r = await driver().hibernate(target(), true);
    expect(r).toMatchObject({ to: "hibernated", fallback: "EC2 has no forced hibernation: hibernated as without --force" });
    expect(mutating()).toEqual([["StopInstancesCommand", { InstanceIds: ["i-1"], Hibernate: true }]]);
  });

  it("is a no-op on a hibernated instance, and refused on a stopped one", async () => {
    const on = { HibernationOptions: { Configured: true } };
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce(described("stopped", { ...on, ...hibernated }))
      .resolves(described("stopped", on));
    expect(await driver().hibernate(target())).toMatchObject({ outcome: "no-op", from: "hibernated" });
    await expect(driver().hibernate(target())).rejects.toThrow(/is stopped: there is no memory to keep/);
    expect(mutating()).toEqual([]);
  });
});

describe("reboot, snapshot, terminate", () => {
  it("reboot sends RebootInstances; force says EC2 has no hard reset", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described("running"));
    ec2.on(RebootInstancesCommand).resolves({});
    expect(await driver().reboot(target())).toEqual({ session: "lab", machine: "head", action: "reboot", outcome: "done", from: "running", to: "running" });
    expect((await driver().reboot(target(), true)).fallback).toMatch(/^EC2 has no hard reset: rebooted gracefully/);
    expect(mutating()).toEqual([
      ["RebootInstancesCommand", { InstanceIds: ["i-1"] }],
      ["RebootInstancesCommand", { InstanceIds: ["i-1"] }],
    ]);
  });

  it("reboot of a stopped instance fails saying to start it, sending nothing", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described("stopped"));
    await expect(driver().reboot(target())).rejects.toMatchObject({ kind: "invalid-state", message: "lab/head is stopped: nothing to reboot (use start)" });
    expect(mutating()).toEqual([]);
  });

  it("snapshot is CreateImage without reboot, tagged, and returns the AMI id at once", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described("running"));
    ec2.on(CreateImageCommand).resolves({ ImageId: "ami-9" });
    const r = await driver().snapshot(target(), "golden");
    expect(r).toMatchObject({ action: "snapshot", outcome: "done", from: "running", to: "running", imageId: "ami-9" });
    expect(r.fallback).toMatch(/crash-consistent/);
    const tags = [
      { Key: "Name", Value: "golden" },
      { Key: "formations-snapshot-of", Value: "lab/head" },
      { Key: "managed-by", Value: "formations" },
    ];
    expect(mutating()).toEqual([
      [
        "CreateImageCommand",
        {
          InstanceId: "i-1",
          Name: "golden",
          Description: "formations snapshot of lab/head",
          NoReboot: true,
          TagSpecifications: [
            { ResourceType: "image", Tags: tags },
            { ResourceType: "snapshot", Tags: tags },
          ],
        },
      ],
    ]);
  });

  it("a snapshot of a stopped instance is clean (no caveat) and named after the session, machine and time", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described("stopped"));
    ec2.on(CreateImageCommand).resolves({ ImageId: "ami-10" });
    const r = await driver().snapshot(target());
    expect(r.fallback).toBeUndefined();
    expect(ec2.commandCalls(CreateImageCommand)[0]!.args[0].input.Name).toBe("lab-head-20260102030405");
  });

  it("terminate sends TerminateInstances; terminating a gone instance is a no-op", async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce(described("stopped"))
      .resolvesOnce(described("shutting-down"))
      .rejects(sdkError("InvalidInstanceID.NotFound"));
    ec2.on(TerminateInstancesCommand).resolves({});
    expect(await driver().terminate(target())).toMatchObject({ outcome: "done", from: "stopped", to: "terminated" });
    expect(await driver().terminate(target())).toMatchObject({ outcome: "no-op", from: "terminated", to: "terminated" });
    expect(mutating()).toEqual([["TerminateInstancesCommand", { InstanceIds: ["i-1"] }]]);
  });

  it("terminating a persistent spot instance cancels its request first, or EC2 would launch a new one", async () => {
    const spot = { InstanceLifecycle: "spot" as const, SpotInstanceRequestId: "sir-7" };
    ec2.on(DescribeInstancesCommand).resolvesOnce(described("stopped", spot)).resolves(described("terminated", spot));
    ec2.on(DescribeSpotInstanceRequestsCommand).resolves({ SpotInstanceRequests: [{ SpotInstanceRequestId: "sir-7", Type: "persistent", State: "disabled" }] });
    ec2.on(CancelSpotInstanceRequestsCommand).resolves({});
    ec2.on(TerminateInstancesCommand).resolves({});
    expect(await driver().terminate(target())).toMatchObject({ outcome: "done", to: "terminated" });
    expect(mutating()).toEqual([
      ["CancelSpotInstanceRequestsCommand", { SpotInstanceRequestIds: ["sir-7"] }],
      ["TerminateInstancesCommand", { InstanceIds: ["i-1"] }],
    ]);
  });

  it("a lost race (EC2 says IncorrectInstanceState but the instance is already stopped) is a no-op", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(described("running")).resolves(described("stopped"));
    ec2.on(StopInstancesCommand).rejects(sdkError("IncorrectInstanceState"));
    expect(await driver().stop(target())).toMatchObject({ outcome: "no-op", from: "running", to: "stopped" });
  });
});

describe("classifyAwsError", () => {
  const net = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
  it.each([
    [sdkError("RequestLimitExceeded", 503), "throttled"],
    [sdkError("Throttling"), "throttled"],
    [sdkError("InvalidInstanceID.NotFound"), "not-found"],
    [sdkError("IncorrectInstanceState"), "invalid-state"],
    [sdkError("UnsupportedOperation"), "invalid-state"],
    [sdkError("InternalError", 500), "transient"],
    [net("ECONNREFUSED"), "unreachable"],
    [net("ENOTFOUND"), "unreachable"],
    [net("ECONNRESET"), "transient"],
    [sdkError("UnauthorizedOperation", 403), "other"],
    [Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }), "other"],
  ])("%s is %s", (err, kind) => {
    expect(classifyAwsError(err, "lab/head").kind).toBe(kind);
  });

  it("only throttled and transient failures are retryable", () => {
    const d = driver();
    expect(d.retryable(classifyAwsError(sdkError("RequestLimitExceeded"), "x"))).toBe(true);
    expect(d.retryable(classifyAwsError(sdkError("InternalError", 500), "x"))).toBe(true);
    expect(d.retryable(classifyAwsError(sdkError("IncorrectInstanceState"), "x"))).toBe(false);
    expect(d.retryable(new Error("plain"))).toBe(false);
  });

  it("says how to give credentials without printing any", () => {
    const e = classifyAwsError(Object.assign(new Error("Could not load credentials"), { name: "CredentialsProviderError" }), "lab/head");
    expect(e.message).toBe("no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`");
  });
});

describe("through batch.ts", () => {
  it("retries a throttled stop (RequestLimitExceeded twice) with backoff, then reports done", async () => {
    vi.useFakeTimers();
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce(described("running"))
      .resolvesOnce(described("running"))
      .resolvesOnce(described("running"))
      .resolves(described("stopped"));
    ec2.on(StopInstancesCommand).rejectsOnce(sdkError("RequestLimitExceeded", 503)).rejectsOnce(sdkError("RequestLimitExceeded", 503)).resolves({});
    const p = runBatch(driver(), [target()], "stop", { random: () => 0.5 });
    await vi.runAllTimersAsync();
    const [r] = await p;
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "stopped", attempts: 3 });
    expect(ec2.commandCalls(StopInstancesCommand)).toHaveLength(3);
    // Each StopInstances was one HTTP attempt: the SDK itself retried nothing.
    expect(ec2.commandCalls(StopInstancesCommand).every((c) => (c.args[0].input as { InstanceIds: string[] }).InstanceIds[0] === "i-1")).toBe(true);
  });

  it("a failed target among others gets its own failed result saying why; the others are done", async () => {
    vi.useFakeTimers();
    for (const id of ["i-1", "i-3"])
      ec2
        .on(DescribeInstancesCommand, { InstanceIds: [id] })
        .resolvesOnce(described("running", {}, id))
        .resolves(described("stopped", {}, id));
    ec2.on(DescribeInstancesCommand, { InstanceIds: ["i-2"] }).rejects(sdkError("InvalidInstanceID.NotFound"));
    ec2.on(StopInstancesCommand).resolves({});
    const targets = [target("i-1", { machine: "a" }), target("i-2", { machine: "b" }), target("i-3", { machine: "c" })];
    const p = runBatch(driver(), targets, "stop", { random: () => 0.5 });
    await vi.runAllTimersAsync();
    const results = await p;
    expect(results.map((r) => [r.machine, r.outcome])).toEqual([
      ["a", "done"],
      ["b", "failed"],
      ["c", "done"],
    ]);
    expect(results[1]).toMatchObject({ from: "terminated", attempts: 1, error: "EC2 instance i-2 of lab/b is gone: cannot stop it" });
    expect(ec2.commandCalls(StopInstancesCommand).map((c) => c.args[0].input)).toEqual([{ InstanceIds: ["i-1"] }, { InstanceIds: ["i-3"] }]);
  });

  it("a refusal is not retried", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described("running"));
    ec2.on(StopInstancesCommand).rejects(sdkError("UnauthorizedOperation", 403));
    const [r] = await runBatch(driver(), [target()], "stop");
    expect(r).toMatchObject({ outcome: "failed", attempts: 1 });
    expect(r!.error).toMatch(/EC2 denied it for lab\/head \(UnauthorizedOperation\)/);
  });
});

it("ActionError is what the driver throws", async () => {
  ec2.on(DescribeInstancesCommand).resolves(described("stopped"));
  await expect(driver().reboot(target())).rejects.toBeInstanceOf(ActionError);
});
