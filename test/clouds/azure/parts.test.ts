/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * The Azure adapter's pure parts, without Pulumi: NSG rules, images and disks, boot scripts,
 * names, keys, notes and the catalog's Azure table.
 */
import { createPublicKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { InboundRule, PlannedMachine, SessionPlan } from "../../../plan/types.js";
import { azure } from "../../../clouds/azure/catalog.js";
import { bigDataNsgRules, nsgRules, toSecurityRule, withDenyAll } from "../../../clouds/azure/emit/security.js";
import { customData, hibernationEnabled, imageReference, lockKeyFromSeed, osDiskGb, windowsBootScript } from "../../../clouds/azure/emit/image.js";
import { azureSshKeys, isVersionAlias, storageAccountName, uniqueOf, withoutVersionAliases } from "../../../clouds/azure/emit/provider.js";
import { parseVnetId } from "../../../clouds/azure/emit/network.js";
import { spotSettings } from "../../../clouds/azure/emit/machine.js";
import { azureNotes, nameList } from "../../../clouds/azure/notes.js";
import { hdinsightSshKeys, internalGateway } from "../../../clouds/azure/emit/hdinsight.js";
import { nfsSource, shareQuotaGb } from "../../../clouds/azure/emit/storage.js";

const rule = (over: Partial<InboundRule>): InboundRule => ({
  protocol: "tcp",
  fromPort: 22,
  toPort: 22,
  from: { kind: "cidrs", cidrs: ["203.0.113.0/24"] },
  description: "ssh",
  ...over,
});
const machine = (over: Partial<PlannedMachine>): PlannedMachine => ({
  name: "m",
  role: "machine",
  tier: 0,
  instanceType: "Standard_D2s_v5",
  image: { alias: "ubuntu-22.04", id: "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest", os: "linux" },
  diskGb: 30,
  spot: false,
  public: false,
  inbound: [],
  hibernation: false,
  desiredState: "running",
  connect: [],
  hourlyUsd: 0,
  ...over,
});

describe("network security group rules", () => {
  it("number allows from 100 by 10, merge duplicates, split IPv4 from IPv6, and end with DenyAllInbound at 4096", () => {
    const rules = nsgRules([
      rule({ from: { kind: "cidrs", cidrs: ["203.0.113.0/24", "2001:db8::/32"] } }),
      rule({ from: { kind: "cidrs", cidrs: ["203.0.113.0/24", "2001:db8::/32"] } }),
      rule({ protocol: "udp", fromPort: 8000, toPort: 8010, description: "ports" }),
      rule({ protocol: "all", fromPort: 0, toPort: 0, from: { kind: "session" }, description: "members" }),
      rule({ fromPort: 3389, toPort: 3389, from: { kind: "role", role: "proxy" }, description: "rdp" }),
    ]);
    expect(rules.map((r) => [r.priority, r.access, r.protocol, r.ports, r.from])).toEqual([
      [100, "Allow", "Tcp", "22", { prefixes: ["203.0.113.0/24"] }],
      [110, "Allow", "Tcp", "22", { prefixes: ["2001:db8::/32"] }],
      [120, "Allow", "Udp", "8000-8010", { prefixes: ["203.0.113.0/24"] }],
      [130, "Allow", "*", "*", { asg: "session" }],
      [140, "Allow", "Tcp", "3389", { asg: "proxy" }],
      [4096, "Deny", "*", "*", { prefixes: ["*"] }],
    ]);
    expect(new Set(rules.map((r) => r.name)).size).toBe(rules.length);
  });

  it("with no plan rule, the group only denies", () => {
    expect(nsgRules([]).map((r) => r.name)).toEqual(["deny-all-inbound"]);
  });

  it("refuses more allow rules than fit under the deny rule", () => {
    const many = Array.from({ length: 401 }, (_, i) => ({
      protocol: "Tcp" as const,
      ports: String(i + 1),
      from: { prefixes: ["203.0.113.0/24"] },
      description: "x",
    }));
    expect(() => withDenyAll(many)).toThrow(/too many inbound rules/);
    expect(withDenyAll(many.slice(0, 400)).at(-2)?.priority).toBe(4090);
  });

  it("HDInsight's subnet: its own nodes, Azure's load balancer probes, the session group; then deny", () => {
    expect(bigDataNsgRules("10.42.16.0/20").map((r) => [r.access, r.from])).toEqual([
      ["Allow", { prefixes: ["10.42.16.0/20"] }],
      ["Allow", { tag: "AzureLoadBalancer" }],
      ["Allow", { asg: "session" }],
      ["Deny", { prefixes: ["*"] }],
    ]);
  });

  it("become azure-native SecurityRule inputs: one prefix, several prefixes, a service tag or a group id", () => {
    const asgs = (ref: string) => `asg-${ref}-id`;
    const [one, v6, , session, proxy] = nsgRules([
      rule({ from: { kind: "cidrs", cidrs: ["203.0.113.0/24", "2001:db8::/32"] } }),
      rule({ from: { kind: "cidrs", cidrs: ["198.51.100.0/24", "192.0.2.0/24"] } }),
      rule({ protocol: "all", from: { kind: "session" } }),
      rule({ from: { kind: "role", role: "proxy" } }),
    ]).map((r) => toSecurityRule(r, asgs));
    expect(one).toMatchObject({
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: "22",
      sourceAddressPrefix: "203.0.113.0/24",
    });
    expect(v6).toMatchObject({ sourceAddressPrefix: "2001:db8::/32" });
    expect(toSecurityRule(nsgRules([rule({ from: { kind: "cidrs", cidrs: ["198.51.100.0/24", "192.0.2.0/24"] } })])[0]!, asgs)).toMatchObject({
      sourceAddressPrefixes: ["198.51.100.0/24", "192.0.2.0/24"],
    });
    expect(session).toMatchObject({ sourceApplicationSecurityGroups: [{ id: "asg-session-id" }] });
    expect(proxy).toMatchObject({ sourceApplicationSecurityGroups: [{ id: "asg-proxy-id" }] });
    expect(toSecurityRule(bigDataNsgRules("10.42.16.0/20")[1]!, asgs)).toMatchObject({ sourceAddressPrefix: "AzureLoadBalancer" });
  });
});

describe("images, disks and boot scripts", () => {
  it("a URN becomes an image reference; Rocky's carries its purchase plan; a resource id is used as is", () => {
    expect(imageReference({ id: "Debian:debian-12:12-gen2:latest", os: "linux" })).toEqual({
      reference: { publisher: "Debian", offer: "debian-12", sku: "12-gen2", version: "latest" },
    });
    expect(imageReference({ id: "resf:rockylinux-x86_64:9-base:latest", os: "linux" }).plan).toEqual({
      name: "9-base",
      product: "rockylinux-x86_64",
      publisher: "resf",
    });
    expect(imageReference({ id: "/subscriptions/1/resourceGroups/g/providers/Microsoft.Compute/images/i", os: "linux" })).toEqual({
      reference: { id: "/subscriptions/1/resourceGroups/g/providers/Microsoft.Compute/images/i" },
    });
    expect(() => imageReference({ id: "ami-0abc", os: "linux" })).toThrow(/Marketplace URN \(publisher:offer:sku:version\)/);
    expect(() => imageReference({ id: "a::b:c", os: "linux" })).toThrow(/azure image 'a::b:c'/);
  });

  it("OS disks: at least the image (Windows 127, Linux 30), and room for the memory when hibernating", () => {
    expect(osDiskGb(machine({ diskGb: 10 }), false)).toBe(30);
    expect(osDiskGb(machine({ diskGb: 64, image: { os: "windows" } }), false)).toBe(127);
    expect(osDiskGb(machine({ instanceType: "Standard_D16s_v5", diskGb: 30 }), true)).toBe(72);
    expect(osDiskGb(machine({ instanceType: "Standard_D16s_v5", diskGb: 200 }), true)).toBe(200);
  });

  it("hibernation is never enabled on a spot VM", () => {
    expect(hibernationEnabled(machine({ hibernation: true }))).toBe(true);
    expect(hibernationEnabled(machine({ hibernation: true, spot: true }))).toBe(false);
    expect(hibernationEnabled(machine({ hibernation: false }))).toBe(false);
  });

  it("the Windows script loses its EC2 tags and renames the admin back to Administrator first", () => {
    const script = windowsBootScript("<powershell>\n# x\n$ErrorActionPreference = 'Stop'\nSet-LocalUser -Name 'Administrator'\n</powershell>\n");
    expect(script.split("\n")).toEqual([
      "# x",
      "$ErrorActionPreference = 'Stop'",
      "if (-not (Get-LocalUser -Name 'Administrator' -ErrorAction SilentlyContinue)) { Rename-LocalUser -Name 'azureadmin' -NewName 'Administrator' }",
      "Set-LocalUser -Name 'Administrator'",
      "",
    ]);
  });

  it("custom data is base64 and refused over 64 KiB", () => {
    expect(Buffer.from(customData("#cloud-config\n", "m"), "base64").toString()).toBe("#cloud-config\n");
    expect(() => customData("x".repeat(50_000), "head")).toThrow(/head: .* over Azure's 64 KiB custom data limit/);
  });

  it("the lock key is a well-formed, deterministic Ed25519 OpenSSH key", () => {
    const key = lockKeyFromSeed(Buffer.from("seed"));
    expect(lockKeyFromSeed(Buffer.from("seed"))).toBe(key);
    expect(lockKeyFromSeed(Buffer.from("other"))).not.toBe(key);
    const blob = Buffer.from(key.split(" ")[1]!, "base64");
    expect(blob.readUInt32BE(0)).toBe(11);
    expect(blob.subarray(4, 15).toString()).toBe("ssh-ed25519");
    expect(blob.readUInt32BE(15)).toBe(32);
    const raw = blob.subarray(19);
    expect(raw).toHaveLength(32);
    // The 32 bytes are a real Ed25519 public key.
    expect(createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" }).asymmetricKeyType).toBe("ed25519");
  });
});

describe("names, keys and small helpers", () => {
  it("storage account names: lower-case letters and digits, at most 24, unique suffix kept whole", () => {
    const unique = uniqueOf("/subscriptions/1/resourceGroups/a-very-long-session-name-of-forty-chars-rg");
    expect(unique).toMatch(/^[0-9a-f]{8}$/);
    expect(uniqueOf("/SUBSCRIPTIONS/1/resourceGroups/X")).toBe(uniqueOf("/subscriptions/1/resourcegroups/x"));
    const name = storageAccountName("nfs", "a-very-long-session-name-of-forty-chars", unique);
    expect(name).toMatch(/^[a-z0-9]{3,24}$/);
    expect(name).toHaveLength(24);
    expect(name.endsWith(unique)).toBe(true);
  });

  it("azure-native's API-version aliases are dropped from Azure resources; other aliases and other providers are left alone", () => {
    const versions = [{ type: "azure-native:compute/v20150615:VirtualMachine" }, { type: "azure-native:network/v20240501preview:NetworkInterface" }];
    const mine = { name: "old-name" };
    expect(versions.every(isVersionAlias)).toBe(true);
    expect([mine, { type: "azure-native:compute:VirtualMachine" }, "urn:pulumi:x", null].some(isVersionAlias)).toBe(false);
    const args = (type: string) => ({ type, name: "n", props: { a: 1 }, opts: { aliases: [...versions, mine] }, resource: {} as never });
    expect(withoutVersionAliases(args("azure-native:compute:VirtualMachine"))).toEqual({ props: { a: 1 }, opts: { aliases: [mine] } });
    expect(withoutVersionAliases(args("aws:ec2/instance:Instance"))).toBeUndefined();
    expect(withoutVersionAliases({ ...args("azure-native:compute:VirtualMachine"), opts: {} })).toBeUndefined();
  });

  it("Azure's VM API takes RSA and Ed25519 keys; HDInsight takes RSA", () => {
    const keys = ["ssh-rsa AAAA a", "ssh-ed25519 AAAA b", "ecdsa-sha2-nistp256 AAAA c", "sk-ssh-ed25519@openssh.com AAAA d"];
    expect(azureSshKeys(keys)).toEqual(keys.slice(0, 2));
    expect(hdinsightSshKeys(keys)).toEqual(keys.slice(0, 1));
  });

  it("a VNet resource id gives its resource group and name; anything else is refused with the form to use", () => {
    expect(parseVnetId("/subscriptions/1/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/campus")).toEqual({
      resourceGroupName: "net",
      name: "campus",
    });
    expect(() => parseVnetId("vnet-123")).toThrow(/use \/subscriptions\/SUB\/resourceGroups\/RG\/providers\/Microsoft.Network\/virtualNetworks\/NAME/);
  });

  it("spot: Deallocate unless reclaimed machines are terminated; nothing for on-demand", () => {
    expect(spotSettings(machine({ spot: true }), "stop")).toEqual({ priority: "Spot", evictionPolicy: "Deallocate", billingProfile: { maxPrice: -1 } });
    expect(spotSettings(machine({ spot: true }), "hibernate")).toMatchObject({ evictionPolicy: "Deallocate" });
    expect(spotSettings(machine({ spot: true }), "terminate")).toMatchObject({ evictionPolicy: "Delete" });
    expect(spotSettings(machine({}), "terminate")).toEqual({});
  });

  it("storage and HDInsight helpers", () => {
    expect(shareQuotaGb(10)).toBe(100);
    expect(shareQuotaGb(2048)).toBe(2048);
    expect(nfsSource("nfsx1", "shared")).toBe("nfsx1.file.core.windows.net:/nfsx1/shared");
    expect(internalGateway("c-1")).toBe("c-1-int.azurehdinsight.net");
  });
});

describe("Azure notes", () => {
  const plan = (over: Partial<SessionPlan>): SessionPlan =>
    ({ machines: [], spotInterruption: "stop", network: { cidr: "", subnetCidr: "" }, notes: [], ...over }) as unknown as SessionPlan;

  it("names a short list in full and a long one by its ends", () => {
    expect(nameList([machine({ name: "a" }), machine({ name: "b" })])).toBe("a, b");
    expect(nameList(Array.from({ length: 20 }, (_, i) => machine({ name: `machine-${i + 1}` })))).toBe("machine-1 ... machine-20 (20)");
  });

  it("say what Azure changes: spot hibernation, HDInsight's fixed nodes and no stop, the nightly schedule, a given subnet", () => {
    expect(azureNotes(plan({ machines: [machine({ spot: true, hibernation: true })], spotInterruption: "hibernate" }))).toEqual([
      "m: Azure cannot hibernate spot VMs, so hibernation is not enabled on them; evicted, they are deallocated (stopped), not hibernated",
    ]);
    const managed = [machine({ name: "master", role: "master", managedBy: "bigdata", spot: true })];
    const emr = azureNotes(
      plan({ machines: managed, bigData: { managed: true, release: "5.1", applications: ["spark", "presto"] }, autoStop: { idleMinutes: 30 } }),
    );
    expect(emr).toHaveLength(4);
    expect(emr.join("\n")).toMatch(/2 head nodes and 3 ZooKeeper.*\n.*no spot nodes.*\n.*Presto.*\n.*cannot be stopped/);
    expect(azureNotes(plan({ machines: [machine({})], autoStop: { idleMinutes: 30 } }))[0]).toMatch(/at 22:00 UTC each night as a safety net/);
    expect(
      azureNotes(plan({ network: { existing: { id: "x" }, cidr: "", subnetCidr: "" }, storage: { kind: "managed", sizeGb: 100, mountPath: "/shared" } }))[0],
    ).toMatch(/Microsoft.Storage service endpoint/);
    expect(azureNotes(plan({ machines: [machine({})] }))).toEqual([]);
  });
});

describe("the Azure catalog", () => {
  it("every size, GPU choice and default is priced, and Windows sizes carry a licence", () => {
    for (const t of Object.values(azure.sizes)) expect(azure.instances[t], t).toBeDefined();
    for (const byCount of Object.values(azure.gpus)) for (const t of Object.values(byCount ?? {})) expect(azure.instances[t!], t).toBeDefined();
    for (const [t, p] of Object.entries(azure.instances)) {
      expect(p.usd, t).toBeGreaterThan(0);
      expect(p.windowsUsd ?? 0, t).toBeGreaterThan(0);
    }
    expect(azure.instances["Standard_D2s_v5"]?.windowsUsd).toBe(0.092);
  });

  it("hibernation only where Azure documents it: Dsv5/Dasv5/Ddsv5/Esv5 sizes with at most 64 GB", () => {
    const documented = /^Standard_[DE]\d+(a|d|ad)?s_v5$/;
    for (const [t, p] of Object.entries(azure.instances)) {
      const rule = azure.hibernationRule!({ instanceType: t, memoryGb: p.memoryGb, diskGb: 30, gpus: false, spot: false });
      expect(rule === undefined, `${t}: ${rule}`).toBe(documented.test(t) && p.memoryGb <= 64);
    }
  });

  it("image aliases are Marketplace URNs, Windows only for windows-2022", () => {
    for (const [alias, image] of Object.entries(azure.images)) {
      expect(image.id?.split(":"), alias).toHaveLength(4);
      expect(image.os).toBe(alias.startsWith("windows") ? "windows" : "linux");
    }
    expect(azure).toMatchObject({ managedBigData: true, managedStorage: true, hibernation: true, sharedStorageMinGb: 100 });
    expect(azure.source).toMatch(/East US.*2026-11-25/);
  });
});
