/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * Table tests for the OpenStack adapter's pure parts and its catalog: power states, login users,
 * boot volume sizes, tags within Neutron's limit, one rule per remote, the cloudbase-init header,
 * the idle agent merge, the notes, and the catalog's sizes, images and prices.
 */
import { describe, expect, it } from "vitest";
import { bootVolumeGb, loginUser, POWER_STATE } from "../../../clouds/openstack/emit/machine.js";
import { TAG_LIMIT, tagsOf } from "../../../clouds/openstack/emit/provider.js";
import { ingressSpecs } from "../../../clouds/openstack/emit/security.js";
import { parse } from "yaml";
import { cloudbaseScript, openstackUserData } from "../../../clouds/openstack/emit/userdata.js";
import { openstackNotes } from "../../../clouds/openstack/notes.js";
import { openstack as catalog } from "../../../clouds/openstack/catalog.js";
import { catalogFor, type ImageAlias } from "../../../clouds/index.js";
import { planSession } from "../../../plan/index.js";
import type { InboundRule } from "../../../plan/types.js";
import { inline, ACCESS } from "./helpers.js";

describe("machine parts", () => {
  it.each([
    ["running", "active"],
    ["stopped", "shutoff"],
    ["hibernated", "shelved_offloaded"],
  ] as const)("desired %s is Nova's %s", (desired, nova) => expect(POWER_STATE[desired]).toBe(nova));

  it.each([
    [{ alias: "ubuntu-24.04", id: "Ubuntu 24.04", os: "linux" }, "ubuntu"],
    [{ alias: "debian-12", id: "Debian 12", os: "linux" }, "debian"],
    [{ alias: "rocky-9", id: "Rocky Linux 9", os: "linux" }, "rocky"],
    [{ id: "my-golden-image", os: "linux" }, "cloud-user"],
    [{ alias: "windows-2022", id: "Windows Server 2022 Standard", os: "windows" }, "Administrator"],
  ] as const)("the login of %j is %s", (image, user) => expect(loginUser(image)).toBe(user));

  it("grows only the head's boot volume, and only when it exports the shared storage", () => {
    const hpc = planSession(
      inline(
        "HPCCluster",
        "  headNode: { machine: { diskGb: 50 } }\n  computeNodes: { count: 1, machine: { diskGb: 40 } }\n  sharedStorage: { sizeGb: 300 }\n",
        ACCESS,
      ),
    );
    const [head, compute] = hpc.machines;
    expect([bootVolumeGb(hpc, head!), bootVolumeGb(hpc, compute!)]).toEqual([350, 40]);
    hpc.storage!.kind = "managed";
    expect(bootVolumeGb(hpc, head!)).toBe(50);
  });
});

describe("tags", () => {
  it("keeps key=value pairs within Neutron's 60 characters and drops longer ones", () => {
    const long = "x".repeat(TAG_LIMIT);
    expect(tagsOf({ team: "qa", note: long, "formations-session": "a".repeat(40) })).toEqual(["team=qa", `formations-session=${"a".repeat(40)}`]);
  });
});

describe("ingress rules", () => {
  const rule = (r: Partial<InboundRule>): InboundRule => ({
    protocol: "tcp",
    fromPort: 22,
    toPort: 22,
    from: { kind: "cidrs", cidrs: ["203.0.113.0/24"] },
    description: "ssh",
    ...r,
  });

  it("one rule per CIDR, IPv6 CIDRs as IPv6, duplicates once, session rules left to membership", () => {
    const specs = ingressSpecs([
      rule({ from: { kind: "cidrs", cidrs: ["203.0.113.0/24", "2001:db8::/32"] } }),
      rule({}),
      rule({ protocol: "all", fromPort: 0, toPort: 0, from: { kind: "session" }, description: "cluster" }),
    ]);
    expect(specs).toEqual([
      { ethertype: "IPv4", protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: "203.0.113.0/24", description: "ssh" },
      { ethertype: "IPv6", protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: "2001:db8::/32", description: "ssh" },
    ]);
  });

  it("a role source becomes a remote group; protocol all has no protocol and no ports", () => {
    expect(ingressSpecs([rule({ protocol: "all", fromPort: 0, toPort: 0, from: { kind: "role", role: "proxy" }, description: "from proxy" })])).toEqual([
      { ethertype: "IPv4", remoteRole: "proxy", description: "from proxy" },
    ]);
  });
});

describe("user data", () => {
  it("turns EC2's <powershell> block into cloudbase-init's #ps1_sysnative script", () => {
    expect(cloudbaseScript("<powershell>\nWrite-Host hi\n</powershell>\n")).toBe("#ps1_sysnative\nWrite-Host hi\n");
  });

  it("carries the idle agent of the shared cloud-init only with autoStop, after the role's own files and commands", () => {
    const withStop = planSession(inline("Machine", "  machine: { size: small }\n", `${ACCESS}lifecycle: { autoStop: { idleMinutes: 45 } }\n`));
    const doc = parse(openstackUserData(withStop, withStop.machines[0]!, {})) as { write_files: { path: string; content: string }[]; runcmd: string[] };
    expect(doc.write_files.find((f) => f.path === "/etc/formations/idle-agent.env")?.content).toContain("FORMATIONS_IDLE_MINUTES=45");
    expect(doc.runcmd.at(-1)).toBe("systemctl enable --now formations-idle-agent.timer");
    const without = planSession(inline("Machine", "  machine: { size: small }\n", ACCESS));
    expect(openstackUserData(without, without.machines[0]!, {})).not.toContain("idle-agent");
  });
});

describe("plan notes", () => {
  it("say what OpenStack does instead of spot, hibernation and a managed file system", () => {
    const hpc = planSession(inline("HPCCluster", "  headNode: { machine: {} }\n  computeNodes: { count: 2, machine: { spot: true } }\n", ACCESS), {
      desired: { "compute-1": "hibernated" },
    });
    const notes = openstackNotes(hpc).join("\n");
    expect(notes).toContain("compute-1, compute-2: OpenStack has no spot market");
    expect(notes).toContain("shelves the server (shelved_offloaded)");
    expect(notes).toContain("grown by 100 GB (about $8.00/month, not in the estimate)");
    expect(openstackNotes(planSession(inline("Machine", "  machine: {}\n")))).toEqual([]);
  });
});

describe("the openstack catalog", () => {
  it("is the one the planner uses", () => expect(catalogFor("openstack")).toBe(catalog));

  it("prices every size, GPU flavor and custom flavor; no spot discount, no managed services", () => {
    for (const t of [...Object.values(catalog.sizes), ...Object.values(catalog.gpus).flatMap((g) => Object.values(g ?? {}))]) {
      expect(catalog.instances[t!]?.usd, t).toBeGreaterThan(0);
    }
    expect(catalog.unknownInstanceUsd).toBeGreaterThan(0);
    expect(catalog).toMatchObject({ spotFactor: 1, managedBigData: false, managedStorage: false, hibernation: false });
    expect(catalog.source).toMatch(/2026-10-28/);
    expect(catalog.source).toMatch(/replace/);
  });

  it("m1 flavors cost the OVHcloud b3 price per vCPU (b3-8: EUR 37.38 a month for 2 vCPUs)", () => {
    const perVcpu = (37.38 / 2 / 730) * 1.1133;
    expect(catalog.instances["m1.small"]!.usd).toBeCloseTo(perVcpu, 5);
    expect(catalog.instances["m1.large"]!.usd).toBeCloseTo(perVcpu * 4, 5);
    expect(catalog.instances["b3-16"]!.usd).toBeCloseTo((74.68 / 730) * 1.1133, 5);
    // Sizes grow with their price.
    const prices = (["small", "medium", "large", "xlarge", "2xlarge"] as const).map((s) => catalog.instances[catalog.sizes[s]]!.usd);
    expect([...prices].sort((a, b) => a - b)).toEqual(prices);
  });

  it.each(["ubuntu-22.04", "ubuntu-24.04", "debian-12", "rocky-9", "windows-2022"] as ImageAlias[])("maps %s to a Glance image name", (alias) => {
    const image = catalog.images[alias];
    expect(image.id).toMatch(/^[A-Z][A-Za-z]+ /);
    expect(image.os).toBe(alias.startsWith("windows") ? "windows" : "linux");
  });
});
