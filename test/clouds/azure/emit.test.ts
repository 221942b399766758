/**
 * Test layer 2: components compiled under Pulumi's mocks (pulumi.runtime.setMocks).
 * The Azure adapter under Pulumi's mock runtime: every azure example, compiled by the real
 * components and recorded by recordProgram. Asserts types and counts, parents and names, tags,
 * default-deny rules, secrets and outputs; never a whole-object snapshot. Kind-specific and
 * inline cases are in azure-kinds.test.ts and azure-options.test.ts.
 */
import { describe, expect, it } from "vitest";
import { expectNoPlainSecret, expectOneComponent, MOCK_SECRET } from "../../helpers/compile.js";
import { ANYWHERE, compileExample, exampleNames as examples, T, type Inputs } from "./helpers.js";

/** Azure resources without tags of their own (children of a tagged parent). */
const UNTAGGED = new Set<string>([T.provider, T.subnet, T.share, T.container]);

describe("every azure example", () => {
  it("covers the six kinds", () => expect(examples).toHaveLength(6));

  it.each(examples)("%s: one component, every child parented to it and named after the session, one provider", async (name) => {
    const { plan, rec, of } = await compileExample(name);
    // Only Azure (and the session's generated secrets) under an azure formation, one Azure provider.
    const { children, provider } = expectOneComponent({ plan, rec }, "azure-native:", T.provider);
    expect(provider.inputs.location).toBe(plan.region);
    expect(of(T.rg)).toHaveLength(1);
    expect(of(T.rg)[0]?.inputs).toMatchObject({ resourceGroupName: `${plan.session}-rg`, location: plan.region });
    // Everything else lives in the session's resource group.
    for (const r of children.filter((c) => c.type.startsWith("azure-native:") && c.type !== T.rg))
      expect(r.inputs.resourceGroupName, r.name).toBe(`${plan.session}-rg`);
  });

  it.each(examples)("%s: every Azure resource is tagged with the session, formation and role", async (name) => {
    const { plan, rec, named } = await compileExample(name);
    expect(plan.labels).toMatchObject({ "formations-session": plan.session, "formations-formation": plan.formation });
    for (const r of rec.resources.filter((x) => x.type.startsWith("azure-native:") && !UNTAGGED.has(x.type))) {
      expect(r.inputs.tags, `${r.type} ${r.name}`).toMatchObject(plan.labels);
    }
    for (const m of plan.machines.filter((x) => !x.managedBy)) {
      for (const [type, suffix] of [
        [T.vm, m.name],
        [T.nic, `${m.name}-nic`],
        [T.nsg, `nsg-${m.role}`],
      ] as const) {
        expect(named(type, suffix).tags, `${type} ${suffix}`).toEqual({ ...plan.labels, "formations-role": m.role });
      }
    }
  });

  it.each(examples)("%s: one VM and NIC per own machine, sized as planned, public addresses only for public machines", async (name) => {
    const { plan, of, named, osProfile } = await compileExample(name);
    const own = plan.machines.filter((m) => !m.managedBy);
    expect(of(T.vm)).toHaveLength(own.length);
    expect(of(T.nic)).toHaveLength(own.length);
    const nat = of(T.nat).length;
    expect(of(T.ip)).toHaveLength(own.filter((m) => m.public).length + nat);
    for (const m of own) {
      const vm = named(T.vm, m.name);
      expect(vm.hardwareProfile).toEqual({ vmSize: m.instanceType });
      expect(vm.vmName).toBe(`${plan.session}-${m.name}`);
      expect(vm.networkProfile).toEqual({ networkInterfaces: [{ id: `${plan.session}-${m.name}-nic-id`, primary: true }] });
      const disk = (vm.storageProfile as { osDisk: Inputs }).osDisk;
      expect(disk).toMatchObject({ createOption: "FromImage", deleteOption: "Delete", managedDisk: { storageAccountType: "StandardSSD_LRS" } });
      expect(disk.diskSizeGB as number).toBeGreaterThanOrEqual(m.diskGb);
      const nic = named(T.nic, `${m.name}-nic`);
      const [config] = nic.ipConfigurations as Inputs[];
      expect(nic.networkSecurityGroup).toEqual({ id: `${plan.session}-nsg-${m.role}-id` });
      expect(config?.publicIPAddress).toEqual(m.public ? { id: `${plan.session}-${m.name}-ip-id` } : undefined);
      const profile = osProfile(m.name);
      expect(profile.computerName).toBe(m.name);
      if (m.image.os === "linux") {
        expect(profile.linuxConfiguration).toMatchObject({ disablePasswordAuthentication: true, provisionVMAgent: true });
        expect(profile.adminPassword).toBeUndefined();
      } else {
        expect(profile.adminUsername).toBe("azureadmin");
        expect(profile.adminPassword).toBe(`mock-secret-${plan.session}-admin-password`);
      }
    }
  });

  it.each(examples)("%s: every network security group is default-deny and opens only to allowFrom or by group", async (name) => {
    const { plan, of } = await compileExample(name);
    expect(of(T.nsg).length).toBeGreaterThan(0);
    for (const nsg of of(T.nsg)) {
      const rules = nsg.inputs.securityRules as Inputs[];
      const last = rules.at(-1);
      expect(last, nsg.name).toMatchObject({
        name: "deny-all-inbound",
        access: "Deny",
        direction: "Inbound",
        priority: 4096,
        protocol: "*",
        sourceAddressPrefix: "*",
        destinationPortRange: "*",
      });
      for (const r of rules.slice(0, -1)) {
        expect(r, `${nsg.name} ${String(r.name)}`).toMatchObject({ access: "Allow", direction: "Inbound" });
        expect(r.priority as number).toBeLessThan(4096);
        const prefixes = [...((r.sourceAddressPrefixes as string[] | undefined) ?? []), ...(r.sourceAddressPrefix ? [r.sourceAddressPrefix as string] : [])];
        for (const p of prefixes) {
          expect(ANYWHERE.has(p) && !plan.allowFrom.includes(p), `${nsg.name} allows ${p}`).toBe(false);
          const fromPlan = plan.allowFrom.includes(p) || p === plan.network.privateSubnetCidr || p === "AzureLoadBalancer";
          expect(fromPlan, `${nsg.name} allows ${p}`).toBe(true);
        }
        if (prefixes.length === 0) expect(r.sourceApplicationSecurityGroups, `${nsg.name} ${String(r.name)}`).toHaveLength(1);
      }
    }
  });

  it.each(examples)("%s: no plain secret in any input or output", async (name) => {
    const { rec } = await compileExample(name);
    expectNoPlainSecret(rec);
    for (const [, o] of rec.outputs) expect(JSON.stringify(o)).not.toMatch(MOCK_SECRET);
  });

  it.each(examples)("%s: outputs name every machine with its VM id, addresses, login and desired state", async (name) => {
    const { plan, outputs, machines } = await compileExample(name);
    expect(outputs).toMatchObject({ session: plan.session, kind: plan.kind, provider: "azure", formation: plan.formation });
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
      expect(m.user).toBe(planned.image.os === "windows" ? "Administrator" : "azureuser");
      expect(m.privateIp).toMatch(/^10\.42\.\d+\.\d+$/);
      if (planned.public) expect(m.publicIp).toMatch(/^198\.51\.100\.\d+$/);
      else expect(m.publicIp).toBeUndefined();
      expect(m.connect.length).toBeGreaterThan(0);
    }
  });

  it.each(examples)("%s: autoStop is a nightly DevTest Labs shutdown schedule per VM, named as Azure requires", async (name) => {
    const { plan, of, named } = await compileExample(name);
    const own = plan.machines.filter((m) => !m.managedBy);
    expect(plan.autoStop).toBeDefined();
    expect(of(T.schedule)).toHaveLength(own.length);
    for (const m of own) {
      expect(named(T.schedule, `${m.name}-shutdown`)).toMatchObject({
        name: `shutdown-computevm-${plan.session}-${m.name}`,
        status: "Enabled",
        taskType: "ComputeVmShutdownTask",
        dailyRecurrence: { time: "2200" },
        timeZoneId: "UTC",
        targetResourceId: `${plan.session}-${m.name}-id`,
      });
    }
    expect(plan.notes.some((n) => n.includes("safety net"))).toBe(true);
  });
});
