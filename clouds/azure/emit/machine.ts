/**
 * One Azure VM per planned machine: its NIC (in its role's default-deny group and application
 * security groups), a public address only where the plan makes it public, a Standard SSD OS disk
 * deleted with the VM, SSH keys with password logins off (Linux) or the session's generated admin
 * password (Windows), cloud-init as custom data (a secret), spot and hibernation settings and,
 * with `lifecycle.autoStop`, a nightly shutdown schedule.
 *
 * Power state: Azure has no declarative power-state resource. A VM is created running; keeping a
 * session's machine stopped, deallocated or hibernated is the actions layer's work, through the
 * Azure SDK (deallocate, hibernate, start). Nothing here pretends to hold that state.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { NetworkInterface } from "@pulumi/azure-native/network/networkInterface.js";
import { PublicIPAddress } from "@pulumi/azure-native/network/publicIPAddress.js";
import { VirtualMachine } from "@pulumi/azure-native/compute/virtualMachine.js";
import { VirtualMachineExtension } from "@pulumi/azure-native/compute/virtualMachineExtension.js";
import { GlobalSchedule } from "@pulumi/azure-native/devtestlab/globalSchedule.js";
import type { PlannedMachine } from "../../../plan/types.js";
import { userData } from "../../../plan/cloudinit.js";
import type { Bootstrap, EmitContext, MachineHandle } from "../../../components/adapter.js";
import { secretBootData } from "../../../components/boot-data.js";
import { tagsFor, type AzureNetwork } from "./provider.js";
import { usesSessionAsg } from "./security.js";
import {
  customData,
  hibernationEnabled,
  imageReference,
  LINUX_ADMIN,
  lockKeyFromSeed,
  loginUser,
  osDiskGb,
  WINDOWS_ADMIN,
  WINDOWS_RUN_CUSTOM_DATA,
  windowsBootScript,
} from "./image.js";
import { NIGHTLY_SHUTDOWN } from "../notes.js";

/** Spot eviction: Azure deallocates (stop, hibernate) or deletes (terminate) a reclaimed VM. */
export function spotSettings(m: PlannedMachine, interruption: "stop" | "hibernate" | "terminate"): Record<string, unknown> {
  if (!m.spot) return {};
  // maxPrice -1: never evicted for price, only for capacity; the bill is the spot price of the hour.
  return { priority: "Spot", evictionPolicy: interruption === "terminate" ? "Delete" : "Deallocate", billingProfile: { maxPrice: -1 } };
}

function bootScript(ctx: EmitContext, m: PlannedMachine, boot: Bootstrap): pulumi.Output<string> {
  return secretBootData(boot, (v) => {
    const script = userData(ctx.plan, m, v);
    return customData(m.image.os === "windows" ? windowsBootScript(script) : script, m.name);
  });
}

/** Keys for Linux VMs: the session's, or a key nobody holds when it has none Azure accepts. */
function linuxKeys(ctx: EmitContext, net: AzureNetwork): pulumi.Input<string>[] {
  if (net.sshKeys.length > 0) return [...net.sshKeys];
  let lock = lockKeys.get(net);
  if (!lock) {
    const seed = new random.RandomBytes(ctx.name("lock-key-seed"), { length: 32 }, { parent: ctx.parent, additionalSecretOutputs: ["base64", "hex"] });
    // Derived from the seed, which stays a secret in state; the public half is plain by nature.
    lock = pulumi.unsecret(seed.base64.apply((b64) => lockKeyFromSeed(Buffer.from(b64, "base64"))));
    lockKeys.set(net, lock);
  }
  return [lock];
}
const lockKeys = new WeakMap<AzureNetwork, pulumi.Output<string>>();

function osProfile(ctx: EmitContext, net: AzureNetwork, m: PlannedMachine, boot: Bootstrap): Record<string, unknown> {
  const base = { computerName: m.name, customData: bootScript(ctx, m, boot) };
  if (m.image.os === "windows") {
    if (!boot.secrets.adminPassword) throw new Error(`${m.name}: a Windows machine needs the session's admin password`);
    return {
      ...base,
      adminUsername: WINDOWS_ADMIN,
      adminPassword: boot.secrets.adminPassword,
      windowsConfiguration: { provisionVMAgent: true, enableAutomaticUpdates: true },
    };
  }
  const publicKeys = linuxKeys(ctx, net).map((keyData) => ({ path: `/home/${LINUX_ADMIN}/.ssh/authorized_keys`, keyData }));
  return { ...base, adminUsername: LINUX_ADMIN, linuxConfiguration: { disablePasswordAuthentication: true, provisionVMAgent: true, ssh: { publicKeys } } };
}

function nic(ctx: EmitContext, net: AzureNetwork, m: PlannedMachine): { nic: NetworkInterface; ip?: PublicIPAddress } {
  const where = { resourceGroupName: net.resourceGroupName, location: net.location };
  const tags = tagsFor(ctx, m.role);
  const ip = m.public
    ? new PublicIPAddress(
        ctx.name(`${m.name}-ip`),
        { ...where, publicIpAddressName: ctx.name(`${m.name}-ip`), sku: { name: "Standard" }, publicIPAllocationMethod: "Static", tags },
        net.opts,
      )
    : undefined;
  const role = net.roleAsgs.get(m.role);
  const asgs = [...(role ? [{ id: role.id }] : []), ...(usesSessionAsg(m) && net.sessionAsg ? [{ id: net.sessionAsg.id }] : [])];
  const nsg = net.roleNsgs.get(m.role);
  if (!nsg) throw new Error(`${m.name}: no network security group for role ${m.role}`);
  const name = ctx.name(`${m.name}-nic`);
  const created = new NetworkInterface(
    name,
    {
      ...where,
      networkInterfaceName: name,
      networkSecurityGroup: { id: nsg.id },
      ipConfigurations: [
        {
          name: "ipconfig1",
          primary: true,
          subnet: { id: net.subnetId },
          privateIPAllocationMethod: "Dynamic",
          ...(ip ? { publicIPAddress: { id: ip.id } } : {}),
          ...(asgs.length ? { applicationSecurityGroups: asgs } : {}),
        },
      ],
      tags,
    },
    net.opts,
  );
  return { nic: created, ...(ip ? { ip } : {}) };
}

export function createMachine(ctx: EmitContext, net: AzureNetwork, m: PlannedMachine, boot: Bootstrap): MachineHandle {
  const plan = ctx.plan;
  const where = { resourceGroupName: net.resourceGroupName, location: net.location };
  const tags = tagsFor(ctx, m.role);
  const { nic: iface, ip } = nic(ctx, net, m);
  const { reference, plan: purchasePlan } = imageReference(m.image);
  const hibernate = hibernationEnabled(m);
  const vmName = ctx.name(m.name);
  const vm = new VirtualMachine(
    vmName,
    {
      ...where,
      vmName,
      hardwareProfile: { vmSize: m.instanceType },
      storageProfile: {
        imageReference: reference,
        // Managed disks are encrypted at rest by the platform; the disk goes with the VM.
        osDisk: {
          name: `${vmName}-osdisk`,
          createOption: "FromImage",
          caching: "ReadWrite",
          diskSizeGB: osDiskGb(m, hibernate),
          managedDisk: { storageAccountType: "StandardSSD_LRS" },
          deleteOption: "Delete",
        },
      },
      ...(purchasePlan ? { plan: purchasePlan } : {}),
      osProfile: osProfile(ctx, net, m, boot),
      networkProfile: { networkInterfaces: [{ id: iface.id, primary: true }] },
      diagnosticsProfile: { bootDiagnostics: { enabled: true } },
      ...spotSettings(m, plan.spotInterruption),
      ...(hibernate ? { additionalCapabilities: { hibernationEnabled: true } } : {}),
      tags,
    },
    net.opts,
  );
  const vmOpts = { ...net.opts, dependsOn: [vm] };
  if (hibernate && m.image.os === "linux") {
    // The guest side of hibernation (a swap file and resume settings), as the Azure portal installs it.
    new VirtualMachineExtension(
      ctx.name(`${m.name}-hibernate`),
      {
        ...where,
        vmName: vm.name,
        vmExtensionName: "LinuxHibernateExtension",
        publisher: "Microsoft.CPlat.Core",
        type: "LinuxHibernateExtension",
        typeHandlerVersion: "1.0",
        autoUpgradeMinorVersion: true,
        tags,
      },
      vmOpts,
    );
  }
  if (m.image.os === "windows") {
    // Azure's Windows agent stores custom data without running it: this runs it once.
    new VirtualMachineExtension(
      ctx.name(`${m.name}-bootstrap`),
      {
        ...where,
        vmName: vm.name,
        vmExtensionName: "formations-bootstrap",
        publisher: "Microsoft.Compute",
        type: "CustomScriptExtension",
        typeHandlerVersion: "1.10",
        autoUpgradeMinorVersion: true,
        settings: { commandToExecute: WINDOWS_RUN_CUSTOM_DATA },
        tags,
      },
      vmOpts,
    );
  }
  if (plan.autoStop) {
    // Not idle-based: DevTest Labs' schedule shuts the VM down at a fixed time every day. It is a
    // nightly safety net only; stopping a machine when it is idle is the on-node idle agent's job.
    new GlobalSchedule(
      ctx.name(`${m.name}-shutdown`),
      {
        ...where,
        // Azure requires exactly this name for a VM's shutdown schedule.
        name: `shutdown-computevm-${vmName}`,
        status: "Enabled",
        taskType: "ComputeVmShutdownTask",
        dailyRecurrence: { time: NIGHTLY_SHUTDOWN.time },
        timeZoneId: NIGHTLY_SHUTDOWN.timeZoneId,
        targetResourceId: vm.id,
        notificationSettings: { status: "Disabled" },
        tags,
      },
      net.opts,
    );
  }
  return {
    cloudId: vm.id,
    privateIp: iface.ipConfigurations.apply((c) => c?.[0]?.privateIPAddress ?? ""),
    ...(ip ? { publicIp: ip.ipAddress } : {}),
    user: loginUser(m.image),
  };
}
