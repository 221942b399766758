/**
 * Test layer 2: components compiled under Pulumi's mocks (pulumi.runtime.setMocks).
 * The AWS adapter under Pulumi's mock runtime: every kind on aws, compiled by the real components
 * and recorded by recordProgram. Asserts types, counts, parents, names, tags, security-group rules,
 * spot and hibernation, IMDSv2, encryption, EFS, EMR, alarms, power state, secrets and outputs;
 * never a whole-object snapshot.
 */
import { describe, expect, it } from "vitest";
import { expectNoPlainSecret, expectOneComponent } from "../../helpers/compile.js";
import { compileExample, exampleNames as examples, ingress, T, type Inputs } from "./helpers.js";

describe("every aws example", () => {
  it("covers the six kinds", () => expect(examples).toHaveLength(6));

  it.each(examples)("%s: one component, every child parented to it and named after the session", async (name) => {
    const { plan, rec } = await compileExample(name);
    // Only AWS (and the session's generated secrets) under an aws formation, one AWS provider.
    const { provider } = expectOneComponent({ plan, rec }, "aws:", T.provider);
    expect(provider.inputs.region).toBe(plan.region);
    expect(JSON.parse(String(provider.inputs.defaultTags))).toEqual({ tags: plan.labels });
  });

  it.each(examples)("%s: instances are tagged, IMDSv2-only, encrypted gp3, with secret user data", async (name) => {
    const { plan, of, named, userData } = await compileExample(name);
    const own = plan.machines.filter((m) => !m.managedBy);
    expect(of(T.instance)).toHaveLength(own.length);
    expect(of(T.state)).toHaveLength(own.length);
    for (const m of own) {
      const i = named(T.instance, m.name);
      expect(i.tags).toEqual({ ...plan.labels, "formations-role": m.role, Name: `${plan.session}-${m.name}` });
      expect(i.metadataOptions).toMatchObject({ httpTokens: "required", httpEndpoint: "enabled" });
      expect(i.rootBlockDevice).toMatchObject({ encrypted: true, volumeType: "gp3", deleteOnTermination: true });
      expect((i.rootBlockDevice as Inputs).volumeSize).toBeGreaterThanOrEqual(m.diskGb);
      expect(i.instanceType).toBe(m.instanceType);
      expect(i.associatePublicIpAddress).toBe(m.public);
      expect(i.ami).toBe("ami-0mock0000000000000");
      expect(userData(m.name)).toMatch(/^(#cloud-config\n|<powershell>)/);
      expect(named(T.state, `${m.name}-state`)).toMatchObject({ instanceId: `${plan.session}-${m.name}-id`, state: "running" });
    }
    // Every taggable resource carries the session's labels.
    for (const r of of(T.vpc).concat(of(T.subnet), of(T.sg), of(T.efs), of(T.emr), of(T.role))) expect(r.inputs.tags, r.name).toMatchObject(plan.labels);
  });

  it.each(examples)("%s: no plain secret in any input, and security groups open only to allowFrom", async (name) => {
    const { plan, rec, of } = await compileExample(name);
    expectNoPlainSecret(rec);
    const allowed = new Set(plan.allowFrom);
    for (const sg of of(T.sg)) {
      for (const rule of ingress(sg.inputs)) {
        for (const cidr of [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])]) expect(allowed.has(cidr), `${sg.name} allows ${cidr}`).toBe(true);
      }
    }
  });

  it.each(examples)("%s: outputs name every machine with its instance id, addresses and how to connect", async (name) => {
    const { plan, outputs, machines } = await compileExample(name);
    expect(outputs).toMatchObject({ session: plan.session, kind: plan.kind, provider: "aws" });
    const own = plan.machines.filter((m) => !m.managedBy);
    expect(machines.map((m) => m.name)).toEqual(own.map((m) => m.name));
    for (const m of machines) {
      const planned = own.find((p) => p.name === m.name)!;
      expect(m).toMatchObject({ role: planned.role, cloudId: `${plan.session}-${m.name}-id`, instanceType: planned.instanceType });
      expect(m.privateIp).toMatch(/^10\.\d+\.\d+\.\d+$/);
      if (planned.public) expect(m.publicIp).toMatch(/^198\.51\.100\.\d+$/);
      else expect(m.publicIp).toBeUndefined();
      expect(m.connect.length).toBeGreaterThan(0);
    }
  });
});
