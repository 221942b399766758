/**
 * One Nova server per planned machine: a Neutron port carrying its default-deny groups (so the
 * `default` group is never attached), a boot volume of `diskGb` from the Glance image, the flavor
 * from the plan, cloud-init user data (a secret), the labels as metadata, its desired power state
 * (`powerState`) and, only for entry points reachable from `access.allowFrom`, a floating IP.
 */
import type * as pulumi from "@pulumi/pulumi";
import { Instance } from "@pulumi/openstack/compute/instance.js";
import { Port } from "@pulumi/openstack/networking/port.js";
import { FloatingIp } from "@pulumi/openstack/networking/floatingIp.js";
import { getImageOutput } from "@pulumi/openstack/images/getImage.js";
import type { PlannedMachine, PowerState, ResolvedImage, SessionPlan } from "../../../plan/types.js";
import type { Bootstrap, EmitContext, MachineHandle } from "../../../components/adapter.js";
import { secretBootData } from "../../../components/boot-data.js";
import { tagsFor, UUID, type OpenStackNetwork } from "./provider.js";
import { usesSessionGroup } from "./security.js";
import { openstackUserData } from "./userdata.js";

/**
 * Nova's states for the session's desired power state. OpenStack cannot hibernate (keep memory):
 * shelving is the closest, it shuts the server down and frees the hypervisor (a volume-backed
 * server keeps its volume, so offloading is quick) and `active` boots it again.
 */
export const POWER_STATE: Readonly<Record<PowerState, "active" | "shutoff" | "shelved_offloaded">> = {
  running: "active",
  stopped: "shutoff",
  hibernated: "shelved_offloaded",
};

/** The default login of the image's family on OpenStack cloud images. */
export function loginUser(image: ResolvedImage): string {
  if (image.os === "windows") return "Administrator";
  const name = (image.alias ?? image.id ?? "").toLowerCase();
  if (name.startsWith("ubuntu")) return "ubuntu";
  if (name.startsWith("debian")) return "debian";
  if (name.startsWith("rocky")) return "rocky";
  return "cloud-user";
}

/** The boot volume: the machine's disk, plus the shared space when the head node exports it over NFS. */
export function bootVolumeGb(plan: SessionPlan, m: PlannedMachine): number {
  return m.role === "head" && plan.storage?.kind === "head-nfs" ? m.diskGb + plan.storage.sizeGb : m.diskGb;
}

/** The image's Glance id: a UUID as given, else the newest image of that name (one lookup per name). */
function imageId(ctx: EmitContext, net: OpenStackNetwork, image: ResolvedImage): pulumi.Input<string> {
  const ref = image.id ?? image.lookup?.nameFilter ?? "";
  if (UUID.test(ref)) return ref;
  let id = net.images.get(ref);
  if (!id) {
    id = getImageOutput({ name: ref, mostRecent: true }, { parent: ctx.parent, ...(net.opts.provider ? { provider: net.opts.provider } : {}) }).id;
    net.images.set(ref, id);
  }
  return id;
}

function secretUserData(ctx: EmitContext, m: PlannedMachine, boot: Bootstrap): pulumi.Output<string> {
  return secretBootData(boot, (v) => openstackUserData(ctx.plan, m, v));
}

/** The port's first IPv4 address (a dual-stack network lists IPv6 too). */
function firstIpv4(ips: readonly string[] | undefined): string {
  return ips?.find((ip) => !ip.includes(":")) ?? ips?.[0] ?? "";
}

export function createMachine(ctx: EmitContext, net: OpenStackNetwork, m: PlannedMachine, boot: Bootstrap): MachineHandle {
  const plan = ctx.plan;
  const opts = net.opts;
  const role = net.roleGroups.get(m.role);
  const groups = [...(role ? [role.id] : []), ...(usesSessionGroup(m) && net.sessionGroup ? [net.sessionGroup.id] : [])];
  const tags = tagsFor(ctx, m.role);
  const port = new Port(
    ctx.name(`${m.name}-port`),
    {
      name: `${plan.session}-${m.name}`,
      networkId: net.networkId,
      ...(net.subnetId ? { fixedIps: [{ subnetId: net.subnetId }] } : {}),
      // Exactly these groups: Neutron adds `default` only to ports created without any.
      securityGroupIds: groups,
      adminStateUp: true,
      tags,
    },
    opts,
  );
  const instance = new Instance(
    ctx.name(m.name),
    {
      name: `${plan.session}-${m.name}`,
      flavorName: m.instanceType,
      blockDevices: [
        {
          uuid: imageId(ctx, net, m.image),
          sourceType: "image",
          destinationType: "volume",
          volumeSize: bootVolumeGb(plan, m),
          bootIndex: 0,
          deleteOnTermination: true,
        },
      ],
      networks: [{ port: port.id }],
      // Windows gets its password from the user data; a key pair only serves ssh logins.
      ...(net.keyPairName && m.image.os === "linux" ? { keyPair: net.keyPairName } : {}),
      userData: secretUserData(ctx, m, boot),
      metadata: { ...ctx.labels(m.role), "formations-machine": m.name },
      tags,
      powerState: POWER_STATE[m.desiredState],
      ...(plan.zone ? { availabilityZone: plan.zone } : {}),
      stopBeforeDestroy: true,
    },
    opts,
  );
  // Only what users reach directly, and only when allowFrom says from where.
  const floating = m.public
    ? new FloatingIp(
        ctx.name(`${m.name}-fip`),
        { pool: net.externalNetwork, portId: port.id, description: `${plan.session}/${m.name}`, tags },
        { ...opts, dependsOn: net.routed },
      )
    : undefined;
  return {
    cloudId: instance.id,
    privateIp: port.allFixedIps.apply(firstIpv4),
    ...(floating ? { publicIp: floating.address } : {}),
    user: loginUser(m.image),
  };
}
