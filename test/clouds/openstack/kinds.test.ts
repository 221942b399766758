/**
 * Test layer 2: components compiled under Pulumi's mocks (pulumi.runtime.setMocks).
 * The OpenStack adapter, kind by kind and setting by setting, under Pulumi's mock runtime:
 * firewall rules per kind (the VirtualLab target only from its proxy, cluster members to each
 * other), what each machine's user data learns from the others, secrets, the HPC head's NFS
 * export (and Manila when a catalog has it), power states, spot, autoStop, Windows, GPUs, a given
 * network, and the notes OpenStack adds to the plan.
 */
import { describe, expect, it } from "vitest";
import { isSecretValue } from "../../../components/offline.js";
import { MOCK_SECRET } from "../../helpers/compile.js";
import { ACCESS, compile, compileExample, inline, T, type Inputs } from "./helpers.js";

describe("Machine", () => {
  it("opens ssh and the extra ports to each allowFrom CIDR on the machine's group, and nothing else", async () => {
    const { plan, rules } = await compileExample("machine.yaml");
    const ingress = rules("sg-machine").filter((r) => r.direction === "ingress");
    const seen = ingress.map((r) => `${r.protocol}/${r.portRangeMin}-${r.portRangeMax} ${r.remoteIpPrefix}`).sort();
    expect(seen).toEqual(plan.allowFrom.flatMap((c) => [22, 443, 80].map((p) => `tcp/${p}-${p} ${c}`)).sort());
    expect(rules("sg-session")).toEqual([]);
  });

  it("maps sizes and GPU counts to the catalog's flavors", async () => {
    const sized = await compile(inline("Machine", "  machine: { size: medium }\n", ACCESS));
    expect(sized.named(T.instance, "machine").flavorName).toBe("m1.medium");
    const gpu = await compile(inline("Machine", "  machine: { gpus: { count: 1, type: nvidia-t4 } }\n", ACCESS));
    expect(gpu.named(T.instance, "machine").flavorName).toBe("gpu.t4.1");
  });

  it("without allowFrom, no floating IP and no ingress rule at all", async () => {
    const { of } = await compile(inline("Machine", "  machine: { size: small }\n  ports: [8080]\n"));
    expect(of(T.fip)).toEqual([]);
    expect(of(T.rule).filter((r) => r.inputs.direction === "ingress")).toEqual([]);
  });
});

describe("Docker on a VM", () => {
  it("the host publishes the container's host ports to allowFrom and installs Docker", async () => {
    const { plan, rules, userData } = await compileExample("docker.yaml");
    const ports = new Set(
      rules("sg-host")
        .filter((r) => r.direction === "ingress")
        .map((r) => r.portRangeMin),
    );
    expect(ports).toEqual(new Set([22, 3000, 2222]));
    expect(userData("host")).toContain(plan.container!.image);
  });
});

describe("Pool", () => {
  it("runs the idle agent on every machine for lifecycle.autoStop (OpenStack has no native idle stop)", async () => {
    const { plan, userData } = await compileExample("pool.yaml");
    expect(plan.machines).toHaveLength(12);
    for (const m of plan.machines) {
      const ud = userData(m.name);
      expect(ud).toContain("/usr/local/lib/formations/idle-agent.sh");
      expect(ud).toContain("FORMATIONS_IDLE_MINUTES=60");
      expect(ud).toContain("systemctl enable --now formations-idle-agent.timer");
    }
    expect(plan.notes.some((n) => n.includes("idle agent"))).toBe(true);
    // A session without autoStop gets no agent.
    const machine = await compileExample("machine.yaml");
    expect(machine.userData("machine")).not.toContain("idle-agent");
  });

  it("ignores spot (no market), prices it on demand and says so", async () => {
    const f = inline("Pool", "  count: 2\n  machine: { size: large, spot: true }\n", ACCESS);
    const spot = await compile(f);
    const onDemand = await compile(inline("Pool", "  count: 2\n  machine: { size: large }\n", ACCESS));
    expect(spot.plan.cost.hourlyUsd).toBe(onDemand.plan.cost.hourlyUsd);
    expect(spot.plan.notes.some((n) => n.includes("no spot market"))).toBe(true);
    for (const r of spot.of(T.instance)) expect(JSON.stringify(r.inputs)).not.toMatch(/spot|preempt/i);
    expect(spot.machines.every((m) => m.spot)).toBe(true);
  });
});

describe("VirtualLab", () => {
  it("reaches the target only from the proxy's group, on the protocol's port", async () => {
    const { rules, id, of, plan } = await compileExample("virtual-lab.yaml");
    const target = rules("sg-target").filter((r) => r.direction === "ingress");
    expect(target).toHaveLength(1);
    expect(target[0]).toMatchObject({ protocol: "tcp", portRangeMin: 5901, portRangeMax: 5901, remoteGroupId: id("sg-proxy"), ethertype: "IPv4" });
    expect(target[0]?.remoteIpPrefix).toBeUndefined();
    expect(of(T.fip).map((r) => r.name)).toEqual([`${plan.session}-proxy-fip`]);
    const proxy = rules("sg-proxy")
      .filter((r) => r.direction === "ingress")
      .map((r) => `${r.portRangeMin} ${r.remoteIpPrefix}`);
    expect(proxy.sort()).toEqual(["22 203.0.113.0/24", "443 203.0.113.0/24"]);
  });

  it("the gateway knows the target's address and the session's password, inside secret user data", async () => {
    const { userData, portIp, outputs, machines } = await compileExample("virtual-lab.yaml");
    const proxy = userData("proxy");
    expect(proxy).toContain(portIp("target"));
    expect(proxy).toMatch(MOCK_SECRET);
    const publicIp = machines.find((m) => m.name === "proxy")!.publicIp!;
    expect(outputs).toMatchObject({ gatewayUrl: `https://${publicIp}/guacamole/`, protocol: "vnc" });
  });
});

describe("EMRCluster", () => {
  it("is self-managed Spark on servers: master and workers as machines, members talk to each other", async () => {
    const { plan, of, id, rules, userData, portIp, outputs } = await compileExample("emr.yaml");
    expect(plan.bigData).toMatchObject({ managed: false });
    expect(
      of(T.instance)
        .map((r) => r.name.slice(plan.session.length + 1))
        .sort(),
    ).toEqual(["master", "proxy", ...Array.from({ length: 6 }, (_, i) => `worker-${i + 1}`)].sort());
    const self = rules("sg-session").filter((r) => r.direction === "ingress");
    expect(self.map((r) => [r.ethertype, r.remoteGroupId, r.protocol])).toEqual([
      ["IPv4", id("sg-session"), undefined],
      ["IPv6", id("sg-session"), undefined],
    ]);
    for (const w of plan.machines.filter((m) => m.role === "worker")) expect(userData(w.name)).toContain(portIp("master"));
    expect(userData("proxy")).toContain(portIp("master"));
    expect(outputs).toMatchObject({ managed: false, applications: ["spark", "hadoop"] });
    expect(outputs.clusterId).toBeUndefined();
  });
});

describe("HPCCluster", () => {
  it("the head exports NFS from a boot volume grown by the shared size; compute nodes mount it and know the head", async () => {
    const { plan, named, userData, portIp, outputs, of } = await compileExample("hpc.yaml");
    expect(plan.storage).toMatchObject({ kind: "head-nfs", sizeGb: 500, mountPath: "/shared" });
    expect(of(T.share)).toEqual([]);
    const head = named(T.instance, "head");
    expect((head.blockDevices as Inputs[])[0]?.volumeSize).toBe(80 + 500);
    expect((named(T.instance, "compute-1").blockDevices as Inputs[])[0]?.volumeSize).toBe(80);
    expect(userData("head")).toContain("/etc/exports.d/formations.exports");
    const headIp = portIp("head");
    for (const c of plan.machines.filter((m) => m.role === "compute")) expect(userData(c.name)).toContain(`${headIp}:/shared`);
    expect(outputs).toMatchObject({ scheduler: "slurm", mountPath: "/shared", computeNodes: 12, headAddress: headIp });
    expect(plan.notes.some((n) => n.includes("boot volume, grown by 500 GB"))).toBe(true);
  });

  it("the munge key is generated once, a secret, and shows only inside secret user data", async () => {
    const { rec, userData, plan } = await compileExample("hpc.yaml");
    expect(rec.resources.filter((r) => r.type === "random:index/randomBytes:RandomBytes")).toHaveLength(1);
    const key = Buffer.from("mock-secret-rnaseq-slurm-munge-key").toString("base64");
    for (const m of plan.machines) expect(userData(m.name)).toContain(key);
    for (const r of rec.resources) {
      for (const [k, v] of Object.entries(r.inputs)) if (JSON.stringify(v).includes(key)) expect(isSecretValue(v), `${r.name}.${k}`).toBe(true);
    }
  });

  it("with Manila (a catalog that plans managed storage), an NFS share open to the subnet only, mounted everywhere", async () => {
    const f = inline(
      "HPCCluster",
      "  headNode: { machine: { size: medium } }\n  computeNodes: { count: 2, machine: { size: large } }\n  sharedStorage: { sizeGb: 200 }\n",
      ACCESS,
    );
    const { plan, named, id, userData, of } = await compile(f, {}, (p) => (p.storage!.kind = "managed"));
    expect(of(T.share)).toHaveLength(1);
    expect(named(T.share, "shared")).toMatchObject({ shareProto: "NFS", size: 200 });
    expect(named(T.shareAccess, "shared-access")).toEqual({ shareId: id("shared"), accessType: "ip", accessTo: plan.network.subnetCidr, accessLevel: "rw" });
    expect((named(T.instance, "head").blockDevices as Inputs[])[0]?.volumeSize).toBe(plan.machines[0]!.diskGb);
    for (const m of plan.machines) expect(userData(m.name)).toContain(`${plan.session}-shared.mock.internal:/shares/${plan.session}-shared`);
  });
});

describe("power state, Windows, a given network", () => {
  it("follows the session's desired state: stopped is shutoff, hibernated is shelved_offloaded", async () => {
    const f = await import("./helpers.js").then((h) => h.example("hpc.yaml"));
    const { named, machines, plan } = await compile(f, { desired: { head: "stopped", "compute-1": "hibernated" } });
    expect(named(T.instance, "head").powerState).toBe("shutoff");
    expect(named(T.instance, "compute-1").powerState).toBe("shelved_offloaded");
    expect(named(T.instance, "compute-2").powerState).toBe("active");
    expect(machines.find((m) => m.name === "compute-1")?.desiredState).toBe("hibernated");
    expect(plan.notes.some((n) => n.includes("shelves"))).toBe(true);
  });

  it("Windows boots a cloudbase-init PowerShell script, with the admin password secret and no key pair", async () => {
    const { named, userData, machines, rules, rec } = await compile(inline("Machine", "  machine: { size: large, image: windows-2022 }\n", ACCESS));
    const ud = userData("machine");
    expect(ud.startsWith("#ps1_sysnative\n")).toBe(true);
    expect(ud).not.toContain("<powershell>");
    expect(ud).toMatch(MOCK_SECRET);
    expect(named(T.instance, "machine").keyPair).toBeUndefined();
    expect(machines[0]?.user).toBe("Administrator");
    expect(
      rules("sg-machine")
        .filter((r) => r.direction === "ingress")
        .map((r) => r.portRangeMin),
    ).toEqual([3389]);
    expect(rec.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword")).toHaveLength(1);
  });

  it("a given network: no network, subnet or router of ours; ports on it, the subnet looked up by name", async () => {
    const net = "8d5c2a6e-1f0b-4e0e-9a51-3c2b7e4f9d10";
    const f = inline("Machine", "  machine: { size: small }\n", ACCESS, `, network: { id: ${net}, subnet: lab-subnet }`);
    const { of, named, rec } = await compile(f);
    expect([of(T.network), of(T.subnet), of(T.router), of(T.routerInterface)].map((x) => x.length)).toEqual([0, 0, 0, 0]);
    expect(named(T.port, "machine-port")).toMatchObject({ networkId: net, fixedIps: [{ subnetId: "mock-getSubnet" }] });
    expect(rec.calls.find((c) => c.token === "openstack:networking/getSubnet:getSubnet")?.inputs).toMatchObject({ name: "lab-subnet", networkId: net });
    expect(named(T.fip, "machine-fip").pool).toBe("public");
  });

  it("looks up each Glance image once by name, newest first", async () => {
    const { rec } = await compileExample("pool.yaml");
    const lookups = rec.calls.filter((c) => c.token === "openstack:images/getImage:getImage");
    expect(lookups).toHaveLength(1);
    expect(lookups[0]?.inputs).toMatchObject({ name: "Rocky Linux 9", mostRecent: true });
  });
});
