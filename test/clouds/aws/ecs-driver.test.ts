/**
 * Layer 4: lifecycle actions on a Docker formation's ECS service, on the exact ECS requests they
 * send, with aws-sdk-client-mock (it stubs ECSClient#send: every command and its input recorded,
 * nothing leaves the process). The AWS driver sends a target whose providerId is a service ARN to
 * ECS and never to EC2: stop and start scale the desired count to 0 and back to 1, a repeat sends
 * nothing, reboot is a new deployment, terminate deletes the service, hibernate and snapshot are
 * refused before any change with the reason (Fargate's named), throttling is retried by a batch.
 */
import { DeleteServiceCommand, DescribeServicesCommand, ECSClient, ECSServiceException, UpdateServiceCommand, type Service } from "@aws-sdk/client-ecs";
import { EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { AwsDriver } from "../../../clouds/aws/actions/driver.js";
import { classifyEcsError, fromEcsService, isEcsService, serviceRef } from "../../../clouds/aws/actions/ecs.js";
import { runBatch } from "../../../automation/actions/batch.js";
import type { ActionTarget } from "../../../automation/actions/types.js";
import { drive, FAKE_TIMERS } from "../../automation/actions/rest-mock.js";

const ecs = mockClient(ECSClient);
const ec2 = mockClient(EC2Client);
const ARN = "arn:aws:ecs:eu-west-1:123456789012:service/sensor-grafana/sensor-grafana";
const target = (extra: Partial<ActionTarget> = {}): ActionTarget => ({
  session: "sensor-grafana",
  machine: "service",
  role: "host",
  providerId: ARN,
  region: "eu-west-1",
  ...extra,
});
const driver = () => new AwsDriver({ pollMs: 0, waitMs: 60_000 });

/** A DescribeServices answer for the service. */
const svc = (desired: number, running: number, extra: Partial<Service> = {}) => ({
  services: [{ serviceArn: ARN, status: "ACTIVE", launchType: "FARGATE" as const, desiredCount: desired, runningCount: running, pendingCount: 0, ...extra }],
});
const sdkError = (name: string, status = 400) =>
  new ECSServiceException({ name, $fault: "client", $metadata: { httpStatusCode: status }, message: `${name} (test)` });

/** Every command sent, as [command name, input], in order. */
const sent = () => ecs.calls().map((c) => [c.args[0].constructor.name, c.args[0].input]);
const mutating = () => sent().filter(([name]) => !String(name).startsWith("Describe"));

beforeEach(() => {
  ecs.reset();
  ec2.reset();
  vi.useRealTimers();
});

describe("service ARNs and states", () => {
  it("an ECS service ARN is an ECS target, an instance id is not", () => {
    expect(isEcsService(target())).toBe(true);
    expect(isEcsService(target({ providerId: "i-0abc" }))).toBe(false);
    expect(serviceRef(ARN)).toEqual({ region: "eu-west-1", cluster: "sensor-grafana", service: "sensor-grafana" });
  });

  it.each([
    [{ status: "ACTIVE", desiredCount: 1, runningCount: 1, pendingCount: 0 }, "running"],
    [{ status: "ACTIVE", desiredCount: 1, runningCount: 0, pendingCount: 1 }, "pending"],
    [{ status: "ACTIVE", desiredCount: 0, runningCount: 1, pendingCount: 0 }, "pending"],
    [{ status: "ACTIVE", desiredCount: 0, runningCount: 0, pendingCount: 0 }, "stopped"],
    [{ status: "DRAINING", desiredCount: 0, runningCount: 0 }, "terminated"],
    [{ status: "INACTIVE" }, "terminated"],
    [undefined, "terminated"],
  ] as const)("%j is %s", (s, state) => {
    expect(fromEcsService(s as Service | undefined)).toBe(state);
  });
});

describe("actions: exact requests", () => {
  it("stop scales the service to 0 and reads until no task runs; nothing goes to EC2", async () => {
    ecs.on(DescribeServicesCommand).resolvesOnce(svc(1, 1)).resolvesOnce(svc(0, 1)).resolves(svc(0, 0));
    ecs.on(UpdateServiceCommand).resolves({});
    const r = await driver().stop(target());
    expect(sent()).toEqual([
      ["DescribeServicesCommand", { cluster: "sensor-grafana", services: [ARN] }],
      ["UpdateServiceCommand", { cluster: "sensor-grafana", service: ARN, desiredCount: 0 }],
      ["DescribeServicesCommand", { cluster: "sensor-grafana", services: [ARN] }],
      ["DescribeServicesCommand", { cluster: "sensor-grafana", services: [ARN] }],
    ]);
    expect(r).toEqual({ session: "sensor-grafana", machine: "service", action: "stop", outcome: "done", from: "running", to: "stopped" });
    expect(ec2.calls()).toEqual([]);
  });

  it("start scales it back to 1 and waits for the task to run", async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(svc(0, 0))
      .resolvesOnce(svc(1, 0, { pendingCount: 1 }))
      .resolves(svc(1, 1));
    ecs.on(UpdateServiceCommand).resolves({});
    const r = await driver().start(target());
    expect(mutating()).toEqual([["UpdateServiceCommand", { cluster: "sensor-grafana", service: ARN, desiredCount: 1 }]]);
    expect(r).toMatchObject({ outcome: "done", from: "stopped", to: "running" });
  });

  it("a second stop and a second start send nothing that changes anything", async () => {
    ecs.on(DescribeServicesCommand).resolves(svc(0, 0));
    expect(await driver().stop(target())).toMatchObject({ outcome: "no-op", from: "stopped", to: "stopped" });
    ecs.reset();
    ecs.on(DescribeServicesCommand).resolves(svc(1, 1));
    expect(await driver().start(target())).toMatchObject({ outcome: "no-op", from: "running", to: "running" });
    expect(mutating()).toEqual([]);
  });

  it("force stop is the same call, and says ECS has no forced stop", async () => {
    ecs.on(DescribeServicesCommand).resolvesOnce(svc(1, 1)).resolves(svc(0, 0));
    ecs.on(UpdateServiceCommand).resolves({});
    const r = await driver().stop(target(), true);
    expect(mutating()).toEqual([["UpdateServiceCommand", { cluster: "sensor-grafana", service: ARN, desiredCount: 0 }]]);
    expect(r.fallback).toMatch(/ECS has no forced stop: the task gets SIGTERM, then SIGKILL/);
  });

  it("reboot replaces the task with a new deployment, and says so", async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(svc(1, 1))
      .resolves(svc(1, 1, { deployments: [{ status: "PRIMARY" }] }));
    ecs.on(UpdateServiceCommand).resolves({});
    const r = await driver().reboot(target());
    expect(mutating()).toEqual([["UpdateServiceCommand", { cluster: "sensor-grafana", service: ARN, forceNewDeployment: true }]]);
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "running", fallback: expect.stringMatching(/replacing it/) });
  });

  it("terminate deletes the service (force: scaled to 0 on the way); a gone service is a no-op", async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(svc(1, 1))
      .resolves({ services: [{ serviceArn: ARN, status: "INACTIVE" }] });
    ecs.on(DeleteServiceCommand).resolves({});
    expect(await driver().terminate(target())).toMatchObject({ outcome: "done", from: "running", to: "terminated" });
    expect(mutating()).toEqual([["DeleteServiceCommand", { cluster: "sensor-grafana", service: ARN, force: true }]]);
    ecs.reset();
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: ARN, reason: "MISSING" }] });
    expect(await driver().terminate(target())).toMatchObject({ outcome: "no-op", to: "terminated" });
    expect(mutating()).toEqual([]);
  });

  it("snapshot on Fargate is refused with the reason, and nothing is sent but a read", async () => {
    ecs.on(DescribeServicesCommand).resolves(svc(1, 1));
    await expect(driver().snapshot(target(), "grafana-gold")).rejects.toMatchObject({
      kind: "other",
      message:
        "sensor-grafana/service runs on ECS: snapshot is not possible: a Fargate task runs on AWS's capacity with no host to commit it on (no `docker commit`), and its storage does not outlive it. What the task runs is already an image: build and push a new tag, then set container.image",
    });
    expect(mutating()).toEqual([]);
  });

  it("snapshot on the EC2 launch type is refused too, saying ECS commits no task", async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves(svc(1, 1, { launchType: undefined, capacityProviderStrategy: [{ capacityProvider: "stats-jupyter-ecs-capacity" }] }));
    await expect(driver().snapshot(target())).rejects.toThrow(/snapshot is not possible: ECS does not commit a task's container to an image/);
  });

  it("hibernate is refused: a task keeps no memory", async () => {
    ecs.on(DescribeServicesCommand).resolves(svc(1, 1));
    await expect(driver().hibernate(target())).rejects.toMatchObject({
      kind: "invalid-state",
      message: expect.stringMatching(/cannot hibernate; use stop, which scales the service to 0/),
    });
    expect(mutating()).toEqual([]);
  });

  it("a service deleted outside formations cannot be started", async () => {
    ecs.on(DescribeServicesCommand).rejects(sdkError("ServiceNotFoundException"));
    await expect(driver().start(target())).rejects.toMatchObject({ kind: "not-found" });
  });
});

describe("errors and batches", () => {
  it("classifies ECS's errors", () => {
    expect(classifyEcsError(sdkError("ThrottlingException"), "x/y").kind).toBe("throttled");
    expect(classifyEcsError(sdkError("ServerException", 500), "x/y").kind).toBe("transient");
    expect(classifyEcsError(sdkError("ClusterNotFoundException"), "x/y").kind).toBe("not-found");
    expect(classifyEcsError(sdkError("AccessDeniedException"), "x/y").message).toMatch(/credentials lack the permission/);
    expect(classifyEcsError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "x/y")).toMatchObject({
      kind: "unreachable",
      message: expect.stringMatching(/the ECS API is not answering/),
    });
  });

  it("a throttled scale-down is retried by the batch and done once", async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    ecs.on(DescribeServicesCommand).resolvesOnce(svc(1, 1)).resolvesOnce(svc(1, 1)).resolves(svc(0, 0));
    ecs.on(UpdateServiceCommand).rejectsOnce(sdkError("ThrottlingException")).resolves({});
    const [r] = await drive(runBatch(driver(), [target()], "stop", { random: () => 0.5, baseDelayMs: 1000 }));
    expect(r).toMatchObject({ outcome: "done", to: "stopped", attempts: 2 });
    expect(mutating()).toEqual([
      ["UpdateServiceCommand", { cluster: "sensor-grafana", service: ARN, desiredCount: 0 }],
      ["UpdateServiceCommand", { cluster: "sensor-grafana", service: ARN, desiredCount: 0 }],
    ]);
  });
});
