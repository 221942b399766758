/**
 * Test layer 2: components compiled under Pulumi's mocks (pulumi.runtime.setMocks).
 * The GCP adapter under Pulumi's mock runtime, over every example in formations/gcp: the real
 * components compile each formation and recordProgram records what they register. Asserts types
 * and counts, parents and names, labels and network tags, default-deny firewall rules, spot
 * scheduling, secrets, power state and outputs; never a whole-object snapshot.
 */
import { describe, expect, it } from "vitest";
import { gcpLabels } from "../../../clouds/gcp/emit/shapes.js";
import { expectNoPlainSecret, expectOneComponent, visible } from "../../helpers/compile.js";
import { compileExample, exampleNames as examples, T, type Inputs } from "./helpers.js";

/** What each example registers, by type (random: the session's generated secrets). */
const COUNTS: Record<string, Record<string, number>> = {
  "machine.yaml": { provider: 1, network: 1, subnet: 1, firewall: 2, instance: 1 },
  "docker.yaml": { provider: 1, network: 1, subnet: 1, firewall: 2, instance: 1 },
  "pool.yaml": { provider: 1, network: 1, subnet: 1, firewall: 2, instance: 30 },
  "virtual-lab.yaml": { provider: 1, network: 1, subnet: 1, router: 1, nat: 1, firewall: 3, instance: 2, password: 1 },
  "emr.yaml": { provider: 1, network: 1, subnet: 1, router: 1, nat: 1, firewall: 3, instance: 1, dataproc: 1 },
  "hpc.yaml": { provider: 1, network: 1, subnet: 1, router: 1, nat: 1, firewall: 3, instance: 9, filestore: 1, bytes: 1 },
};

describe("every gcp example", () => {
  it("covers the six kinds", () => expect(examples.sort()).toEqual(Object.keys(COUNTS).sort()));

  it.each(examples)("%s: the expected resources, each a child of the one component and named after the session", async (name) => {
    const { plan, rec, counts } = await compileExample(name);
    expect(counts()).toEqual(COUNTS[name]);
    expectOneComponent({ plan, rec }, "gcp:", T.provider);
  });

  it.each(examples)("%s: one session provider with the plan's project, region, zone and labels", async (name) => {
    const { plan, of } = await compileExample(name);
    const [provider] = of(T.provider);
    expect(provider?.inputs).toMatchObject({ project: plan.project, region: plan.region, zone: plan.zone ?? `${plan.region}-b` });
    expect(JSON.parse(String(provider?.inputs.defaultLabels))).toEqual(plan.labels);
    // The session's labels are already GCP-safe: the sanitiser leaves them as they are.
    expect(gcpLabels(plan.labels)).toEqual(plan.labels);
  });

  it.each(examples)("%s: instances labelled and tagged by role, on their image family, with an external address only where allowFrom reaches", async (name) => {
    const { plan, named, metadata } = await compileExample(name);
    const own = plan.machines.filter((m) => !m.managedBy);
    for (const m of own) {
      const i = named(T.instance, m.name);
      const labels = { ...plan.labels, "formations-role": m.role };
      expect(i).toMatchObject({
        name: `${plan.session}-${m.name}`,
        labels,
        allowStoppingForUpdate: true,
        desiredStatus: "RUNNING",
        zone: plan.zone ?? `${plan.region}-b`,
      });
      expect(i.tags).toEqual(expect.arrayContaining([plan.session, `${plan.session}-${m.role}`]));
      const disk = (i.bootDisk as Inputs).initializeParams as Inputs;
      expect(disk).toMatchObject({ image: m.image.id, size: m.diskGb, type: "pd-balanced", labels });
      const nic = (i.networkInterfaces as Inputs[])[0]!;
      expect(nic.subnetwork).toBe(`${plan.session}-subnet-id`);
      expect((nic.accessConfigs as unknown[]).length).toBe(m.public ? 1 : 0);
      expect(i.shieldedInstanceConfig).toEqual({ enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true });
      const md = metadata(m.name);
      expect(md["user-data"]).toMatch(/^#cloud-config\n/);
      expect(md["block-project-ssh-keys"]).toBe("TRUE");
      expect(md["ssh-keys"]?.split("\n")).toHaveLength(plan.sshPublicKeys.length);
    }
  });

  it.each(examples)("%s: firewall is default-deny: sources are allowFrom, session tags or nothing, and the rest is denied", async (name) => {
    const { plan, firewalls } = await compileExample(name);
    const allowed = new Set(plan.allowFrom);
    const rules = firewalls();
    for (const fw of rules) {
      expect(fw.direction, fw.name).toBe("INGRESS");
      for (const tag of [...fw.targetTags, ...(fw.sourceTags ?? [])]) expect(tag.startsWith(plan.session), `${fw.name} tag ${tag}`).toBe(true);
      if (fw.denies) continue;
      expect(fw.priority).toBe(1000);
      for (const cidr of fw.sourceRanges ?? []) expect(allowed.has(cidr), `${fw.name} allows ${cidr}`).toBe(true);
    }
    const deny = rules.find((fw) => fw.denies);
    expect(deny).toMatchObject({
      name: `${plan.session}-fw-deny-all`,
      priority: 65534,
      targetTags: [plan.session],
      sourceRanges: ["0.0.0.0/0"],
      denies: [{ protocol: "all" }],
    });
    expect(deny?.allows).toBeUndefined();
  });

  it.each(examples)("%s: no plain secret in any input, and secrets in metadata stay secret", async (name) => {
    const { rec, of } = await compileExample(name);
    expectNoPlainSecret(rec);
    for (const r of of(T.instance)) expect(visible(r)).toContain('"metadata":"[secret]"');
  });

  it.each(examples)("%s: outputs name every machine with its instance id, addresses and how to connect", async (name) => {
    const { plan, outputs, machines } = await compileExample(name);
    expect(outputs).toMatchObject({ session: plan.session, kind: plan.kind, provider: "gcp", formation: plan.formation });
    const own = plan.machines.filter((m) => !m.managedBy);
    expect(machines.map((m) => m.name)).toEqual(own.map((m) => m.name));
    for (const m of machines) {
      const planned = own.find((p) => p.name === m.name)!;
      expect(m).toMatchObject({
        role: planned.role,
        cloudId: `${plan.session}-${m.name}-id`,
        instanceType: planned.instanceType,
        desiredState: "running",
        spot: planned.spot,
      });
      expect(m.privateIp).toMatch(/^10\.\d+\.\d+\.\d+$/);
      if (planned.public) expect(m.publicIp).toMatch(/^198\.51\.100\.\d+$/);
      else expect(m.publicIp).toBeUndefined();
      expect(m.connect).toContain(m.publicIp ?? m.privateIp);
    }
  });
});

describe("gcp examples, kind by kind", () => {
  it("Machine: a spot L4 VM that stops when reclaimed, GPUs bundled with g2 (nothing to attach), no live migration", async () => {
    const { named, machines } = await compileExample("machine.yaml");
    const i = named(T.instance, "machine");
    expect(i.machineType).toBe("g2-standard-8");
    expect(i.scheduling).toEqual({
      provisioningModel: "SPOT",
      preemptible: true,
      automaticRestart: false,
      onHostMaintenance: "TERMINATE",
      instanceTerminationAction: "STOP",
    });
    expect(i.guestAccelerators).toBeUndefined();
    expect(machines[0]?.connect).toMatch(/^ssh ubuntu@198\.51\.100\.\d+$/);
  });

  it("Docker: the host opens ssh and the container's port to allowFrom only, and boots the container by cloud-init on Debian", async () => {
    const { plan, firewalls, metadata } = await compileExample("docker.yaml");
    const fw = firewalls().find((f) => f.name === `${plan.session}-fw-host-allow-from`);
    expect(fw).toMatchObject({
      targetTags: [`${plan.session}-host`],
      sourceRanges: ["203.0.113.0/24", "198.51.100.0/24"],
      allows: [{ protocol: "tcp", ports: ["22", "8080"] }],
    });
    const md = metadata("host");
    expect(md["user-data"]).toContain("heartexlabs/label-studio:1.12.1");
    expect(md["ssh-keys"]).toMatch(/^debian:ssh-ed25519 /);
    // GCE's Debian image has no cloud-init: the startup script installs it and runs the user data.
    expect(md["startup-script"]).toContain("apt-get install -y -q cloud-init");
  });

  it("Pool: 30 spot members, each opening ssh and the pool's ports, none in a cluster, no NAT (all are public)", async () => {
    const { plan, of, firewalls } = await compileExample("pool.yaml");
    for (const r of of(T.instance)) {
      expect((r.inputs.scheduling as Inputs).instanceTerminationAction).toBe("STOP");
      expect(r.inputs.tags).toEqual([plan.session, `${plan.session}-member`]);
    }
    expect(
      firewalls()
        .map((f) => f.name)
        .sort(),
    ).toEqual([`${plan.session}-fw-deny-all`, `${plan.session}-fw-member-allow-from`]);
    expect(firewalls().find((f) => f.allows)?.allows).toEqual([{ protocol: "tcp", ports: ["22", "6443", "30080"] }]);
  });

  it("VirtualLab: the target is reachable on ssh from the proxy's tag only and has no external address", async () => {
    const { plan, firewalls, named, metadata, outputs } = await compileExample("virtual-lab.yaml");
    const toTarget = firewalls().filter((f) => f.targetTags.includes(`${plan.session}-target`));
    expect(toTarget).toHaveLength(1);
    expect(toTarget[0]).toMatchObject({ sourceTags: [`${plan.session}-proxy`], allows: [{ protocol: "tcp", ports: ["22"] }] });
    expect(toTarget[0]?.sourceRanges).toBeUndefined();
    expect((named(T.instance, "target").networkInterfaces as Inputs[])[0]?.accessConfigs).toEqual([]);
    // The gateway knows the target's private address.
    const targetIp = (await compileExample("virtual-lab.yaml")).machines.find((m) => m.name === "target")!.privateIp;
    expect(metadata("proxy")["user-data"]).toContain(targetIp);
    expect(outputs.gatewayUrl).toMatch(/^https:\/\/198\.51\.100\.\d+\/guacamole\/$/);
  });

  it("EMRCluster: Dataproc with the release, components, 2 primary + 1 spot secondary workers, internal IPs, cluster tag, idle stop", async () => {
    const { plan, named, metadata, outputs, machines } = await compileExample("emr.yaml");
    const c = named(T.dataproc, "dataproc");
    expect(c).toMatchObject({ name: plan.session, region: "europe-west1", labels: { ...plan.labels, "formations-role": "bigdata" } });
    const cfg = c.clusterConfig as Inputs;
    expect(cfg.softwareConfig).toEqual({ imageVersion: "2.2-debian12", optionalComponents: ["HIVE_WEBHCAT", "JUPYTER"] });
    expect(cfg.gceClusterConfig).toMatchObject({
      internalIpOnly: true,
      zone: "europe-west1-b",
      subnetwork: `${plan.session}-subnet-id`,
      tags: [plan.session, `${plan.session}-bigdata`, `${plan.session}-cluster`],
    });
    expect(cfg.masterConfig).toMatchObject({ numInstances: 1, machineType: "n2-standard-4", diskConfig: { bootDiskSizeGb: 100 } });
    expect(cfg.workerConfig).toMatchObject({ numInstances: 2, machineType: "n2-standard-4" });
    expect(cfg.preemptibleWorkerConfig).toMatchObject({ numInstances: 1, preemptibility: "SPOT" });
    expect(cfg.lifecycleConfig).toEqual({ idleStopTtl: "7200s" });
    expect(plan.notes).toContain("Dataproc needs 2 on-demand (primary) workers: 2 of the spot workers run on demand");
    // The proxy fronts the master by its internal DNS name; only the proxy is an instance of ours.
    expect(metadata("proxy")["user-data"]).toContain(`${plan.session}-m.europe-west1-b.c.uni-datasci-teaching.internal`);
    expect(machines.map((m) => m.name)).toEqual(["proxy"]);
    expect(outputs).toMatchObject({
      managed: true,
      release: "2.2-debian12",
      applications: ["spark", "hive", "jupyter"],
      clusterId: `${plan.session}-dataproc-id`,
    });
  });

  it("HPCCluster: Filestore Basic HDD of 1 TiB for the session's subnet, mounted over NFSv3, cluster rule, spot compute deleted when reclaimed", async () => {
    const { plan, named, metadata, firewalls, outputs, machines } = await compileExample("hpc.yaml");
    const fs = named(T.filestore, "shared");
    expect(fs).toMatchObject({
      tier: "BASIC_HDD",
      location: "europe-west1-d",
      networks: [{ network: `${plan.session}-vpc`, connectMode: "DIRECT_PEERING", modes: ["MODE_IPV4"] }],
    });
    expect(fs.fileShares).toMatchObject({
      name: "shared",
      capacityGb: 1024,
      nfsExportOptions: [{ ipRanges: [plan.network.subnetCidr], accessMode: "READ_WRITE" }],
    });
    const compute = metadata("compute-3")["user-data"];
    expect(compute).toMatch(/10\.\d+\.\d+\.\d+:\/shared \/shared nfs nfsvers=3,/);
    expect(compute).not.toContain("nfsvers=4.1");
    expect(metadata("head")["user-data"]).toContain("slurmctld");
    expect(firewalls().find((f) => f.name === `${plan.session}-fw-cluster`)).toMatchObject({
      sourceTags: [`${plan.session}-cluster`],
      targetTags: [`${plan.session}-cluster`],
      allows: [{ protocol: "all" }],
    });
    expect(named(T.instance, "head").tags).toContain(`${plan.session}-cluster`);
    expect((named(T.instance, "compute-1").scheduling as Inputs).instanceTerminationAction).toBe("DELETE");
    expect((named(T.instance, "head").scheduling as Inputs).provisioningModel).toBe("STANDARD");
    expect(named(T.instance, "head").bootDisk).toMatchObject({ initializeParams: { image: "rocky-linux-cloud/rocky-linux-9" } });
    expect(outputs).toMatchObject({ scheduler: "slurm", computeNodes: 8, mountPath: "/shared", headAddress: machines[0]?.privateIp });
    expect(machines[0]?.connect).toMatch(/^ssh rocky@198\.51\.100\.\d+$/);
  });
});
