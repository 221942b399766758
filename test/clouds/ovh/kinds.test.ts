/**
 * Layer 2: the OVHcloud adapter under Pulumi's mock runtime, every kind. OVHcloud's API makes the
 * private network (vRack, one VLAN per session), its subnet and gateway, and File Storage shares
 * for HPC, all in the project the account names; the machines are clouds/openstack's servers in
 * that network (ports, default-deny groups, floating IPs on Ext-Net). Also: flavors and prices
 * from the OVH catalog, the notes OVH adds, a given network, and the project's resolution.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { vlanOf } from "../../../clouds/ovh/emit/network.js";
import { onlyProject } from "../../../clouds/ovh/emit/project.js";
import { ovh as catalog } from "../../../clouds/ovh/catalog.js";
import { expectNoPlainSecret } from "../../helpers/compile.js";
import { ACCESS, compile, compileExample, exampleNames, inline, T, type Inputs } from "./helpers.js";

const MOCK_PROJECT = "0123456789abcdef0123456789abcdef";
const KINDS: Record<string, string> = {
  "machine.yaml": "Machine",
  "docker.yaml": "Docker",
  "pool.yaml": "Pool",
  "virtual-lab.yaml": "VirtualLab",
  "emr.yaml": "EMRCluster",
  "hpc.yaml": "HPCCluster",
};

afterEach(() => vi.unstubAllEnvs());

describe("every example", () => {
  it("there is one per kind", () => {
    expect(exampleNames.sort()).toEqual(Object.keys(KINDS).sort());
  });

  it.each(Object.keys(KINDS))("%s: one component, children of OVH or OpenStack types only, one provider of each, no plain secret", async (file) => {
    const c = await compileExample(file);
    const [component, ...children] = c.rec.resources;
    expect(component).toMatchObject({ type: `formations:index:${KINDS[file]}`, name: c.plan.session, parent: null });
    for (const r of children) {
      expect(r.parent, r.name).toBe(c.plan.session);
      expect(/^(ovh:|openstack:|random:|pulumi:providers:(ovh|openstack)$)/.test(r.type), r.type).toBe(true);
    }
    expect(c.of(T.ovhProvider)).toHaveLength(1);
    expect(c.of(T.openstackProvider)).toHaveLength(1);
    expect(c.of(T.openstackProvider)[0]!.inputs.region).toBe(c.plan.region);
    expect(c.of(T.instance)).toHaveLength(c.plan.machines.length);
    // OVH's own network, never a Neutron network and router of ours.
    expect(c.of(T.osNetwork)).toEqual([]);
    expect(c.of(T.router)).toEqual([]);
    expectNoPlainSecret(c.rec);
  });
});

describe("network", () => {
  it("a vRack private network in the region on the session's VLAN, its subnet, and a gateway on it; ports in that subnet", async () => {
    const c = await compileExample("pool.yaml");
    const s = c.plan.session;
    expect(c.named(T.network, "net")).toMatchObject({ serviceName: MOCK_PROJECT, name: `${s}-net`, regions: ["BHS5"], vlanId: vlanOf(s) });
    const osNet = "mock-openstack-net-bhs5";
    expect(c.named(T.subnet, "subnet")).toMatchObject({
      serviceName: MOCK_PROJECT,
      region: "BHS5",
      networkId: osNet,
      cidr: "10.42.0.0/20",
      dhcp: true,
      enableGatewayIp: true,
    });
    expect(c.named(T.gateway, "gateway")).toMatchObject({ serviceName: MOCK_PROJECT, region: "BHS5", model: "s", networkId: osNet, subnetId: c.id("subnet") });
    for (const port of c.of(T.port)) expect(port.inputs).toMatchObject({ networkId: osNet, fixedIps: [{ subnetId: c.id("subnet") }] });
  });

  it("floating IPs only for entry points, from Ext-Net", async () => {
    const lab = await compileExample("virtual-lab.yaml");
    expect(lab.of(T.fip).map((r) => r.name)).toEqual([`${lab.plan.session}-proxy-fip`]);
    expect(lab.of(T.fip)[0]!.inputs.pool).toBe("Ext-Net");
    // The desktop is reached through the gateway only: its group lets the proxy's group in, nothing else.
    const targetRules = lab
      .of(T.rule)
      .map((r) => r.inputs)
      .filter((r: Inputs) => r.securityGroupId === lab.id("sg-target") && r.direction === "ingress");
    expect(targetRules).toEqual([expect.objectContaining({ protocol: "tcp", portRangeMin: 3389, portRangeMax: 3389, remoteGroupId: lab.id("sg-proxy") })]);
  });

  it("a given network (its OpenStack id) is used as it is: no private network, subnet or gateway of ours", async () => {
    const c = await compile(inline("Machine", "  machine: { size: small }\n", ACCESS, ", network: { id: 7f1c0000-0000-4000-8000-00000000abcd }"));
    expect(c.of(T.network)).toEqual([]);
    expect(c.of(T.subnet)).toEqual([]);
    expect(c.of(T.gateway)).toEqual([]);
    expect(c.named(T.port, "machine-port")).toMatchObject({ networkId: "7f1c0000-0000-4000-8000-00000000abcd" });
  });

  it("the VLAN is stable per session and never the vRack's untagged 0", () => {
    expect(vlanOf("lab")).toBe(vlanOf("lab"));
    for (const s of ["a", "lab", "climate-slurm", "x".repeat(40)]) expect(vlanOf(s)).toBeGreaterThanOrEqual(2);
    for (const s of ["a", "lab", "climate-slurm", "x".repeat(40)]) expect(vlanOf(s)).toBeLessThanOrEqual(4001);
  });
});

describe("the project (serviceName)", () => {
  it("is the account's only project when none is named, looked up once", async () => {
    const c = await compileExample("machine.yaml");
    expect(c.rec.calls.filter((x) => x.token === "ovh:Cloud/getProjects:getProjects")).toHaveLength(1);
    expect(c.named(T.network, "net").serviceName).toBe(MOCK_PROJECT);
  });

  it("is OVH_CLOUD_PROJECT_SERVICE when set, without a lookup", async () => {
    vi.stubEnv("OVH_CLOUD_PROJECT_SERVICE", "feedfacefeedfacefeedfacefeedface");
    const c = await compile(inline("Machine", "  machine: { size: small }\n"));
    expect(c.rec.calls.filter((x) => x.token === "ovh:Cloud/getProjects:getProjects")).toEqual([]);
    expect(c.named(T.network, "net").serviceName).toBe("feedfacefeedfacefeedfacefeedface");
  });

  it("cannot be guessed from none or several projects, and says how to name it", () => {
    expect(onlyProject([{ projectId: "p1" }])).toBe("p1");
    expect(() => onlyProject([])).toThrow(
      /no Public Cloud project: name the project with `pulumi config set formations:ovhServiceName <project id>` or OVH_CLOUD_PROJECT_SERVICE/,
    );
    expect(() => onlyProject([{ projectId: "p1" }, { projectId: "p2" }])).toThrow(/has 2 Public Cloud projects \(p1, p2\)/);
  });

  it("the OVH provider's endpoint defaults to ovh-eu and follows OVH_ENDPOINT", async () => {
    expect((await compile(inline("Machine", "  machine: { size: small }\n"))).of(T.ovhProvider)[0]!.inputs.endpoint).toBe("ovh-eu");
    vi.stubEnv("OVH_ENDPOINT", "ovh-ca");
    expect((await compile(inline("Machine", "  machine: { size: small }\n"))).of(T.ovhProvider)[0]!.inputs.endpoint).toBe("ovh-ca");
  });
});

describe("flavors and prices", () => {
  it("sizes map to b2 flavors, a V100 to t1-45, and the plan prices them from the OVH catalog", async () => {
    const small = await compile(inline("Machine", "  machine: { size: small }\n"));
    expect(small.named(T.instance, "machine").flavorName).toBe("b2-7");
    const gpu = await compileExample("machine.yaml");
    expect(gpu.named(T.instance, "machine").flavorName).toBe("t1-45");
    const m = gpu.plan.machines[0]!;
    expect(m.hourlyUsd).toBeCloseTo(catalog.instances["t1-45"]!.usd + (200 * catalog.diskGbMonthUsd) / 730, 6);
    expect(gpu.plan.cost.source).toContain("OVHcloud Public Cloud order catalog");
  });

  it("spot is ignored and said so; there is no NAT gateway line", async () => {
    const c = await compile(inline("Pool", "  count: 2\n  machine: { size: small, spot: true }\n"));
    expect(c.plan.notes).toContain(
      "machine-1, machine-2: OVHcloud Public Cloud has no spot market; spot is ignored, the machines run and are priced on demand",
    );
    expect(c.plan.cost.lines.map((l) => l.item)).not.toContain("NAT gateway (egress of machines without a public address)");
  });
});

describe("HPCCluster", () => {
  it("a File Storage NFS share on the session network, writable from its subnet only, mounted by every node", async () => {
    const c = await compileExample("hpc.yaml");
    const s = c.plan.session;
    expect(c.named(T.shareNetwork, "share-net")).toMatchObject({
      serviceName: MOCK_PROJECT,
      region: "UK1",
      networkId: "mock-openstack-net-uk1",
      subnetId: c.id("subnet"),
    });
    expect(c.named(T.share, "shared")).toMatchObject({
      serviceName: MOCK_PROJECT,
      region: "UK1",
      protocol: "NFS",
      shareType: "STANDARD_1AZ",
      size: 500,
      shareNetworkId: c.id("share-net"),
    });
    expect(c.named(T.shareAcl, "shared-acl")).toEqual({
      serviceName: MOCK_PROJECT,
      shareId: c.id("shared"),
      accessTo: "10.42.0.0/20",
      accessLevel: "READ_WRITE",
    });
    const exportPath = `10.42.0.250:/shares/share-${s}-shared`;
    for (const m of c.plan.machines) expect(c.userData(m.name), m.name).toContain(exportPath);
    expect(c.plan.storage).toMatchObject({ kind: "managed", sizeGb: 500 });
    expect(c.plan.cost.lines).toContainEqual({
      item: "shared storage (500 GB)",
      count: 1,
      hourlyUsd: expect.closeTo((500 * catalog.sharedStorageGbMonthUsd) / 730, 6),
    });
  });

  it("a share smaller than File Storage's minimum is made at the minimum, and the plan says so", async () => {
    const c = await compile(
      inline(
        "HPCCluster",
        "  headNode: { machine: { size: small } }\n  computeNodes: { count: 1, machine: { size: small } }\n  sharedStorage: { sizeGb: 50 }\n",
      ),
    );
    expect(c.named(T.share, "shared").size).toBe(150);
    expect(c.plan.notes).toContain("shared storage: ovh bills at least 150 GB; 50 GB was asked");
  });
});

describe("power states and the other kinds", () => {
  it("follows the session's desired state: hibernated shelves, stopped is shutoff (and billed, said so)", async () => {
    const f = (await import("./helpers.js")).example;
    const pool = await f("pool.yaml");
    const c = await compile(pool, { desired: { "machine-1": "hibernated", "machine-2": "stopped" } });
    expect(c.named(T.instance, "machine-1").powerState).toBe("shelved_offloaded");
    expect(c.named(T.instance, "machine-2").powerState).toBe("shutoff");
    expect(c.named(T.instance, "machine-3").powerState).toBe("active");
    expect(c.plan.notes.some((n) => n.startsWith("a stopped (SHUTOFF) OVHcloud instance is still billed"))).toBe(true);
  });

  it("Docker: the host runs the container from cloud-init and publishes its host port to allowFrom only", async () => {
    const c = await compileExample("docker.yaml");
    expect(c.userData("host")).toContain("nextcloud:29-apache");
    const ingress = c
      .of(T.rule)
      .map((r) => r.inputs)
      .filter((r: Inputs) => r.securityGroupId === c.id("sg-host") && r.direction === "ingress");
    expect(new Set(ingress.map((r: Inputs) => `${String(r.portRangeMin)} ${String(r.remoteIpPrefix)}`))).toEqual(
      new Set(["22 203.0.113.0/24", "443 203.0.113.0/24", "22 198.51.100.0/24", "443 198.51.100.0/24"]),
    );
  });

  it("EMRCluster: Spark on instances (no managed service), workers know the master", async () => {
    const c = await compileExample("emr.yaml");
    expect(c.plan.bigData).toMatchObject({ managed: false });
    expect(c.of(T.instance)).toHaveLength(6);
    const master = c.machines.find((m) => m.name === "master")!.privateIp;
    expect(c.userData("worker-1")).toContain(master);
  });

  it("Pool: the idle agent on every member for autoStop", async () => {
    const c = await compileExample("pool.yaml");
    for (const m of c.plan.machines) expect(c.userData(m.name)).toContain("FORMATIONS_IDLE_MINUTES=30");
    expect(c.plan.notes.some((n) => n.startsWith("lifecycle.autoStop: OVHcloud has no provider-side idle stop"))).toBe(true);
  });
});
