/**
 * The session's place on a Docker engine: an explicit provider (the formation's `cloud.host`, or
 * DOCKER_HOST), one bridge network labelled with the session, and the images and volumes the
 * session's containers share. Subpath imports: only the four resource modules are loaded.
 */
import type * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/docker/provider.js";
import { Network } from "@pulumi/docker/network.js";
import { RemoteImage } from "@pulumi/docker/remoteImage.js";
import { Volume } from "@pulumi/docker/volume.js";
import type { Container } from "@pulumi/docker/container.js";
import type { EmitContext, NetworkHandle } from "../../../components/adapter.js";
import type { SessionPlan } from "../../../plan/types.js";
import { imageSlug } from "./images.js";
import { networkIsInternal } from "./ports.js";

export interface DockerNetwork extends NetworkHandle {
  readonly provider: "docker";
  /** The session's engine: every Docker resource of the session is created through it. */
  readonly engine: Provider;
  readonly network: Network;
  /**
   * A cluster's or lab's edge network (`${session}-edge`): the proxy alone is on it too, and
   * publishes its port there. The session network is then private: internal, and the engine's
   * host has no address on it, so the machines behind the proxy are reached only through it.
   */
  readonly edge?: Network;
  /** `docker` or `docker -H <cloud.host>`: the CLI prefix for connection details. */
  readonly cli: string;
  /** One RemoteImage per distinct image of the session. */
  readonly images: Map<string, RemoteImage>;
  /** The session's machine containers by machine name, for start order (see roles.peersOf). */
  readonly containers: Map<string, Container>;
}

/** Docker's labels as the provider takes them: a list of {label, value}. */
export function labelList(labels: Readonly<Record<string, string>>): { label: string; value: string }[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

/** Options for a child of the kind's component on the session's engine. */
export function childOpts(ctx: EmitContext, net: Pick<DockerNetwork, "engine">, extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
  return { parent: ctx.parent, provider: net.engine, ...extra };
}

/**
 * Docker's bridge option that leaves the host without an address on the network: no route from
 * the engine's host into it (Docker's `internal` alone still gives the host one, and with
 * `--iptables=false` nothing filters it). Containers on it still reach each other.
 */
export const NO_HOST_ADDRESS = { "com.docker.network.bridge.inhibit_ipv4": "true" } as const;

/** Kinds whose proxy fronts the session (VirtualLab, EMRCluster): the others stay on one network. */
export function hasEdge(plan: Pick<SessionPlan, "machines">): boolean {
  return plan.machines.some((m) => m.role === "proxy");
}

export function createNetwork(ctx: EmitContext): DockerNetwork {
  const host = ctx.plan.dockerHost;
  // Without cloud.host the provider takes DOCKER_HOST (or the local socket), like the docker CLI.
  const engine = new Provider(ctx.name("engine"), host ? { host } : {}, { parent: ctx.parent });
  const edged = hasEdge(ctx.plan);
  const bridge = (suffix: string, internal: boolean, options?: Record<string, string>) => {
    const name = ctx.name(suffix);
    return new Network(
      name,
      { name, driver: "bridge", internal, ...(options ? { options } : {}), labels: labelList(ctx.labels()) },
      { parent: ctx.parent, provider: engine },
    );
  };
  // Internal: no route out and nothing published, unless a container publishes a port; behind a
  // proxy, always, and with no address for the host.
  const network = edged ? bridge("net", true, { ...NO_HOST_ADDRESS }) : bridge("net", networkIsInternal(ctx.plan));
  const edge = edged ? bridge("edge", false) : undefined;
  return {
    provider: "docker",
    engine,
    network,
    ...(edge ? { edge } : {}),
    cli: host ? `docker -H ${host}` : "docker",
    images: new Map(),
    containers: new Map(),
  };
}

/** The session's RemoteImage for `image`, pulled once however many containers run it. */
export function remoteImage(ctx: EmitContext, net: DockerNetwork, image: string): RemoteImage {
  let img = net.images.get(image);
  if (!img) {
    // keepLocally: deleting a session must not remove an image other sessions (or users) run.
    img = new RemoteImage(ctx.name(`image-${imageSlug(image)}`), { name: image, keepLocally: true }, childOpts(ctx, net));
    net.images.set(image, img);
  }
  return img;
}

/** A Docker volume of the session, named and labelled after it (removed with the session). */
export function sessionVolume(ctx: EmitContext, net: DockerNetwork, suffix: string, role?: string): Volume {
  const name = ctx.name(suffix);
  return new Volume(name, { name, labels: labelList(ctx.labels(role)) }, childOpts(ctx, net));
}
