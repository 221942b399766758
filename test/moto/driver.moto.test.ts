/**
 * Layer 4, against moto's independent EC2 implementation (PyPI moto[server] 5.2.5, started by
 * test/moto/global-setup.ts): the AWS driver (clouds/aws/actions) through the library, on
 * instances seeded in moto as `up` creates them (test/moto/ec2.ts). The driver is the product's,
 * unchanged, pointed at moto only by the SDK's ordinary configuration (AWS_ENDPOINT_URL and fake
 * credentials, test/moto/setup.ts). Every state asserted is read back from moto.
 *
 * Where moto's answers differ from what the request-mock tests (test/clouds/aws/driver.test.ts,
 * aws-sdk-client-mock) assumed, or from real EC2:
 * - RunInstances with spot InstanceMarketOptions (what `up` sends) creates no spot request in moto,
 *   and neither it nor RequestSpotInstances links the instance to one: DescribeInstances gives
 *   InstanceLifecycle=spot but no SpotInstanceRequestId. The driver found one-time spot instances
 *   only through that link, so on moto it sent a plain StopInstances (moto accepts it; real EC2
 *   refuses). Product fixed: targets carry `oneTimeSpot` from the plan and the driver trusts it
 *   (request-mock test in driver.test.ts). The persistent-spot cancel before terminate still needs
 *   the link: moto cannot show it, so it stays covered by the request-mock test only. (moto also
 *   forgets a cancelled spot request at once, where EC2 keeps it described as `cancelled`.)
 * - StopInstances with Hibernate=true is accepted (also on an instance without hibernation), but
 *   moto never hibernates: the stopped instance's StateReason is Client.UserInitiatedShutdown,
 *   never Client.UserInitiatedHibernate. The driver reports it honestly as EC2's fallback to a plain
 *   stop. `hibernated` as a result stays covered by the request-mock test only.
 * - HibernationOptions of an instance launched without hibernation is `{}` (EC2: Configured=false);
 *   the driver treats both as "not enabled".
 * - CreateImage with a TagSpecification for ResourceType "snapshot" is NotImplementedError (HTTP
 *   500) in moto; test/moto/server.py shims exactly that (the snapshot's tags through moto's own
 *   CreateTags). The AMI is `available` at once, with its snapshot id.
 * - States settle at once: RunInstances/StartInstances answer `pending`, StopInstances `stopping`,
 *   TerminateInstances `shutting-down`, and the next DescribeInstances already gives the end state.
 *   The waits and polls of the driver are exercised by the request-mock tests only. A terminated
 *   instance stays described as `terminated` (EC2 forgets it after about an hour, then
 *   InvalidInstanceID.NotFound, which the mocks and the unknown-id case below show).
 * - moto accepts what EC2 refuses with IncorrectInstanceState: RebootInstances of a stopped or
 *   terminated instance (a stopped one comes back running), StopInstances of a terminated one,
 *   StartInstances of a running one. The driver decides from its own read and sends none of them.
 * - Force and SkipOsShutdown are accepted and ignored; NoReboot is accepted.
 * - A malformed instance id is InvalidInstanceID.NotFound (EC2: InvalidInstanceID.Malformed); both
 *   classify as not-found.
 * APIs the driver calls that moto lacks: none (DescribeSpotInstanceRequests answers, but no
 * instance ever names a request, see above).
 */
import { describe, expect, it } from "vitest";
import { AwsDriver } from "../../clouds/aws/actions/driver.js";
import { runBatch } from "../../automation/actions/batch.js";
import type { ActionTarget } from "../../automation/actions/types.js";
import { loadFormationText } from "../../format/load.js";
import { planSession } from "../../plan/index.js";
import { pool } from "../automation/actions/formations.js";
import { image, instance, runInstance, snapshotTags, stateOf, stopBehindOurBack, tagRecord } from "./ec2.js";

const driver = () => new AwsDriver({ pollMs: 200 });

/** Seeds `count` machines of a Pool session `session` and returns their targets (as sessionView makes them). */
async function seed(session: string, count: number, shape: Parameters<typeof pool>[1] = {}): Promise<ActionTarget[]> {
  const plan = planSession(loadFormationText(pool(count, { provider: "aws", ...shape })), { session });
  const targets: ActionTarget[] = [];
  for (const m of plan.machines) {
    const id = await runInstance(plan, m);
    const oneTime = m.spot && plan.spotInterruption === "terminate";
    targets.push({
      session,
      machine: m.name,
      role: m.role,
      providerId: id,
      region: "eu-west-1",
      hibernation: m.hibernation && !oneTime,
      spot: m.spot,
      ...(oneTime ? { oneTimeSpot: true } : {}),
    });
  }
  return targets;
}
const idOf = (t: ActionTarget) => t.providerId!;

describe("state changes, read back from moto", () => {
  it("stop, start, force stop, reboot and shutdown; repeats are no-ops", async () => {
    const [t] = await seed("moto-cycle", 1);
    const d = driver();
    expect(await d.state(t!)).toBe("running");

    expect(await d.stop(t!)).toEqual({ session: "moto-cycle", machine: "machine-1", action: "stop", outcome: "done", from: "running", to: "stopped" });
    expect(await stateOf(idOf(t!))).toBe("stopped");
    expect((await instance(idOf(t!))).StateReason?.Code).toBe("Client.UserInitiatedShutdown");
    expect(await d.stop(t!)).toMatchObject({ outcome: "no-op", from: "stopped", to: "stopped" });

    expect(await d.start(t!)).toMatchObject({ outcome: "done", from: "stopped", to: "running" });
    expect(await stateOf(idOf(t!))).toBe("running");
    expect(await d.start(t!)).toMatchObject({ outcome: "no-op", from: "running" });

    expect(await d.stop(t!, true)).toMatchObject({ action: "stop", outcome: "done", from: "running", to: "stopped" });
    expect(await stateOf(idOf(t!))).toBe("stopped");

    // moto itself would reboot a stopped instance into running (EC2 refuses): the driver sends nothing.
    await expect(d.reboot(t!)).rejects.toMatchObject({ kind: "invalid-state", message: "moto-cycle/machine-1 is stopped: nothing to reboot (use start)" });
    expect(await stateOf(idOf(t!))).toBe("stopped");

    await d.start(t!);
    expect(await d.reboot(t!)).toEqual({ session: "moto-cycle", machine: "machine-1", action: "reboot", outcome: "done", from: "running", to: "running" });
    expect((await d.reboot(t!, true)).fallback).toMatch(/^EC2 has no hard reset/);
    expect(await stateOf(idOf(t!))).toBe("running");

    expect(await d.shutdown(t!)).toMatchObject({ action: "shutdown", outcome: "done", from: "running", to: "stopped" });
    expect(await stateOf(idOf(t!))).toBe("stopped");
  });

  it("reads a stop made outside formations", async () => {
    const [t] = await seed("moto-outside", 1);
    await stopBehindOurBack(idOf(t!));
    expect(await driver().state(t!)).toBe("stopped");
  });

  it("an instance id moto does not know is terminated; acting on it fails as not-found", async () => {
    const t: ActionTarget = { session: "moto-gone", machine: "machine-1", role: "member", providerId: "i-0123456789abcdef0", region: "eu-west-1" };
    expect(await driver().state(t)).toBe("terminated");
    await expect(driver().stop(t)).rejects.toMatchObject({
      kind: "not-found",
      message: "EC2 instance i-0123456789abcdef0 of moto-gone/machine-1 is gone: cannot stop it",
    });
    expect(await driver().terminate(t)).toMatchObject({ outcome: "no-op", from: "terminated" });
  });
});

describe("hibernate", () => {
  it("on an instance launched with hibernation: moto stops it but never hibernates, and the driver says so", async () => {
    const [t] = await seed("moto-hib", 1);
    expect((await instance(idOf(t!))).HibernationOptions).toEqual({ Configured: true });
    const r = await driver().hibernate(t!);
    expect(r).toEqual({
      session: "moto-hib",
      machine: "machine-1",
      action: "hibernate",
      outcome: "done",
      from: "running",
      to: "stopped",
      fallback: "EC2 could not hibernate it and stopped it instead: its memory was not kept",
    });
    expect(await stateOf(idOf(t!))).toBe("stopped");
    // Stopped, memory gone: a second hibernate is refused, and nothing is sent.
    await expect(driver().hibernate(t!)).rejects.toThrow(/moto-hib\/machine-1 is stopped: there is no memory to keep/);
  });

  it("refused before any call when the plan says it was launched without hibernation", async () => {
    const [t] = await seed("moto-nohib", 1, { image: "windows-2022" });
    expect(t!.hibernation).toBe(false);
    await expect(driver().hibernate(t!)).rejects.toThrow(/moto-nohib\/machine-1 cannot hibernate: it was not launched with hibernation/);
    expect(await stateOf(idOf(t!))).toBe("running");
  });

  it("refused on EC2's word when the target does not say (moto answers HibernationOptions {})", async () => {
    const [seeded] = await seed("moto-nohib2", 1, { image: "windows-2022" });
    const { hibernation: _unknown, ...t } = seeded!;
    expect((await instance(idOf(t))).HibernationOptions?.Configured).toBeFalsy();
    await expect(driver().hibernate(t)).rejects.toThrow(/cannot hibernate: EC2 says hibernation was not enabled when it was launched; use stop/);
    expect(await stateOf(idOf(t))).toBe("running");
  });
});

describe("snapshot and terminate", () => {
  it("a snapshot is an AMI, tagged with its origin, that outlives the terminated instance", async () => {
    const [t] = await seed("moto-snap", 1);
    const d = driver();
    const r = await d.snapshot(t!, "moto-snap-golden");
    expect(r).toMatchObject({ action: "snapshot", outcome: "done", from: "running", to: "running" });
    expect(r.imageId).toMatch(/^ami-[0-9a-f]+$/);
    expect(r.fallback).toMatch(/crash-consistent/);
    const img = await image(r.imageId);
    expect(img).toMatchObject({
      Name: "moto-snap-golden",
      Description: "formations snapshot of moto-snap/machine-1",
      State: "available",
      SourceInstanceId: idOf(t!),
    });
    const tags = { Name: "moto-snap-golden", "formations-snapshot-of": "moto-snap/machine-1", "managed-by": "formations" };
    expect(tagRecord(img!.Tags)).toEqual(tags);
    expect(await snapshotTags(img!)).toEqual(tags);

    expect(await d.terminate(t!)).toMatchObject({ outcome: "done", from: "running", to: "terminated" });
    expect(await stateOf(idOf(t!))).toBe("terminated");
    expect(await d.terminate(t!)).toMatchObject({ outcome: "no-op", from: "terminated", to: "terminated" });
    await expect(d.snapshot(t!)).rejects.toMatchObject({ kind: "not-found" });
    expect((await image(r.imageId))?.State).toBe("available");
  });

  it("a stopped machine's snapshot is clean: no caveat; its default name is session, machine and time", async () => {
    const [t] = await seed("moto-snap2", 1);
    await driver().stop(t!);
    const d = new AwsDriver({ pollMs: 200, now: () => new Date("2026-01-02T03:04:05Z") });
    const r = await d.snapshot(t!);
    expect(r.fallback).toBeUndefined();
    expect((await image(r.imageId))?.Name).toBe("moto-snap2-machine-1-20260102030405");
  });
});

describe("one-time spot", () => {
  it("stop images it, then terminates it; the AMI stays", async () => {
    const [t] = await seed("moto-spot", 1, { machine: ["spot: true"], interruption: "terminate" });
    const i = await instance(idOf(t!));
    expect(i.InstanceLifecycle).toBe("spot");
    expect(i.SpotInstanceRequestId).toBeUndefined(); // moto links no request (see the header)
    expect(i.HibernationOptions?.Configured).toBeFalsy(); // never hibernation on one-time spot
    const r = await driver().stop(t!);
    expect(r).toMatchObject({ action: "stop", outcome: "done", from: "running", to: "terminated" });
    expect(r.fallback).toBe(`a one-time spot instance cannot be stopped: imaged as ${r.imageId} (crash-consistent, no reboot), then terminated`);
    expect(await stateOf(idOf(t!))).toBe("terminated");
    const img = await image(r.imageId!);
    expect(img?.State).toBe("available");
    expect(tagRecord(img?.Tags)).toMatchObject({ "formations-snapshot-of": "moto-spot/machine-1", "managed-by": "formations" });
  });

  it("hibernate is refused, and nothing changes", async () => {
    const [t] = await seed("moto-spot2", 1, { machine: ["spot: true"], interruption: "terminate" });
    expect(t!.hibernation).toBe(false); // the plan never enables hibernation on one-time spot
    await expect(driver().hibernate(t!)).rejects.toThrow(/moto-spot2\/machine-1 cannot hibernate: it was not launched with hibernation/);
    // Without the plan's word, EC2's (moto's): no hibernation configured.
    await expect(driver().hibernate({ ...t!, hibernation: undefined })).rejects.toThrow(/cannot hibernate: EC2 says hibernation was not enabled/);
    expect(await stateOf(idOf(t!))).toBe("running");
  });

  it("without the plan's word, moto's missing request link made it a plain stop (why targets carry oneTimeSpot)", async () => {
    const [seeded] = await seed("moto-spot3", 1, { machine: ["spot: true"], interruption: "terminate" });
    const { oneTimeSpot: _planSays, ...t } = seeded!;
    // Real EC2 refuses StopInstances for a one-time spot instance; moto stops it.
    expect(await driver().stop(t)).toMatchObject({ outcome: "done", to: "stopped" });
    expect(await stateOf(idOf(t))).toBe("stopped");
  });
});

describe("a batch over 50 instances", () => {
  it("stops them all (10 at a time), one result per machine, each read back from moto", async () => {
    const targets = await seed("moto-fifty", 50);
    const results = await runBatch(driver(), targets, "stop");
    expect(results).toHaveLength(50);
    expect(results.map((r) => r.machine)).toEqual(targets.map((t) => t.machine));
    expect(results.every((r) => r.outcome === "done" && r.from === "running" && r.to === "stopped" && r.attempts === 1)).toBe(true);
    const states = await Promise.all(targets.map((t) => stateOf(idOf(t))));
    expect(new Set(states)).toEqual(new Set(["stopped"]));
  });
});
