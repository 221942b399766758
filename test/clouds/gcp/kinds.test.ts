/**
 * Test layer 2: components compiled under Pulumi's mocks (pulumi.runtime.setMocks).
 * The GCP adapter on formations written for one behaviour each: desired power states, GPUs,
 * spot interruption, Windows, a given network, IPv6 sources, Filestore sizes and Dataproc's
 * limits. Compiled under Pulumi's mock runtime like the examples.
 */
import { describe, expect, it } from "vitest";
import { ACCESS, compile, inline, T, visible, type Inputs } from "./helpers.js";

const machine = (block: string, extra = ACCESS, cloud = "") => inline("Machine", `  machine: { ${block} }\n`, extra, cloud);

describe("gcp power state", () => {
  it("desired states become desiredStatus: running, stopped (TERMINATED), hibernated (SUSPENDED) on a type that can suspend", async () => {
    const f = inline("Pool", "  count: 3\n  machine: { instanceType: e2-standard-2 }\n", ACCESS);
    const { named, machines } = await compile(f, { desired: { "machine-1": "stopped", "machine-2": "hibernated" } });
    expect(named(T.instance, "machine-1").desiredStatus).toBe("TERMINATED");
    expect(named(T.instance, "machine-2").desiredStatus).toBe("SUSPENDED");
    expect(named(T.instance, "machine-3").desiredStatus).toBe("RUNNING");
    expect(machines.map((m) => m.desiredState)).toEqual(["stopped", "hibernated", "running"]);
  });

  it("a hibernated GPU machine is kept stopped (GCE cannot suspend GPUs), and the plan says so", async () => {
    const { plan, named } = await compile(machine("size: medium, gpus: { count: 1, type: nvidia-t4 }"), { desired: { machine: "hibernated" } });
    expect(named(T.instance, "machine").desiredStatus).toBe("TERMINATED");
    expect(plan.notes.some((n) => n.startsWith("machine: GCE cannot suspend"))).toBe(true);
  });
});

describe("gcp machines", () => {
  it("a T4 is attached to an N1 machine type, and GPU machines never live-migrate", async () => {
    const { plan, named } = await compile(machine("size: medium, gpus: { count: 1, type: nvidia-t4 }"));
    const i = named(T.instance, "machine");
    expect(i.machineType).toBe("n1-standard-4");
    expect(i.guestAccelerators).toEqual([{ type: "nvidia-tesla-t4", count: 1 }]);
    expect(i.scheduling).toMatchObject({ provisioningModel: "STANDARD", automaticRestart: true, onHostMaintenance: "TERMINATE" });
    // The estimate prices the machine type and its GPU together.
    expect(plan.cost.lines[0]?.item).toMatch(/^n1-standard-4\+1xnvidia-tesla-t4 /);
  });

  it("spotInterruption hibernate stops a reclaimed spot VM (GCE cannot suspend one) and notes it", async () => {
    const f = machine("instanceType: e2-standard-4, spot: true", `${ACCESS}lifecycle: { spotInterruption: hibernate }\n`);
    const { plan, named } = await compile(f);
    expect(named(T.instance, "machine").scheduling).toEqual({
      provisioningModel: "SPOT",
      preemptible: true,
      automaticRestart: false,
      onHostMaintenance: "TERMINATE",
      instanceTerminationAction: "STOP",
    });
    expect(plan.notes).toContain("machine: GCE cannot suspend a reclaimed spot VM; it will be stopped instead (lifecycle.spotInterruption: hibernate)");
  });

  it("without allowFrom nothing is public: no external address, no allow rule, and Cloud NAT for egress", async () => {
    const { plan, named, of, firewalls, machines } = await compile(
      machine("size: small", `access: { sshPublicKeys: ["${"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7yK5YQQX7+PX1LdZ/1IhisRnKb6bgc7s1lYmM0jQyj a@b"}"] }\n`),
    );
    expect((named(T.instance, "machine").networkInterfaces as Inputs[])[0]?.accessConfigs).toEqual([]);
    expect(firewalls().map((f) => f.name)).toEqual([`${plan.session}-fw-deny-all`]);
    expect(of(T.nat)).toHaveLength(1);
    expect(of(T.nat)[0]?.inputs).toMatchObject({
      sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
      subnetworks: [{ name: `${plan.session}-subnet-id`, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
    });
    expect(machines[0]?.publicIp).toBeUndefined();
    // The default zone is the region's b.
    expect(named(T.instance, "machine").zone).toBe("us-central1-b");
  });

  it("Arm machine types boot the image family's arm64 build", async () => {
    const { named } = await compile(machine("instanceType: t2a-standard-4, image: ubuntu-22.04"));
    expect((named(T.instance, "machine").bootDisk as Inputs).initializeParams).toMatchObject({ image: "ubuntu-os-cloud/ubuntu-2204-lts-arm64" });
  });

  it("IPv4 and IPv6 allowFrom ranges get one rule each (GCP refuses a rule mixing them)", async () => {
    const { plan, firewalls } = await compile(machine("size: small", "access: { allowFrom: [203.0.113.0/24, 2001:db8::/32] }\n"));
    const rules = firewalls().filter((f) => f.allows);
    expect(rules.map((f) => [f.name, f.sourceRanges])).toEqual([
      [`${plan.session}-fw-machine-allow-from`, ["203.0.113.0/24"]],
      [`${plan.session}-fw-machine-allow-from-v6`, ["2001:db8::/32"]],
    ]);
  });
});

describe("gcp Windows", () => {
  it("a Windows target gets its script as a secret windows-startup-script-ps1, a 50 GB disk, RDP from the proxy only", async () => {
    const f = inline("VirtualLab", "  target: { protocol: rdp, machine: { size: medium, image: windows-2022 } }\n", ACCESS);
    const { plan, rec, of, named, metadata, firewalls, machines } = await compile(f);
    const md = metadata("target");
    expect(Object.keys(md).sort()).toEqual(["block-project-ssh-keys", "windows-startup-script-ps1"]);
    expect(md["windows-startup-script-ps1"]).toMatch(/^# t-virtuallab target/);
    expect(md["windows-startup-script-ps1"]).not.toContain("<powershell>");
    expect(md["windows-startup-script-ps1"]).toContain("mock-secret-t-virtuallab-admin-password");
    expect(of(T.password).map((r) => r.name)).toEqual(expect.arrayContaining([`${plan.session}-admin-password`, `${plan.session}-gateway-password`]));
    for (const r of rec.resources) expect(visible(r)).not.toContain("mock-secret-");
    expect((named(T.instance, "target").bootDisk as Inputs).initializeParams).toMatchObject({ image: "windows-cloud/windows-2022", size: 50 });
    expect(plan.notes).toContain("target: the windows-2022 image needs a 50 GB boot disk; 30 GB was asked");
    expect(firewalls().find((fw) => fw.targetTags.includes(`${plan.session}-target`))).toMatchObject({
      sourceTags: [`${plan.session}-proxy`],
      allows: [{ protocol: "tcp", ports: ["3389"] }],
    });
    expect(machines.find((m) => m.name === "target")).toMatchObject({ user: "Administrator", connect: expect.stringMatching(/^rdp:\/\/10\./) });
  });
});

describe("gcp given network", () => {
  const cloud = ", network: { id: projects/p-test/global/networks/labs, subnet: projects/p-test/regions/us-central1/subnetworks/labs-a }";

  it("no network of ours, no NAT: machines join the given subnetwork and the firewall rules land on the given network", async () => {
    const f = inline(
      "HPCCluster",
      "  headNode: { machine: { size: small } }\n  computeNodes: { count: 2, machine: { size: small } }\n  sharedStorage: { sizeGb: 100 }\n",
      ACCESS,
      cloud,
    );
    const { plan, counts, named, firewalls } = await compile(f);
    expect(counts()).toEqual({ provider: 1, firewall: 3, instance: 3, filestore: 1, bytes: 1 });
    expect((named(T.instance, "head").networkInterfaces as Inputs[])[0]).toMatchObject({
      subnetwork: "projects/p-test/regions/us-central1/subnetworks/labs-a",
    });
    for (const fw of firewalls()) expect(named(T.firewall, fw.name.slice(plan.session.length + 1)).network).toBe("projects/p-test/global/networks/labs");
    // Filestore wants the network's name; the export is not narrowed to a range we do not own.
    const fs = named(T.filestore, "shared");
    expect(fs.networks).toMatchObject([{ network: "labs" }]);
    expect((fs.fileShares as Inputs).nfsExportOptions).toBeUndefined();
    expect((fs.fileShares as Inputs).capacityGb).toBe(1024);
    expect(plan.notes).toContain("shared storage: gcp bills at least 1024 GB; 100 GB was asked");
  });

  it("without a subnet, machines join the network itself (an auto-mode network picks the region's subnetwork)", async () => {
    const { named } = await compile(machine("size: small", ACCESS, ", network: { id: default }"));
    expect((named(T.instance, "machine").networkInterfaces as Inputs[])[0]).toEqual({ network: "default", accessConfigs: [{ networkTier: "PREMIUM" }] });
  });
});

describe("gcp Dataproc limits", () => {
  const emr = (workers: string, extra = "", release = "") =>
    inline("EMRCluster", `${release}  applications: [spark, presto]\n  master: { machine: { size: large } }\n  workers: { ${workers} }\n`, `${ACCESS}${extra}`);

  it("one on-demand worker becomes Dataproc's smallest standard cluster (2 workers), and the plan says so", async () => {
    const { plan, named } = await compile(emr("count: 1, machine: { size: large }"));
    const cfg = named(T.dataproc, "dataproc").clusterConfig as Inputs;
    expect(cfg.workerConfig).toMatchObject({ numInstances: 2, machineType: "n2-standard-4" });
    expect(cfg.preemptibleWorkerConfig).toBeUndefined();
    expect(cfg.lifecycleConfig).toBeUndefined();
    expect(plan.notes).toContain("Dataproc's smallest standard cluster has 2 workers: 1 more is created than the 1 asked");
  });

  it("presto is Trino from image 2.1 and Presto before; autoStop under 10 minutes is Dataproc's 10", async () => {
    const late = await compile(emr("count: 4, machine: { size: large }", "lifecycle: { autoStop: { idleMinutes: 5 } }\n"));
    const cfg = late.named(T.dataproc, "dataproc").clusterConfig as Inputs;
    expect(cfg.softwareConfig).toMatchObject({ imageVersion: "2.2-debian12", optionalComponents: ["TRINO"] });
    expect(cfg.lifecycleConfig).toEqual({ idleStopTtl: "600s" });
    expect(late.plan.notes).toContain("Dataproc stops an idle cluster after 10 minutes at the soonest; 5 was asked");
    const early = await compile(emr("count: 2, machine: { size: large }", "", "  release: 2.0-debian10\n"));
    expect(((early.named(T.dataproc, "dataproc").clusterConfig as Inputs).softwareConfig as Inputs).optionalComponents).toEqual(["PRESTO"]);
  });
});
