/**
 * Test layer 2: components compiled under Pulumi's mocks (pulumi.runtime.setMocks).
 * Formation options on Azure, on small inline formations: spot and its eviction, hibernation,
 * the desired power state, SSH keys Azure refuses (or none), a given network, no allowFrom,
 * GPUs, IPv6 sources and image ids.
 */
import { describe, expect, it } from "vitest";
import { loadFormationText } from "../../../format/load.js";
import { ACCESS, compile, inline, KEY, T, type Inputs, type Rule } from "./helpers.js";

const POOL = "  count: 3\n  machine: { size: medium, spot: true }\n";
const lifecycle = (interruption: string) => `${ACCESS}lifecycle: { spotInterruption: ${interruption} }\n`;

describe("spot on azure", () => {
  it.each([
    ["stop", "Deallocate"],
    ["hibernate", "Deallocate"],
    ["terminate", "Delete"],
  ])("spotInterruption %s: priority Spot, eviction %s, never evicted for price", async (interruption, eviction) => {
    const { plan, named, machines } = await compile(await inline("Pool", POOL, lifecycle(interruption)));
    for (const m of plan.machines) {
      const vm = named(T.vm, m.name);
      expect(vm).toMatchObject({ priority: "Spot", evictionPolicy: eviction, billingProfile: { maxPrice: -1 } });
      // D2s_v5 can hibernate, but not as a spot VM.
      expect(m.hibernation).toBe(true);
      expect(vm.additionalCapabilities).toBeUndefined();
    }
    expect(machines.every((m) => m.spot)).toBe(true);
    const note = plan.notes.find((n) => n.includes("Azure cannot hibernate spot VMs"));
    expect(note).toContain("machine-1, machine-2, machine-3");
    expect(note?.includes("deallocated (stopped), not hibernated")).toBe(interruption === "hibernate");
  });

  it("on-demand machines have no spot settings, and hibernate where the size supports it", async () => {
    const { named } = await compile(await inline("Machine", "  machine: { size: medium }\n"));
    const vm = named(T.vm, "machine");
    for (const key of ["priority", "evictionPolicy", "billingProfile"]) expect(vm[key], key).toBeUndefined();
    expect(vm.additionalCapabilities).toEqual({ hibernationEnabled: true });
  });

  it("a burstable size (no hibernation on Azure) gets neither hibernation nor its extension", async () => {
    const { named, of } = await compile(await inline("Machine", "  machine: { size: small }\n"));
    expect(named(T.vm, "machine").additionalCapabilities).toBeUndefined();
    expect(of(T.ext)).toHaveLength(0);
  });
});

describe("desired power state on azure", () => {
  it("is kept in the outputs only: a stopped machine's VM is declared exactly like a running one", async () => {
    const { plan, named, machines, rec } = await compile(await inline("Pool", "  count: 2\n  machine: { size: small }\n"), {
      desired: { "machine-2": "stopped" },
    });
    expect(machines.map((m) => [m.name, m.desiredState])).toEqual([
      ["machine-1", "running"],
      ["machine-2", "stopped"],
    ]);
    const strip = (v: Inputs) => JSON.stringify(v).replaceAll("machine-1", "X").replaceAll("machine-2", "X");
    const { osProfile: _a, ...one } = named(T.vm, "machine-1");
    const { osProfile: _b, ...two } = named(T.vm, "machine-2");
    expect(strip(two)).toBe(strip(one));
    // Azure has no declarative power-state resource: the actions layer deallocates through the SDK.
    expect(rec.resources.filter((r) => /state|power/i.test(r.type))).toEqual([]);
    expect(plan.machines.find((m) => m.name === "machine-2")?.desiredState).toBe("stopped");
  });
});

describe("ssh keys on azure", () => {
  const keyData = (c: Awaited<ReturnType<typeof compile>>, m: string) =>
    ((c.osProfile(m).linuxConfiguration as Inputs).ssh as { publicKeys: { keyData: string }[] }).publicKeys.map((k) => k.keyData);

  it("without a key Azure accepts, a Linux VM gets a key nobody holds, and password logins stay off", async () => {
    const ecdsa =
      "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEN446iPCaCArZ5DtU2PpazckClaRvEWPNtBoMvq6uRXvADg/CEoRwZTRZImXtereiX0dD/dDomW3myjx5mhW6M= ci@example.org";
    const c = await compile(await inline("Pool", "  count: 2\n  machine: { size: small }\n", `access: { sshPublicKeys: ["${ecdsa}"] }\n`));
    const [lock] = keyData(c, "machine-1");
    expect(lock).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+=* formations-no-login$/);
    // One seed (a secret in state) for the whole session: both VMs get the same key.
    expect(keyData(c, "machine-2")).toEqual([lock]);
    expect(c.of(T.bytes).map((r) => r.name)).toEqual([`${c.plan.session}-lock-key-seed`]);
    expect((c.osProfile("machine-1").linuxConfiguration as Inputs).disablePasswordAuthentication).toBe(true);
    // cloud-init still installs the user's own key.
    expect(c.bootScript("machine-1")).toContain(ecdsa);
  });

  it("with RSA and Ed25519 keys, those go to Azure and no lock key is made", async () => {
    const c = await compile(await inline("Machine", "  machine: { size: small }\n"));
    expect(keyData(c, "machine")).toEqual([KEY]);
    expect(c.of(T.bytes)).toHaveLength(0);
  });

  it("an RSA key becomes HDInsight's SSH login instead of the generated password", async () => {
    const rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 carol@example.org";
    const spec = "  master: { machine: { size: large } }\n  workers: { count: 2, machine: { size: large } }\n";
    const c = await compile(await inline("EMRCluster", spec, `access: { sshPublicKeys: ["${rsa}", "${KEY}"] }\n`));
    const props = JSON.parse(JSON.stringify(c.named(T.hdinsight, "hdinsight").properties)).value as { computeProfile: { roles: { osProfile: Inputs }[] } };
    expect(props.computeProfile.roles[0]?.osProfile.linuxOperatingSystemProfile).toEqual({
      username: "sshuser",
      sshProfile: { publicKeys: [{ certificateData: rsa }] },
    });
  });
});

describe("network options on azure", () => {
  const VNET = "/subscriptions/1111/resourceGroups/shared-net/providers/Microsoft.Network/virtualNetworks/campus";
  const given = (network: string) =>
    loadFormationText(
      `apiVersion: formations/v1\nkind: Machine\nmetadata: { name: t-given }\ncloud: { provider: azure, region: westeurope, network: ${network} }\naccess: { sshPublicKeys: ["${KEY}"] }\nspec:\n  machine: { size: small }\n`,
    );

  it("a given VNet and subnet name: no VNet, subnet or NAT of ours, the NIC joins the given subnet", async () => {
    const { of, named } = await compile(await given(`{ id: "${VNET}", subnet: labs }`));
    for (const t of [T.vnet, T.subnet, T.nat]) expect(of(t), t).toHaveLength(0);
    expect((named(T.nic, "machine-nic").ipConfigurations as Inputs[])[0]?.subnet).toEqual({ id: `${VNET}/subnets/labs` });
    // The session's resource group and default-deny group are still ours.
    expect(of(T.rg)).toHaveLength(1);
    expect(of(T.nsg)).toHaveLength(1);
  });

  it("a given VNet without a subnet: its first subnet, looked up", async () => {
    const { rec, named } = await compile(await given(`{ id: "${VNET}" }`));
    expect(rec.calls.map((c) => c.token)).toContain("azure-native:network:getVirtualNetwork");
    expect(rec.calls.find((c) => c.token === "azure-native:network:getVirtualNetwork")?.inputs).toMatchObject({
      resourceGroupName: "shared-net",
      virtualNetworkName: "campus",
    });
    expect((named(T.nic, "machine-nic").ipConfigurations as Inputs[])[0]?.subnet).toMatchObject({
      id: expect.stringMatching(/\/virtualNetworks\/campus\/subnets\/default$/),
    });
  });

  it("without allowFrom: no public address, no inbound allow rule, only the NAT gateway's address", async () => {
    const { of, rules, machines } = await compile(await inline("Machine", "  machine: { size: small }\n", `access: { sshPublicKeys: ["${KEY}"] }\n`));
    expect(of(T.ip).map((r) => r.name)).toEqual(["t-machine-nat-ip"]);
    expect(rules("nsg-machine").map((r: Rule) => r.name)).toEqual(["deny-all-inbound"]);
    expect(machines[0]?.publicIp).toBeUndefined();
  });

  it("IPv4 and IPv6 sources of allowFrom go in separate rules", async () => {
    const { rules } = await compile(
      await inline("Machine", "  machine: { size: small }\n", `access: { sshPublicKeys: ["${KEY}"], allowFrom: [203.0.113.0/24, "2001:db8::/32"] }\n`),
    );
    const ssh = rules("nsg-machine").filter((r) => r.destinationPortRange === "22");
    expect(ssh.map((r) => r.sourceAddressPrefix)).toEqual(["203.0.113.0/24", "2001:db8::/32"]);
  });

  it("without lifecycle.autoStop there is no shutdown schedule", async () => {
    const { of } = await compile(await inline("Machine", "  machine: { size: small }\n"));
    expect(of(T.schedule)).toHaveLength(0);
  });
});

describe("sizes and images on azure", () => {
  it("a T4 GPU maps to NC4as_T4_v3", async () => {
    const { named } = await compile(await inline("Machine", "  machine: { gpus: { count: 1, type: nvidia-t4 } }\n"));
    expect(named(T.vm, "machine").hardwareProfile).toEqual({ vmSize: "Standard_NC4as_T4_v3" });
  });

  it("a Marketplace URN and an image resource id are used as given; a disk under the image's size is raised to it", async () => {
    const urn = await compile(await inline("Machine", '  machine: { size: small, image: "Canonical:ubuntu-24_04-lts:server-arm64:latest", diskGb: 10 }\n'));
    const profile = urn.named(T.vm, "machine").storageProfile as { imageReference: Inputs; osDisk: Inputs };
    expect(profile.imageReference).toEqual({ publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server-arm64", version: "latest" });
    expect(profile.osDisk.diskSizeGB).toBe(30);
    // The schema wants a letter or digit first: a resource id comes without its leading slash.
    const id = "subscriptions/1111/resourceGroups/images/providers/Microsoft.Compute/galleries/lab/images/base/versions/1.0.0";
    const byId = await compile(await inline("Machine", `  machine: { size: small, image: "${id}" }\n`));
    expect((byId.named(T.vm, "machine").storageProfile as { imageReference: Inputs }).imageReference).toEqual({ id: `/${id}` });
  });
});
