/**
 * The Docker adapter: every kind on a local or remote Docker engine. A machine is a long-running
 * container on the session's network, reachable by its machine name (`head`, `master`,
 * `target` ...) from the other containers of the session; shared storage is a Docker volume;
 * Spark runs self-managed in containers (no managed big-data service). Only `@pulumi/docker`
 * is loaded, and only when a docker formation is emitted.
 */
import type { Output } from "@pulumi/pulumi";
import type { Bootstrap, CloudAdapter, EmitContext, MachineHandle, StorageHandle } from "../../../components/adapter.js";
import type { PlannedMachine, PlannedStorage } from "../../../plan/types.js";
import { createNetwork, sessionVolume, type DockerNetwork } from "./network.js";
import { containerSpec, guacdSpec, peersOf } from "./roles.js";
import { SIDECAR_LABEL, createContainer, gatewayUrl, machineHandle, shellOf } from "./container.js";
import { GUACD_ALIAS } from "./gateway.js";
import { bindAddress, dockerAccessNote } from "./ports.js";
import { imageSlug } from "./images.js";

/** The Docker kind's named volumes, created with the session (and removed with it). */
function formationVolumes(ctx: EmitContext, net: DockerNetwork, role: string): Map<string, Output<string>> {
  const out = new Map<string, Output<string>>();
  for (const v of ctx.plan.container?.volumes ?? []) {
    if (v.name && !out.has(v.name)) out.set(v.name, sessionVolume(ctx, net, `volume-${imageSlug(v.name)}`, role).name);
  }
  return out;
}

function machine(ctx: EmitContext, net: DockerNetwork, m: PlannedMachine, boot: Bootstrap): MachineHandle {
  const plan = ctx.plan;
  const spec = containerSpec(plan, m, boot);
  const volumes = plan.kind === "Docker" ? formationVolumes(ctx, net, m.role) : undefined;
  // The gateway's guacd runs beside it: same machine label (actions move both), marked sidecar.
  const sidecar =
    plan.kind === "VirtualLab" && m.role === "proxy"
      ? createContainer(ctx, net, m, guacdSpec(plan, m), { suffix: GUACD_ALIAS, aliases: [GUACD_ALIAS], labels: { [SIDECAR_LABEL]: GUACD_ALIAS } })
      : undefined;
  const waitFor = [...peersOf(plan, m).flatMap((p) => net.containers.get(p) ?? []), ...(sidecar ? [sidecar] : [])];
  const c = createContainer(ctx, net, m, spec, {
    suffix: m.name,
    aliases: [m.name],
    ...(volumes ? { volumes } : {}),
    ...(waitFor.length > 0 ? { dependsOn: waitFor } : {}),
  });
  net.containers.set(m.name, c);
  const connect = m.role === "proxy" ? gatewayUrl(plan.dockerHost, bindAddress(plan), c, plan.kind === "VirtualLab" ? "/guacamole/" : "/") : undefined;
  return machineHandle(net, c, shellOf(m, spec), connect);
}

function sharedStorage(ctx: EmitContext, net: DockerNetwork, storage: PlannedStorage): StorageHandle {
  // A local volume has no size limit: sizeGb is the estimate's, not a quota.
  const volume = sessionVolume(ctx, net, "shared");
  return { type: "volume", source: volume.name, mountPath: storage.mountPath };
}

const adapter = {
  provider: "docker",
  network: (ctx: EmitContext) => {
    const note = dockerAccessNote(ctx.plan);
    if (note && !ctx.plan.notes.includes(note)) ctx.plan.notes.push(note);
    return createNetwork(ctx);
  },
  machine,
  sharedStorage,
  // Spark runs self-managed in containers: there is no managed big-data service on Docker.
  bigDataCluster: () => undefined,
} satisfies CloudAdapter<DockerNetwork>;

export const dockerAdapter: CloudAdapter = adapter;
