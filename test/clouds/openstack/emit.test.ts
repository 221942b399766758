/**
 * Test layer 2: components compiled under Pulumi's mocks (pulumi.runtime.setMocks).
 * The OpenStack adapter under Pulumi's mock runtime: every example (one per kind) compiled by the
 * real components and recorded by recordProgram. Asserts types, counts, parents, names, tags and
 * metadata, security-group rules, floating IPs, boot volumes, secrets, power state and outputs;
 * never a whole-object snapshot. Kind-specific behaviour is in openstack-kinds.test.ts.
 */
import { describe, expect, it } from "vitest";
import { expectNoPlainSecret, expectOneComponent } from "../../helpers/compile.js";
import { compileExample, exampleNames as examples, T, tagsOf, type Inputs } from "./helpers.js";

describe("every openstack example", () => {
  it("covers the six kinds", () => expect(examples).toHaveLength(6));

  it.each(examples)("%s: one component, every child parented to it and named after the session", async (name) => {
    const { plan, rec } = await compileExample(name);
    // Only OpenStack (and the session's generated secrets) under an openstack formation, one OpenStack provider.
    const { provider } = expectOneComponent({ plan, rec }, "openstack:", T.provider);
    expect(provider.inputs.region).toBe(plan.region);
  });

  it.each(examples)("%s: a network, subnet and router of the session, all tagged", async (name) => {
    const { plan, of, named, id } = await compileExample(name);
    expect([of(T.network).length, of(T.subnet).length, of(T.router).length, of(T.routerInterface).length]).toEqual([1, 1, 1, 1]);
    expect(named(T.subnet, "subnet")).toMatchObject({ networkId: id("net"), cidr: plan.network.subnetCidr, ipVersion: 4, enableDhcp: true });
    // The router's gateway is the external network looked up by its documented default name.
    expect(named(T.router, "router").externalNetworkId).toBe("mock-getNetwork");
    expect(named(T.routerInterface, "router-subnet")).toEqual({ routerId: id("router"), subnetId: id("subnet") });
    for (const r of [...of(T.network), ...of(T.subnet), ...of(T.router), ...of(T.sg), ...of(T.port), ...of(T.fip)]) {
      expect(tagsOf(r.inputs), r.name).toEqual(
        expect.arrayContaining([`formations-session=${plan.session}`, `formations-formation=${plan.formation}`, "managed-by=formations"]),
      );
    }
    expect(named(T.key, "key")).toMatchObject({ name: `${plan.session}-key`, publicKey: plan.sshPublicKeys[0] });
  });

  it.each(examples)("%s: one server on its own port per machine: flavor, boot volume, metadata, power state, secret user data", async (name) => {
    const { plan, of, named, id, userData } = await compileExample(name);
    expect(of(T.instance)).toHaveLength(plan.machines.length);
    expect(of(T.port)).toHaveLength(plan.machines.length);
    for (const m of plan.machines) {
      const i = named(T.instance, m.name);
      expect(i).toMatchObject({
        name: `${plan.session}-${m.name}`,
        flavorName: m.instanceType,
        networks: [{ port: id(`${m.name}-port`) }],
        powerState: "active",
        stopBeforeDestroy: true,
      });
      const [boot, ...more] = i.blockDevices as Inputs[];
      expect(more).toEqual([]);
      expect(boot).toMatchObject({ sourceType: "image", destinationType: "volume", bootIndex: 0, deleteOnTermination: true });
      expect(boot?.uuid).toBe(`mock-image-${m.image.id!.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`);
      expect(boot?.volumeSize as number).toBeGreaterThanOrEqual(m.diskGb);
      expect(i.metadata).toEqual({ ...plan.labels, "formations-role": m.role, "formations-machine": m.name });
      expect(tagsOf(i)).toContain(`formations-role=${m.role}`);
      expect(i.keyPair).toBe(`${plan.session}-key`);
      expect(i.imageId ?? i.imageName).toBeUndefined();
      expect(userData(m.name)).toMatch(/^#cloud-config\n/);
      expect(named(T.port, `${m.name}-port`)).toMatchObject({ networkId: id("net"), fixedIps: [{ subnetId: id("subnet") }], adminStateUp: true });
    }
  });

  it.each(examples)("%s: floating IPs only for public machines, from the external pool", async (name) => {
    const { plan, of, named, id } = await compileExample(name);
    const pub = plan.machines.filter((m) => m.public);
    expect(pub.length).toBeGreaterThan(0);
    expect(
      of(T.fip)
        .map((r) => r.name)
        .sort(),
    ).toEqual(pub.map((m) => `${plan.session}-${m.name}-fip`).sort());
    for (const m of pub) expect(named(T.fip, `${m.name}-fip`)).toMatchObject({ pool: "public", portId: id(`${m.name}-port`) });
  });

  it.each(examples)("%s: default-deny groups: explicit egress only, ingress only from allowFrom or our groups, never the default group", async (name) => {
    const { plan, rec, of, id, rules } = await compileExample(name);
    expectNoPlainSecret(rec);
    const allowed = new Set(plan.allowFrom);
    const groupIds = new Set(of(T.sg).map((g) => `${g.name}-id`));
    for (const g of of(T.sg)) {
      expect(g.inputs.deleteDefaultRules, g.name).toBe(true);
      const suffix = g.name.slice(plan.session.length + 1);
      const egress = rules(suffix).filter((r) => r.direction === "egress");
      expect(egress.map((r) => r.ethertype).sort()).toEqual(["IPv4", "IPv6"]);
      for (const r of egress) expect(r.remoteIpPrefix ?? r.remoteGroupId).toBeUndefined();
    }
    for (const r of of(T.rule).map((x) => x.inputs)) {
      if (r.direction !== "ingress") continue;
      if (r.remoteIpPrefix !== undefined) expect(allowed.has(String(r.remoteIpPrefix)), `ingress from ${String(r.remoteIpPrefix)}`).toBe(true);
      else expect(groupIds.has(String(r.remoteGroupId)), "ingress from one of our groups").toBe(true);
    }
    for (const p of of(T.port)) {
      const groups = p.inputs.securityGroupIds as string[];
      expect(groups.length, p.name).toBeGreaterThan(0);
      for (const g of groups) expect(groupIds.has(g), `${p.name} in ${g}`).toBe(true);
    }
    // The role's group on every port; the session group exactly where the plan has session rules.
    for (const m of plan.machines) {
      const groups = of(T.port).find((p) => p.name === `${plan.session}-${m.name}-port`)!.inputs.securityGroupIds as string[];
      expect(groups[0]).toBe(id(`sg-${m.role}`));
      expect(groups.includes(id("sg-session"))).toBe(m.inbound.some((r) => r.from.kind === "session"));
    }
  });

  it.each(examples)("%s: outputs name every machine with its server id, addresses and how to connect", async (name) => {
    const { plan, outputs, machines } = await compileExample(name);
    expect(outputs).toMatchObject({ session: plan.session, kind: plan.kind, provider: "openstack" });
    expect(machines.map((m) => m.name)).toEqual(plan.machines.map((m) => m.name));
    for (const m of machines) {
      const planned = plan.machines.find((p) => p.name === m.name)!;
      expect(m).toMatchObject({
        role: planned.role,
        cloudId: `${plan.session}-${m.name}-id`,
        instanceType: planned.instanceType,
        desiredState: "running",
        hibernation: false,
      });
      expect(m.privateIp).toMatch(/^10\.\d+\.\d+\.\d+$/);
      if (planned.public) {
        expect(m.publicIp).toMatch(/^198\.51\.100\.\d+$/);
        expect(m.connect).toContain(m.publicIp!);
      } else expect(m.publicIp).toBeUndefined();
    }
  });
});
