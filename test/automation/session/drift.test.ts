/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
import { describe, expect, it } from "vitest";
import { applyDrift, detectDrift, excludedUrns, machinesSilentOnPower, observedState } from "../../../automation/session/drift.js";
import type { StateResource } from "../../../automation/session/engine.js";
import { emptyRecord } from "../../../automation/session/session-record.js";

const res = (urn: string, id: string, outputs: Record<string, unknown> = {}, extra: Partial<StateResource> = {}): StateResource => ({
  urn,
  type: "aws:ec2/instance:Instance",
  id,
  custom: true,
  outputs,
  ...extra,
});

describe("reading a machine's power state from its refreshed resource", () => {
  it.each([
    ["aws:ec2/instance:Instance", { instanceState: "running" }, "running"],
    ["aws:ec2/instance:Instance", { instanceState: "stopped" }, "stopped"],
    ["aws:ec2/instance:Instance", { instanceState: "stopping" }, "stopped"],
    ["aws:ec2/instance:Instance", { instanceState: "terminated" }, "terminated"],
    ["gcp:compute/instance:Instance", { currentStatus: "TERMINATED" }, "stopped"],
    ["gcp:compute/instance:Instance", { currentStatus: "SUSPENDED" }, "hibernated"],
    ["openstack:compute/instance:Instance", { powerState: "shutoff" }, "stopped"],
    ["openstack:compute/instance:Instance", { powerState: "shelved_offloaded" }, "hibernated"],
    ["azure-native:compute:VirtualMachine", { powerState: { status: "VM deallocated" } }, "stopped"],
    ["docker:index/container:Container", { state: "paused" }, "hibernated"],
    ["docker:index/container:Container", { image: "x" }, "unknown"],
  ])("%s %j → %s", (type, outputs, expected) => {
    expect(observedState({ urn: "u", type, id: "i", outputs })).toBe(expected);
  });

  it("a resource gone from the refreshed state is terminated", () => {
    expect(observedState(undefined)).toBe("terminated");
  });
});

describe("machines whose refreshed resource says nothing of their power: read from the provider", () => {
  // What the real Docker provider's container looks like: no status output at all.
  const container = (urn: string, id: string): StateResource => ({
    urn,
    type: "docker:index/container:Container",
    id,
    custom: true,
    inputs: { mustRun: true },
    outputs: { mustRun: true, exitCode: null },
  });
  const machines = [
    { name: "machine-1", cloudId: "c1" },
    { name: "machine-2", cloudId: "c2" },
    { name: "machine-3", cloudId: "c3" },
  ];
  const before = [container("urn:m1", "c1"), container("urn:m2", "c2"), container("urn:m3", "c3")];
  const after = [container("urn:m1", "c1"), container("urn:m2", "c2")];

  it("are the existing machines with a silent resource (a removed one is known: terminated)", () => {
    expect(machinesSilentOnPower(machines, before, after)).toEqual(["machine-1", "machine-2"]);
  });

  it("their live state decides the drift; without one they are left alone", () => {
    const desired = { "machine-1": "running", "machine-2": "running", "machine-3": "running" } as const;
    expect(detectDrift(machines, desired, before, after, { "machine-1": "running", "machine-2": "stopped" }).map((c) => [c.machine, c.to])).toEqual([
      ["machine-2", "stopped"],
      ["machine-3", "removed"],
    ]);
    expect(detectDrift(machines, desired, before, after).map((c) => c.machine)).toEqual(["machine-3"]);
  });
});

describe("detecting drift", () => {
  const machines = [
    { name: "machine-1", cloudId: "i-1" },
    { name: "machine-2", cloudId: "i-2" },
    { name: "machine-3", cloudId: "i-3" },
    { name: "machine-4", cloudId: "" },
  ];
  const before = [
    res("urn:m1", "i-1", { instanceState: "running" }),
    res("urn:m2", "i-2", { instanceState: "running" }),
    res("urn:m3", "i-3", { instanceState: "running" }),
    res("urn:m3-eip", "eip-3", {}, { parent: "urn:m3" }),
  ];

  it("records a machine stopped outside the engine, and one deleted with its children", () => {
    const after = [res("urn:m1", "i-1", { instanceState: "running" }), res("urn:m2", "i-2", { instanceState: "stopped" })];
    expect(detectDrift(machines, {}, before, after)).toEqual([
      { machine: "machine-2", from: "running", to: "stopped", observed: "stopped", urns: ["urn:m2"] },
      { machine: "machine-3", from: "running", to: "removed", observed: "terminated", urns: ["urn:m3", "urn:m3-eip"] },
    ]);
  });

  it("records a machine started outside the engine while it was meant to be stopped", () => {
    const after = before.map((r) => ({ ...r }));
    expect(detectDrift(machines, { "machine-1": "stopped" }, before, after)).toEqual([
      { machine: "machine-1", from: "stopped", to: "running", observed: "running", urns: ["urn:m1"] },
    ]);
  });

  it("is not fooled: a hibernated machine reading as stopped, unknown states and machines never created", () => {
    const after = [res("urn:m1", "i-1", { instanceState: "stopped" }), res("urn:m2", "i-2", {}), res("urn:m3", "i-3", { instanceState: "running" })];
    expect(detectDrift(machines, { "machine-1": "hibernated" }, before, after)).toEqual([]);
  });
});

describe("recording drift in the session", () => {
  it("updates desired states, remembers removed machines, journals each change", () => {
    const record = { ...emptyRecord("x", "f"), desired: { "machine-3": "stopped" as const } };
    const next = applyDrift(
      record,
      [
        { machine: "machine-2", from: "running", to: "stopped", observed: "stopped", urns: ["urn:m2"] },
        { machine: "machine-3", from: "stopped", to: "removed", observed: "terminated", urns: ["urn:m3", "urn:m3-eip"] },
      ],
      "2026-01-01T00:00:00.000Z",
      "alice@laptop",
    );
    expect(next.desired).toEqual({ "machine-2": "stopped" });
    expect(next.removed).toEqual({ "machine-3": { at: "2026-01-01T00:00:00.000Z", urns: ["urn:m3", "urn:m3-eip"] } });
    expect(next.journal).toEqual([
      {
        at: "2026-01-01T00:00:00.000Z",
        actor: "alice@laptop",
        action: "drift",
        machine: "machine-2",
        from: "running",
        to: "stopped",
        result: "recorded",
        detail: "found stopped outside formations",
      },
      {
        at: "2026-01-01T00:00:00.000Z",
        actor: "alice@laptop",
        action: "drift",
        machine: "machine-3",
        from: "stopped",
        to: "terminated",
        result: "recorded",
        detail: "found terminated outside formations",
      },
    ]);
    expect(excludedUrns(next)).toEqual(["urn:m3", "urn:m3-eip"]);
    expect(record.desired).toEqual({ "machine-3": "stopped" });
  });
});
