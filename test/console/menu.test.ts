/**
 * Layer: unit (pure). A machine's context menu: every action of the contract in the seed's
 * order, each disabled with the reason where the provider or formations cannot do it.
 */
import { describe, expect, it } from "vitest";
import type { MachineDetails } from "../../automation/session/show.js";
import { machineMenu } from "../../console/menu.js";

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
      "Connect › PuTTY",
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

  it("offers Delete for a Pool member, a compute node and a self-managed worker; refuses the roles a session cannot live without", () => {
    const pool = { session: "lab", machines: [{ role: "member" }, { role: "member" }] };
    expect(reasons(machineMenu(machine({ name: "machine-1", role: "member" }), "docker", pool)).Delete).toBe("enabled");
    expect(reasons(machineMenu(machine({ name: "machine-1", role: "member" }), "docker", { session: "lab", machines: [{ role: "member" }] })).Delete).toBe(
      "machine-1 is the pool's last machine: the session cannot live without it: 'formations destroy lab' ends the whole session",
    );
    const hpc = { session: "hpc", machines: [{ role: "head" }, { role: "compute" }, { role: "compute" }] };
    expect(reasons(machineMenu(machine({ name: "compute-1", role: "compute" }), "aws", hpc)).Delete).toBe("enabled");
    expect(reasons(machineMenu(machine({ name: "head", role: "head" }), "aws", hpc)).Delete).toMatch(/^head is the cluster's head node/);
    const emr = { session: "spark", machines: [{ role: "proxy" }, { role: "master" }, { role: "worker" }] };
    expect(reasons(machineMenu(machine({ name: "worker-1", role: "worker" }), "openstack", emr)).Delete).toBe("enabled");
    expect(reasons(machineMenu(machine({ name: "worker-1", role: "worker", refused: { start: "run by EMR" } }), "aws", emr)).Delete).toMatch(
      /managed big-data service \(aws\)/,
    );
    expect(reasons(machineMenu(machine({ name: "proxy", role: "proxy" }), "aws", emr)).Delete).toMatch(/the session's proxy/);
  });

  it("says why a machine that is not there cannot be reached or imaged", () => {
    const r = reasons(machineMenu(machine({ state: "terminated" }), "aws"));
    expect(r.Connect).toBe("m was removed outside formations: Start creates it again");
    expect(r["Connect › PuTTY"]).toBe(r.Connect);
    expect(r.Snapshot).toBe("m is terminated: there is nothing to image");
    expect(r.Start).toBe("enabled");
    expect(reasons(machineMenu(machine({ state: "pending" }), "aws")).Connect).toBe("m has not been created yet");
  });
});
