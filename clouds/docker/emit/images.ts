/**
 * Docker images per role: the ONE table that says which image each part of a session runs on
 * the docker provider. A formation's `machine.image` that is not an alias (e.g.
 * `myorg/slurm:24.05`) is used as is, for any role; an alias (`ubuntu-22.04`, `rocky-9` ...)
 * means "the default for this role": the alias's own image for plain machines, the service
 * image below for Slurm, Spark, the gateway and the lab desktop.
 *
 * Nothing here imports `@pulumi/*`: the table and the resolution are plain data and tested so.
 */
import { createHash } from "node:crypto";
import type { PlannedMachine, SessionPlan } from "../../../plan/types.js";

/** What a container does in its session; decides its image, command and capabilities. */
export type ImageSlot =
  "machine" | "head" | "compute" | "master" | "worker" | "spark-proxy" | "gateway" | "guacd" | "desktop-ssh" | "desktop-rdp" | "desktop-vnc";

/** The image of the formation's alias (ubuntu:22.04, debian:12 ... from clouds/docker/catalog.ts). */
export const ALIAS_IMAGE = "alias";

/**
 * Default image per slot. Why each one:
 * - machine: plain machines and pool members run the alias's own image with a keep-alive command.
 * - head/compute: giovtorres/slurm-docker-cluster, the best-known Slurm-in-containers project
 *   (Rocky Linux 9, Slurm built from source, munge, gosu), published to Docker Hub by its release
 *   workflow. We replace its entrypoint with our own script (see slurm.ts), so any image with
 *   bash, munged, slurmctld, slurmd and gosu works as an override; pin a version tag there for
 *   reproducible clusters (`latest` is the only tag we could not verify offline as pinned).
 * - master/worker: the Apache Spark project's official image, Spark 3.5.3 (Scala 2.12, Java 11);
 *   its entrypoint runs any command given, so the standalone master and workers need no wrapper.
 * - spark-proxy: nginx in front of the Spark master's web UI (the proxy role of EMRCluster).
 * - gateway/guacd: Apache Guacamole's official images, same release for both halves.
 * - desktop-*: the VirtualLab target per protocol. linuxserver.io images are maintained, run an
 *   init system (s6) and take their user and password from the environment or an init script;
 *   ConSol's headless VNC desktop takes its password from VNC_PW.
 */
export const DEFAULT_IMAGES: Readonly<Record<ImageSlot, string>> = {
  machine: ALIAS_IMAGE,
  head: "giovtorres/slurm-docker-cluster:latest",
  compute: "giovtorres/slurm-docker-cluster:latest",
  master: "apache/spark:3.5.3",
  worker: "apache/spark:3.5.3",
  "spark-proxy": "nginx:1.27-alpine",
  gateway: "guacamole/guacamole:1.5.5",
  guacd: "guacamole/guacd:1.5.5",
  "desktop-ssh": "lscr.io/linuxserver/openssh-server:latest",
  "desktop-rdp": "lscr.io/linuxserver/rdesktop:latest",
  "desktop-vnc": "consol/debian-xfce-vnc:latest",
};

/** The slot of a planned machine (the guacd sidecar has no machine of its own). */
export function slotOf(plan: Pick<SessionPlan, "kind" | "gateway">, m: Pick<PlannedMachine, "role">): ImageSlot {
  switch (m.role) {
    case "head":
    case "compute":
    case "master":
    case "worker":
      return m.role;
    case "proxy":
      return plan.kind === "VirtualLab" ? "gateway" : "spark-proxy";
    case "target":
      return `desktop-${plan.gateway?.protocol ?? "ssh"}`;
    case "machine":
    case "member":
    case "host":
      return "machine";
  }
}

/**
 * The image a machine runs: the Docker kind's container image; else a non-alias `machine.image`
 * as is; else the role's default (the alias's own image for plain machines).
 */
export function imageFor(plan: Pick<SessionPlan, "kind" | "gateway" | "container">, m: Pick<PlannedMachine, "role" | "image">): string {
  if (plan.kind === "Docker" && plan.container) return plan.container.image;
  if (!m.image.alias && m.image.id) return m.image.id;
  const image = DEFAULT_IMAGES[slotOf(plan, m)];
  if (image !== ALIAS_IMAGE) return image;
  if (!m.image.id) throw new Error(`image alias '${m.image.alias ?? "?"}' has no Docker image in the docker catalog`);
  return m.image.id;
}

/** Images without bash (Alpine, BusyBox) get `sh` for `docker exec`. */
export function shellFor(image: string): string {
  return /alpine|busybox/i.test(image) ? "/bin/sh" : "/bin/bash";
}

/**
 * A resource-name-safe slug for an image reference: `apache/spark:3.5.3` → `apache-spark-3-5-3`.
 * Long references are cut and get a short hash, so two images never share a name.
 */
export function imageSlug(image: string): string {
  const slug =
    image
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "image";
  if (slug.length <= 60) return slug;
  return `${slug.slice(0, 52).replace(/-+$/, "")}-${createHash("sha256").update(image).digest("hex").slice(0, 7)}`;
}
