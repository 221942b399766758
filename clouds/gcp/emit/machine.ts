/**
 * One GCE instance per planned machine: its image family, pd-balanced boot disk, network tags
 * for the default-deny firewall, an external address only for entry points, shielded VM, spot
 * scheduling with the termination action of `lifecycle.spotInterruption`, GPUs, the boot metadata
 * (boot.ts) and its desired power state as `desiredStatus` (RUNNING / TERMINATED / SUSPENDED), so
 * `up` keeps a stopped session stopped.
 *
 * `lifecycle.autoStop`: GCE has no native idle stop for an instance (no monitoring alert can
 * stop one), so nothing is created for it here. The on-node idle agent (agent/idle-agent.ts)
 * does it: it shuts an idle machine down, and a guest shutdown leaves a GCE instance TERMINATED
 * (stopped, disk kept), which `formations start` resumes.
 */
import { Instance } from "@pulumi/gcp/compute/instance.js";
import type { PlannedMachine } from "../../../plan/types.js";
import type { Bootstrap, EmitContext, MachineHandle } from "../../../components/adapter.js";
import { labelsFor, note, type GcpNetwork } from "./provider.js";
import { instanceMetadata } from "./boot.js";
import { inCluster, machineTags } from "./firewall.js";
import { bootDiskGb, bootImage, canSuspend, desiredStatus, loginUser, machineShape, scheduling } from "./shapes.js";

/** Notes only the adapter can give: what GCE does instead of what the formation asked. */
function machineNotes(ctx: EmitContext, m: PlannedMachine): void {
  const plan = ctx.plan;
  // The planner already noted machines that cannot hibernate at all.
  if (m.spot && plan.spotInterruption === "hibernate" && m.hibernation)
    note(ctx, `${m.name}: GCE cannot suspend a reclaimed spot VM; it will be stopped instead (lifecycle.spotInterruption: hibernate)`);
  if (m.desiredState === "hibernated" && !canSuspend(m))
    note(ctx, `${m.name}: GCE cannot suspend a ${m.spot ? "spot " : ""}${m.instanceType}${m.gpus ? " with GPUs" : ""}; it is kept stopped instead`);
  if (bootDiskGb(m) > m.diskGb)
    note(ctx, `${m.name}: the ${m.image.alias ?? m.image.id} image needs a ${bootDiskGb(m)} GB boot disk; ${m.diskGb} GB was asked`);
}

export function createMachine(ctx: EmitContext, net: GcpNetwork, m: PlannedMachine, boot: Bootstrap): MachineHandle {
  const plan = ctx.plan;
  machineNotes(ctx, m);
  const labels = labelsFor(ctx, m.role);
  const { machineType, accelerators } = machineShape(m);
  // Catalog images support shielded VM; a custom image may not be UEFI-ready, so it is left as GCE defaults it.
  const shielded = m.image.alias ? { shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true } } : {};
  const instance = new Instance(
    ctx.name(m.name),
    {
      // A fixed name: the instance's hostname and what actions and `--machine` find it by.
      name: `${plan.session}-${m.name}`,
      zone: net.zone,
      machineType,
      description: `${plan.session}/${m.name} (${m.role}), formations ${plan.formation}`,
      tags: machineTags(plan.session, m.role, inCluster(m)),
      labels,
      bootDisk: { autoDelete: true, initializeParams: { image: bootImage(m.image, machineType), size: bootDiskGb(m), type: "pd-balanced", labels } },
      networkInterfaces: [
        {
          ...(net.subnetwork ? { subnetwork: net.subnetwork } : { network: net.network }),
          // An external address only where allowFrom must reach the machine; the others egress through Cloud NAT.
          accessConfigs: m.public ? [{ networkTier: "PREMIUM" }] : [],
        },
      ],
      metadata: instanceMetadata(plan, m, boot),
      scheduling: scheduling(m, plan.spotInterruption),
      ...(accelerators.length > 0 ? { guestAccelerators: accelerators } : {}),
      ...shielded,
      desiredStatus: desiredStatus(m),
      // Machine type and GPU changes need a stopped instance: GCE stops it, changes it, starts it.
      allowStoppingForUpdate: true,
      deletionProtection: false,
      // No service account: the machines call no Google API (least privilege).
    },
    // The name is fixed, so a replacement deletes the old instance first; machines boot once egress and firewall exist.
    { ...net.opts, deleteBeforeReplace: true, dependsOn: net.ready },
  );
  const nic = instance.networkInterfaces.apply((n) => n[0]);
  return {
    cloudId: instance.id,
    privateIp: nic.apply((n) => n?.networkIp ?? ""),
    ...(m.public ? { publicIp: nic.apply((n) => n?.accessConfigs?.[0]?.natIp) } : {}),
    user: loginUser(m.image),
  };
}
