import type { ProviderCatalog } from "../../plan/catalog.js";

/**
 * OVHcloud Public Cloud: its regions and its own flavors, with their hourly list prices.
 *
 * Prices: OVHcloud's public order catalog (api.ovh.com/v1/order/catalog/public/cloud, subsidiary
 * DE) as published in MoveInfra's EU cloud price dataset (prices/ovh.json, fetched 2026-08-14),
 * EUR per hour without VAT, converted at 1.1133 USD per EUR (the ECB rate clouds/openstack uses).
 * The t1 flavors (NVIDIA V100 16 GB) are listed by OVHcloud but carry no price in the dataset:
 * they are priced at the t2-le flavor with the same GPU count (V100S 32 GB, the newer card), so
 * their estimate errs high, never low. Block storage: the classic volume, EUR 0.0482 per GB-month;
 * File Storage (the managed NFS share): EUR 0.12 per GB-month is an assumption to replace with
 * your subsidiary's price (the dataset does not carry it).
 *
 * No spot market (spotFactor 1) and no hibernation (`hibernate` shelves, as on any OpenStack);
 * no managed Spark (EMRCluster runs Spark on instances). Managed storage: Public Cloud File
 * Storage (NFS shares in the session's private network), made through OVHcloud's own API.
 */
export const EUR = 1.1133;
const usd = (eurPerHour: number) => Math.round(eurPerHour * EUR * 1e6) / 1e6;

/**
 * Public Cloud regions where instances run (OVHcloud's region codes, as OpenStack's region names).
 * A region outside this list is refused at validation, with this list in the hint.
 */
export const OVH_REGIONS = [
  "GRA7",
  "GRA9",
  "GRA11",
  "SBG5",
  "SBG7",
  "BHS5",
  "DE1",
  "UK1",
  "WAW1",
  "EU-WEST-PAR",
  "EU-SOUTH-MIL",
  "CA-EAST-TOR",
  "AP-SOUTHEAST-SYD1",
  "AP-SOUTH-MUM1",
  "AP-SOUTHEAST-SGP1",
  "US-EAST-VA-1",
  "US-WEST-OR-1",
] as const;

export const ovh: ProviderCatalog = {
  provider: "ovh",
  source:
    "OVHcloud Public Cloud order catalog (subsidiary DE) via MoveInfra eu-cloud-prices prices/ovh.json, fetched 2026-08-14, EUR/hour at 1.1133 USD; t1 (V100) at the t2-le (V100S) price of the same GPU count; classic volumes EUR 0.0482/GB-month; File Storage EUR 0.12/GB-month assumed",
  sizes: { small: "b2-7", medium: "b2-15", large: "b2-30", xlarge: "b2-60", "2xlarge": "b2-120" },
  gpus: {
    "nvidia-v100": { 1: "t1-45", 2: "t1-90", 4: "t1-180" },
  },
  // The Glance image names OVHcloud publishes in every region.
  images: {
    "ubuntu-22.04": { id: "Ubuntu 22.04", os: "linux" },
    "ubuntu-24.04": { id: "Ubuntu 24.04", os: "linux" },
    "debian-12": { id: "Debian 12", os: "linux" },
    "rocky-9": { id: "Rocky Linux 9", os: "linux" },
    "windows-2022": { id: "Windows Server 2022 Standard (Desktop)", os: "windows" },
  },
  instances: {
    "d2-2": { usd: usd(0.0104), vcpus: 1, memoryGb: 2 },
    "d2-4": { usd: usd(0.0206), vcpus: 2, memoryGb: 4 },
    "d2-8": { usd: usd(0.0372), vcpus: 4, memoryGb: 8 },
    "b2-7": { usd: usd(0.0709), vcpus: 2, memoryGb: 7 },
    "b2-15": { usd: usd(0.1342), vcpus: 4, memoryGb: 15 },
    "b2-30": { usd: usd(0.2715), vcpus: 8, memoryGb: 30 },
    "b2-60": { usd: usd(0.526), vcpus: 16, memoryGb: 60 },
    "b2-120": { usd: usd(1.033), vcpus: 32, memoryGb: 120 },
    "b3-8": { usd: usd(0.0512), vcpus: 2, memoryGb: 8 },
    "b3-16": { usd: usd(0.1023), vcpus: 4, memoryGb: 16 },
    "b3-32": { usd: usd(0.2046), vcpus: 8, memoryGb: 32 },
    "b3-64": { usd: usd(0.4092), vcpus: 16, memoryGb: 64 },
    "c2-7": { usd: usd(0.1018), vcpus: 2, memoryGb: 7 },
    "c2-15": { usd: usd(0.1976), vcpus: 4, memoryGb: 15 },
    "c2-30": { usd: usd(0.3984), vcpus: 8, memoryGb: 30 },
    "c2-60": { usd: usd(0.779), vcpus: 16, memoryGb: 60 },
    "c2-120": { usd: usd(1.54), vcpus: 32, memoryGb: 120 },
    "c3-8": { usd: usd(0.0913), vcpus: 4, memoryGb: 8 },
    "c3-16": { usd: usd(0.1825), vcpus: 8, memoryGb: 16 },
    "c3-32": { usd: usd(0.365), vcpus: 16, memoryGb: 32 },
    "c3-64": { usd: usd(0.7301), vcpus: 32, memoryGb: 64 },
    "r2-15": { usd: usd(0.1018), vcpus: 2, memoryGb: 15 },
    "r2-30": { usd: usd(0.1176), vcpus: 2, memoryGb: 30 },
    "r2-60": { usd: usd(0.2288), vcpus: 4, memoryGb: 60 },
    "r2-120": { usd: usd(0.461), vcpus: 8, memoryGb: 120 },
    "r2-240": { usd: usd(0.906), vcpus: 16, memoryGb: 240 },
    "t1-45": { usd: usd(0.8), vcpus: 8, memoryGb: 45 },
    "t1-90": { usd: usd(1.6), vcpus: 18, memoryGb: 90 },
    "t1-180": { usd: usd(3.2), vcpus: 36, memoryGb: 180 },
    "t2-le-45": { usd: usd(0.8), vcpus: 15, memoryGb: 45 },
    "t2-le-90": { usd: usd(1.6), vcpus: 30, memoryGb: 90 },
    "t2-le-180": { usd: usd(3.2), vcpus: 60, memoryGb: 180 },
  },
  // A flavor the table lacks: priced as b2-15 (4 vCPUs), the middle of the general range.
  unknownInstanceUsd: usd(0.1342),
  diskGbMonthUsd: usd(0.0482),
  // Instance snapshots and backups are kept in object storage: about EUR 0.01 per GB-month (an assumption, like the share price).
  imageGbMonthUsd: usd(0.01),
  spotFactor: 1,
  sharedStorageGbMonthUsd: usd(0.12),
  // File Storage shares start at 150 GB.
  sharedStorageMinGb: 150,
  bigDataNodeUsd: 0,
  managedBigData: false,
  managedStorage: true,
  hibernation: false,
};
