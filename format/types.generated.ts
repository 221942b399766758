/* Generated from schemas/formation.schema.json by scripts/gen-types.mjs: do not edit. Run `npm run gen:types`. */

/**
 * A formation: one YAML recipe, kept in git, that describes a lab or cluster. Launching it creates a session (one Pulumi stack).
 */
export type Formation = {
  /**
   * Version of the formation format. Always `formations/v1`.
   */
  apiVersion: "formations/v1";
  /**
   * What the formation launches: one Machine, a Docker container, a Pool of identical machines, a VirtualLab (browser gateway + workstation), an EMRCluster (Spark/Hadoop) or an HPCCluster (Slurm).
   */
  kind: "Machine" | "Docker" | "Pool" | "VirtualLab" | "EMRCluster" | "HPCCluster";
  metadata: Metadata;
  cloud: Cloud;
  access?: Access;
  lifecycle?: Lifecycle;
  /**
   * What to launch; its shape depends on `kind`.
   */
  spec: {};
};
/**
 * Where the formation runs.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "cloud".
 */
export type Cloud = Cloud1;
/**
 * Extra inbound TCP ports opened to `access.allowFrom` (SSH 22 is always open to it).
 *
 * @maxItems 64
 */
export type Ports = number[];
/**
 * Extra inbound TCP ports opened to `access.allowFrom` (SSH 22 is always open to it).
 *
 * @maxItems 64
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "ports".
 */
export type Ports1 = number[];
/**
 * Extra inbound TCP ports opened to `access.allowFrom` (SSH 22 is always open to it).
 *
 * @maxItems 64
 */
export type Ports2 = number[];

/**
 * Name, description and labels of the formation.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "metadata".
 */
export interface Metadata {
  /**
   * Name of the formation: lower-case letters, digits and dashes, starting with a letter, at most 40 characters. Sessions launched from it are named after it.
   */
  name: string;
  /**
   * A sentence saying what this formation is for.
   */
  description?: string;
  labels?: Labels;
}
/**
 * Key/value labels that become cloud tags (AWS, Azure, OpenStack), labels (GCP) or container labels (Docker) on every resource. Keys start with a letter; keys and values use letters, digits and `_ . : = + @ -`; at most 63 characters each (lower case only on gcp). Keys starting with `formations` are reserved.
 */
export interface Labels {
  [k: string]: string | undefined;
}
export interface Cloud1 {
  /**
   * The cloud or engine: aws, azure, gcp, openstack, ovh (OVHcloud Public Cloud) or docker.
   */
  provider: "aws" | "azure" | "gcp" | "openstack" | "ovh" | "docker";
  /**
   * Region (AWS, GCP, OpenStack, OVHcloud) or location (Azure), e.g. `eu-west-1`, `westeurope`, `europe-west1`, `RegionOne`, `GRA11`. Required for every provider but docker. No default.
   */
  region?: string;
  /**
   * Availability zone, e.g. `eu-west-1a` or `europe-west1-b`. Default: chosen by the cloud.
   */
  zone?: string;
  /**
   * GCP project id (gcp only, required there). No default.
   */
  project?: string;
  /**
   * Docker engine to use (docker only), e.g. `unix:///var/run/docker.sock`, `ssh://user@host` or `tcp://host:2376`. Default: the local engine (DOCKER_HOST, else /var/run/docker.sock).
   */
  host?: string;
  /**
   * What a container costs on this Docker engine (docker only), for `formations cost`, budgets (`lifecycle.budget`) and reports: a shared host's chargeback, per CPU and per GiB of memory of each container's limits (its size), per hour. Default: nothing (a Docker engine sends no bill).
   */
  pricing?: {
    /**
     * US dollars per CPU of a container's limit, per hour (0 to 100). Default: 0.
     */
    cpuHourUsd?: number;
    /**
     * US dollars per GiB of a container's memory limit, per hour (0 to 100). Default: 0.
     */
    memoryGbHourUsd?: number;
  };
  /**
   * Use an existing network instead of creating one per session (clouds only). Default: a network is created for each session.
   */
  network?: {
    /**
     * Network id: AWS VPC id, Azure VNet resource id, GCP network name, OpenStack network id (on OVHcloud: the OpenStack id of a private network in the region).
     */
    id: string;
    /**
     * Subnet id or name within that network. Default: one is created.
     */
    subnet?: string;
  };
}
/**
 * Who may reach the machines. Nothing is open to the internet unless `allowFrom` says so.
 */
export interface Access {
  /**
   * OpenSSH public keys installed for the default user on every Linux machine.
   *
   * @maxItems 32
   */
  sshPublicKeys?: string[];
  /**
   * CIDR ranges allowed to reach the machines' entry points (SSH, RDP, the gateway, extra ports), e.g. `203.0.113.0/24`. Default: none, so nothing is open to the internet.
   *
   * @maxItems 64
   */
  allowFrom?: string[];
}
/**
 * How machines stop, and what happens when spot capacity is reclaimed.
 */
export interface Lifecycle {
  /**
   * Stop machines that have been idle (no SSH/RDP/gateway session, no running job, low CPU) for this long. Default: machines are not stopped automatically.
   */
  autoStop?: {
    /**
     * Minutes of idleness before a machine is stopped (5 to 10080, one week).
     */
    idleMinutes: number;
  };
  /**
   * What happens to a spot machine when the cloud reclaims its capacity: stop (disk kept), hibernate (memory kept too) or terminate.
   */
  spotInterruption?: "stop" | "hibernate" | "terminate";
  /**
   * A spending limit for the session, checked by `formations enforce`: when the session's accrued cost reaches `usd`, the action is taken. Default: no budget.
   */
  budget?: {
    /**
     * Budget in US dollars for the life of the session (0.01 to 1000000).
     */
    usd: number;
    /**
     * What to do when the budget is reached: notify (log and report only), stop or hibernate every machine of the session.
     */
    action?: "notify" | "stop" | "hibernate";
  };
}
/**
 * Key/value labels that become cloud tags (AWS, Azure, OpenStack), labels (GCP) or container labels (Docker) on every resource. Keys start with a letter; keys and values use letters, digits and `_ . : = + @ -`; at most 63 characters each (lower case only on gcp). Keys starting with `formations` are reserved.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "labels".
 */
export interface Labels1 {
  [k: string]: string | undefined;
}
/**
 * Who may reach the machines. Nothing is open to the internet unless `allowFrom` says so.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "access".
 */
export interface Access1 {
  /**
   * OpenSSH public keys installed for the default user on every Linux machine.
   *
   * @maxItems 32
   */
  sshPublicKeys?: string[];
  /**
   * CIDR ranges allowed to reach the machines' entry points (SSH, RDP, the gateway, extra ports), e.g. `203.0.113.0/24`. Default: none, so nothing is open to the internet.
   *
   * @maxItems 64
   */
  allowFrom?: string[];
}
/**
 * How machines stop, and what happens when spot capacity is reclaimed.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "lifecycle".
 */
export interface Lifecycle1 {
  /**
   * Stop machines that have been idle (no SSH/RDP/gateway session, no running job, low CPU) for this long. Default: machines are not stopped automatically.
   */
  autoStop?: {
    /**
     * Minutes of idleness before a machine is stopped (5 to 10080, one week).
     */
    idleMinutes: number;
  };
  /**
   * What happens to a spot machine when the cloud reclaims its capacity: stop (disk kept), hibernate (memory kept too) or terminate.
   */
  spotInterruption?: "stop" | "hibernate" | "terminate";
  /**
   * A spending limit for the session, checked by `formations enforce`: when the session's accrued cost reaches `usd`, the action is taken. Default: no budget.
   */
  budget?: {
    /**
     * Budget in US dollars for the life of the session (0.01 to 1000000).
     */
    usd: number;
    /**
     * What to do when the budget is reached: notify (log and report only), stop or hibernate every machine of the session.
     */
    action?: "notify" | "stop" | "hibernate";
  };
}
/**
 * GPUs attached to the machine. Default: none.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "gpus".
 */
export interface Gpus {
  /**
   * Number of GPUs (1 to 16).
   */
  count?: number;
  /**
   * GPU model.
   */
  type?: "nvidia-t4" | "nvidia-l4" | "nvidia-a10g" | "nvidia-v100" | "nvidia-a100" | "nvidia-a100-80gb" | "nvidia-h100";
}
/**
 * One machine (cloud instance or, on docker, a long-running container): its size, image, disk and capacity type.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "machine".
 */
export interface MachineBlock {
  /**
   * Portable size, mapped to an instance type per provider. Use either `size` or `instanceType`; default: small.
   */
  size?: "small" | "medium" | "large" | "xlarge" | "2xlarge";
  /**
   * Provider-specific instance type instead of `size`, e.g. `c6i.4xlarge` (aws), `Standard_D4s_v5` (azure), `n2-standard-8` (gcp), `m1.large` (openstack), `4cpu-8g` (docker). No default: `size` is used when it is absent.
   */
  instanceType?: string;
  /**
   * Image alias (ubuntu-22.04, ubuntu-24.04, debian-12, rocky-9, windows-2022) or a provider image id (AMI id, Azure image URN or id, GCP image path, Glance image id or name, Docker image reference).
   */
  image?: string;
  /**
   * Root disk size in GB (8 to 16384).
   */
  diskGb?: number;
  /**
   * Use spot / preemptible capacity (cheaper, may be reclaimed; see lifecycle.spotInterruption). Refused on the docker provider, which has no spot capacity.
   */
  spot?: boolean;
  gpus?: Gpus;
}
/**
 * Spec of a Machine: one machine.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "machineSpec".
 */
export interface MachineSpec {
  machine: MachineBlock;
  ports?: Ports;
}
/**
 * The container to run.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "container".
 */
export interface Container {
  /**
   * Docker image reference, e.g. `jupyter/scipy-notebook:2024-05-27` or `ghcr.io/org/app@sha256:...`.
   */
  image: string;
  /**
   * Command and arguments, replacing the image's default command.
   *
   * @maxItems 256
   */
  command?: string[];
  /**
   * Environment variables. Do not put secrets here: they are stored in the formation, in git.
   */
  env?: {
    [k: string]: string | undefined;
  };
  /**
   * Published ports. On a cloud host they are opened to `access.allowFrom` only.
   *
   * @maxItems 64
   */
  ports?: {
    /**
     * Port inside the container.
     */
    container: number;
    /**
     * Port on the host. Default: the same as `container`.
     */
    host?: number;
    /**
     * tcp or udp.
     */
    protocol?: "tcp" | "udp";
  }[];
  /**
   * Volumes mounted into the container: a named volume (kept by the session) or a path on the host.
   *
   * @maxItems 64
   */
  volumes?: ({
    [k: string]: unknown | undefined;
  } & {
    /**
     * Named volume, created with the session. Use either `name` or `hostPath`.
     */
    name?: string;
    /**
     * Absolute path on the host. Use either `name` or `hostPath`.
     */
    hostPath?: string;
    /**
     * Absolute path inside the container.
     */
    mountPath: string;
    /**
     * Mount read-only.
     */
    readOnly?: boolean;
  })[];
  /**
   * CPU limit in cores (0.1 to 64). Default: no limit.
   */
  cpus?: number;
  /**
   * Memory limit in MiB (64 to 524288). Default: no limit.
   */
  memoryMb?: number;
}
/**
 * Spec of a Docker formation: one container, on the docker provider directly, inside a VM (`host`) on a cloud, or on AWS ECS (`ecs`).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "dockerSpec".
 */
export interface DockerSpec {
  container: Container;
  host?: MachineBlock1;
  ecs?: Ecs;
}
/**
 * One machine (cloud instance or, on docker, a long-running container): its size, image, disk and capacity type.
 */
export interface MachineBlock1 {
  /**
   * Portable size, mapped to an instance type per provider. Use either `size` or `instanceType`; default: small.
   */
  size?: "small" | "medium" | "large" | "xlarge" | "2xlarge";
  /**
   * Provider-specific instance type instead of `size`, e.g. `c6i.4xlarge` (aws), `Standard_D4s_v5` (azure), `n2-standard-8` (gcp), `m1.large` (openstack), `4cpu-8g` (docker). No default: `size` is used when it is absent.
   */
  instanceType?: string;
  /**
   * Image alias (ubuntu-22.04, ubuntu-24.04, debian-12, rocky-9, windows-2022) or a provider image id (AMI id, Azure image URN or id, GCP image path, Glance image id or name, Docker image reference).
   */
  image?: string;
  /**
   * Root disk size in GB (8 to 16384).
   */
  diskGb?: number;
  /**
   * Use spot / preemptible capacity (cheaper, may be reclaimed; see lifecycle.spotInterruption). Refused on the docker provider, which has no spot capacity.
   */
  spot?: boolean;
  gpus?: Gpus;
}
/**
 * aws only: run the container as an Amazon ECS service instead of on a host VM. Stop and start scale the service to 0 and back; the cost is Fargate vCPU-hours and GB-hours (FARGATE) or the container instance (EC2). Default: absent (a host VM runs the container).
 */
export interface Ecs {
  /**
   * FARGATE: serverless, billed per vCPU and GB of memory (container.cpus and memoryMb, rounded up to a Fargate task size; default 1 vCPU, 2048 MB). EC2: an ECS cluster of one container instance (`host`), scaled in with the service.
   */
  launchType: "FARGATE" | "EC2";
}
/**
 * Spec of a Pool: `count` identical machines, each managed on its own.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "poolSpec".
 */
export interface PoolSpec {
  /**
   * Number of machines (1 to 1000).
   */
  count: number;
  machine: MachineBlock;
  ports?: Ports2;
}
/**
 * The proxy (browser gateway / entry point). Its machine defaults to a small Linux machine.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "proxy".
 */
export interface Proxy {
  machine?: MachineBlock2;
}
/**
 * One machine (cloud instance or, on docker, a long-running container): its size, image, disk and capacity type.
 */
export interface MachineBlock2 {
  /**
   * Portable size, mapped to an instance type per provider. Use either `size` or `instanceType`; default: small.
   */
  size?: "small" | "medium" | "large" | "xlarge" | "2xlarge";
  /**
   * Provider-specific instance type instead of `size`, e.g. `c6i.4xlarge` (aws), `Standard_D4s_v5` (azure), `n2-standard-8` (gcp), `m1.large` (openstack), `4cpu-8g` (docker). No default: `size` is used when it is absent.
   */
  instanceType?: string;
  /**
   * Image alias (ubuntu-22.04, ubuntu-24.04, debian-12, rocky-9, windows-2022) or a provider image id (AMI id, Azure image URN or id, GCP image path, Glance image id or name, Docker image reference).
   */
  image?: string;
  /**
   * Root disk size in GB (8 to 16384).
   */
  diskGb?: number;
  /**
   * Use spot / preemptible capacity (cheaper, may be reclaimed; see lifecycle.spotInterruption). Refused on the docker provider, which has no spot capacity.
   */
  spot?: boolean;
  gpus?: Gpus;
}
/**
 * Spec of a VirtualLab: a proxy running a browser gateway (Apache Guacamole) and a target workstation reachable only through it.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "virtualLabSpec".
 */
export interface VirtualLabSpec {
  /**
   * The workstation users reach through the gateway.
   */
  target: {
    machine: MachineBlock;
    /**
     * How the gateway reaches the target: rdp (desktop), vnc (desktop) or ssh (terminal).
     */
    protocol: "rdp" | "vnc" | "ssh";
  };
  proxy?: Proxy1;
}
/**
 * The proxy (browser gateway / entry point). Its machine defaults to a small Linux machine.
 */
export interface Proxy1 {
  machine?: MachineBlock2;
}
/**
 * Spec of an EMRCluster: proxy + master + workers running Spark/Hadoop (EMR, Dataproc, HDInsight where available, self-managed elsewhere).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "emrClusterSpec".
 */
export interface EMRClusterSpec {
  /**
   * Use the provider's managed big-data service where it has one (EMR on aws, Dataproc on gcp, HDInsight on azure). Its master and workers are run by the service: Dataproc clusters can be stopped and started as a whole, EMR and HDInsight clusters cannot (they are billed while they exist). `false` installs Spark on machines of the session instead, each machine then started, stopped and hibernated on its own, as on openstack and docker (where Spark always runs on machines).
   */
  managed?: boolean;
  /**
   * Managed-service release, e.g. `emr-7.2.0` (aws), `2.2-debian12` (gcp), `5.1` (azure HDInsight). Default: the provider's current release.
   */
  release?: string;
  /**
   * Applications installed on the cluster.
   *
   * @minItems 1
   * @maxItems 5
   */
  applications?:
    | ["spark" | "hadoop" | "hive" | "jupyter" | "presto"]
    | ["spark" | "hadoop" | "hive" | "jupyter" | "presto", "spark" | "hadoop" | "hive" | "jupyter" | "presto"]
    | [
        "spark" | "hadoop" | "hive" | "jupyter" | "presto",
        "spark" | "hadoop" | "hive" | "jupyter" | "presto",
        "spark" | "hadoop" | "hive" | "jupyter" | "presto"
      ]
    | [
        "spark" | "hadoop" | "hive" | "jupyter" | "presto",
        "spark" | "hadoop" | "hive" | "jupyter" | "presto",
        "spark" | "hadoop" | "hive" | "jupyter" | "presto",
        "spark" | "hadoop" | "hive" | "jupyter" | "presto"
      ]
    | [
        "spark" | "hadoop" | "hive" | "jupyter" | "presto",
        "spark" | "hadoop" | "hive" | "jupyter" | "presto",
        "spark" | "hadoop" | "hive" | "jupyter" | "presto",
        "spark" | "hadoop" | "hive" | "jupyter" | "presto",
        "spark" | "hadoop" | "hive" | "jupyter" | "presto"
      ];
  /**
   * The master node.
   */
  master: {
    machine: MachineBlock;
  };
  /**
   * The worker nodes.
   */
  workers: {
    /**
     * Number of workers (1 to 500).
     */
    count: number;
    machine: MachineBlock;
  };
  proxy?: Proxy2;
}
/**
 * The proxy (browser gateway / entry point). Its machine defaults to a small Linux machine.
 */
export interface Proxy2 {
  machine?: MachineBlock2;
}
/**
 * Spec of an HPCCluster: a Slurm head node, compute nodes and a shared file system mounted on all of them.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "hpcClusterSpec".
 */
export interface HPCClusterSpec {
  /**
   * The batch scheduler. Only slurm for now.
   */
  scheduler?: "slurm";
  /**
   * The head node (slurmctld, login, NFS server where the cloud has no managed file system).
   */
  headNode: {
    machine: MachineBlock;
  };
  /**
   * The compute nodes (slurmd).
   */
  computeNodes: {
    /**
     * Number of compute nodes (1 to 1000).
     */
    count: number;
    machine: MachineBlock;
  };
  /**
   * The shared file system mounted on every node.
   */
  sharedStorage?: {
    /**
     * Size in GB (1 to 65536); managed services may round up to their minimum.
     */
    sizeGb?: number;
    /**
     * Where it is mounted on every node.
     */
    mountPath?: string;
  };
}
