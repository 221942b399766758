/**
 * Layer: unit (pure). A machine's context menu: every action of the contract in the seed's
 * order, each disabled with the reason where the provider or formations cannot do it.
 */
import { describe, expect, it } from "vitest";
import type { MachineDetails } from "../../automation/session/show.js";
import { DELETE_MACHINE_GAP, machineMenu } from "../../console/menu.js";

const machine = (over: Partial<MachineDetails> = {}): MachineDetails => ({
  name: "m",
  role: "machine",
  state: "running",
  os: "linux",
  hourlyUsd: 0.1,
  ...over,
});
const reasons = (items: ReturnType<typeof machineMenu>) => Object.fromEntries(items.map((i) => [i.label, i.enabled ? "enabled" : i.reason]));

describe("machineMenu", () => {
  it("lists every action in the seed console's order, destructive ones marked", () => {
    const items = machineMenu(machine(), "aws");
    expect(items.map((i) => i.label)).toEqual([
      "Start",
      "Stop",
      "Hibernate",
      "Reboot",
      "Force Reboot",
      "Shutdown",
      "Force Stop",
      "Force Hibernate",
      "Delete",
      "Connect",
      "Snapshot",
      "Snapshot Container",
    ]);
    expect(items.filter((i) => i.destructive).map((i) => i.id)).toEqual([
      "stop",
      "hibernate",
      "reboot",
      "force-reboot",
      "shutdown",
      "force-stop",
      "force-hibernate",
      "delete",
    ]);
  });

  it("offers Snapshot for a VM and Snapshot Container for a container, each saying why not the other", () => {
    expect(reasons(machineMenu(machine(), "gcp"))).toMatchObject({
      Snapshot: "enabled",
      "Snapshot Container": "this machine is a virtual machine, not a container: use Snapshot",
    });
    expect(reasons(machineMenu(machine(), "docker"))).toMatchObject({
      Snapshot: "a container is imaged with Snapshot Container (docker commit)",
      "Snapshot Container": "enabled",
    });
  });

  it("takes the library's refusals as they are (hibernation, a managed node)", () => {
    const r = reasons(machineMenu(machine({ refused: { hibernate: "m was not launched with hibernation (t2.micro does not support it on aws)" } }), "aws"));
    expect(r.Hibernate).toBe("m was not launched with hibernation (t2.micro does not support it on aws)");
    expect(r["Force Hibernate"]).toBe(r.Hibernate);
    expect(r.Stop).toBe("enabled");
  });

  it("says why a machine that is not there cannot be reached or imaged, and that Delete is for sessions", () => {
    const r = reasons(machineMenu(machine({ state: "terminated" }), "aws"));
    expect(r.Connect).toBe("m was removed outside formations: Start creates it again");
    expect(r.Snapshot).toBe("m is terminated: there is nothing to image");
    expect(r.Start).toBe("enabled");
    expect(r.Delete).toBe(DELETE_MACHINE_GAP);
    expect(reasons(machineMenu(machine({ state: "pending" }), "aws")).Connect).toBe("m has not been created yet");
  });
});
