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
import { imageSlug } from "./images.js";
import { networkIsInternal } from "./ports.js";

export interface DockerNetwork extends NetworkHandle {
  readonly provider: "docker";
  /** The session's engine: every Docker resource of the session is created through it. */
  readonly engine: Provider;
  readonly network: Network;
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

export function createNetwork(ctx: EmitContext): DockerNetwork {
  const host = ctx.plan.dockerHost;
  // Without cloud.host the provider takes DOCKER_HOST (or the local socket), like the docker CLI.
  const engine = new Provider(ctx.name("engine"), host ? { host } : {}, { parent: ctx.parent });
  const name = ctx.name("net");
  const network = new Network(
    name,
    {
      name,
      driver: "bridge",
      // Internal: no route out and nothing published, unless a container publishes a port.
      internal: networkIsInternal(ctx.plan),
      labels: labelList(ctx.labels()),
    },
    { parent: ctx.parent, provider: engine },
  );
  return { provider: "docker", engine, network, cli: host ? `docker -H ${host}` : "docker", images: new Map(), containers: new Map() };
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
