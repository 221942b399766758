/**
 * One table per provider: portable sizes and GPU choices mapped to instance types, image aliases
 * mapped to images, and the prices used for estimates and the cost ledger. Keep the source and
 * date of the prices next to them: an estimate is only as good as its catalog.
 */
import type { Os, ResolvedImage } from "./types.js";

export type Size = "small" | "medium" | "large" | "xlarge" | "2xlarge";
export type ImageAlias = "ubuntu-22.04" | "ubuntu-24.04" | "debian-12" | "rocky-9" | "windows-2022";

export interface InstancePrice {
  /** On-demand USD per hour (Linux). */
  usd: number;
  vcpus: number;
  memoryGb: number;
  /** Windows licence surcharge per hour, where the cloud bills it separately. */
  windowsUsd?: number;
}

export interface ProviderCatalog {
  provider: string;
  /** Where the prices come from, and when they were read. */
  source: string;
  sizes: Record<Size, string>;
  /** GPU type → instance type for 1, 2, 4 or 8 GPUs (the smallest that fits is chosen). */
  gpus: Partial<Record<string, Partial<Record<1 | 2 | 4 | 8, string>>>>;
  images: Record<ImageAlias, Omit<ResolvedImage, "alias">>;
  instances: Record<string, InstancePrice>;
  /** Price for an instance type the table does not list (a custom flavor, a new family). */
  unknownInstanceUsd: number;
  /** Price of an instance type the table does not list, from its shape (Docker's `<cpus>cpu-<memory>` under `cloud.pricing`); before `unknownInstanceUsd`. */
  priceOf?: (instanceType: string) => number | undefined;
  /** Root disk, USD per GB-month. */
  diskGbMonthUsd: number;
  /** A machine image's storage (snapshots of its disks), USD per GB-month: the image catalog's monthly cost. */
  imageGbMonthUsd: number;
  /** Spot price as a fraction of on-demand (a long-run average; the ledger uses the real one). */
  spotFactor: number;
  /** Managed shared file system, USD per GB-month (EFS, Azure Files, Filestore, Manila). */
  sharedStorageGbMonthUsd: number;
  /** Minimum size the managed file system bills (Filestore bills 1 TiB at least). */
  sharedStorageMinGb?: number;
  /** Managed big-data surcharge per node-hour (EMR, Dataproc per vCPU is folded in here per node). */
  bigDataNodeUsd: number;
  /** Whether the provider has a managed big-data service and a managed file service. */
  managedBigData: boolean;
  managedStorage: boolean;
  /** Whether instances can hibernate at all on this provider. */
  hibernation: boolean;
  /**
   * The cloud's documented hibernation rules (families, memory, disk): why this machine cannot be
   * launched with hibernation, naming the rule that refuses it; undefined when it can. Only
   * asked where `hibernation` is true, of Linux machines (formations enables it on Linux only).
   */
  hibernationRule?(m: HibernationSubject): string | undefined;
  /** vCPUs and memory of an instance type the table does not list, where its name tells them (EC2's `m5.8xlarge`). */
  shapeOf?(instanceType: string): { vcpus: number; memoryGb: number } | undefined;
  /**
   * Hourly price of the egress gateway a session network needs for machines without a public
   * address (NAT gateway + its address), where the adapter creates one.
   */
  privateEgressUsd?: number;
}

/** What the hibernation rules read of a machine. */
export interface HibernationSubject {
  instanceType: string;
  /** GiB, when the catalog knows the instance type (or its name tells it). */
  memoryGb?: number;
  /** The root disk the formation asked for. */
  diskGb: number;
  gpus: boolean;
  spot: boolean;
}

/** The instance type's vCPUs and memory: the table's row, else what its name tells. */
export function shapeOf(catalog: ProviderCatalog, instanceType: string): { vcpus: number; memoryGb: number } | undefined {
  const row = catalog.instances[instanceType];
  return row ? { vcpus: row.vcpus, memoryGb: row.memoryGb } : catalog.shapeOf?.(instanceType);
}

export const HOURS_PER_MONTH = 730;

export function osOf(alias: string): Os {
  return alias.startsWith("windows") ? "windows" : "linux";
}
