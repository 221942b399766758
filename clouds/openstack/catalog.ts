import type { ProviderCatalog } from "../../plan/catalog.js";

/**
 * OpenStack: every cloud prices its own flavors, so this table is a stand-in that operators should
 * replace with their own price list (and their own flavor names, where they differ).
 *
 * Prices are the list prices of OVHcloud Public Cloud, a European OpenStack cloud, as published in
 * MoveInfra's EU cloud price dataset (moveinfra/eu-cloud-prices, generated 2026-10-28, EUR per
 * 730-hour month without VAT, converted at the ECB rate of that day, 1.1133 USD per EUR):
 * b3-8 (2 vCPU, 8 GB) EUR 37.38, b3-16 EUR 74.68, b3-32 EUR 149.36 a month. b3-64 is not in the
 * dataset: the b3 range doubles with size, so it is twice b3-32.
 *
 * The classic OpenStack `m1.*` flavors the sizes map to (m1.small 1 vCPU/2 GB ... m1.xlarge 8/16,
 * plus the common operator extension m1.2xlarge 16/32) are priced at the b3 price per vCPU. b3
 * has twice the memory per vCPU, so an m1 estimate errs high, never low.
 *
 * GPU flavors have no common names on OpenStack; the `gpu.<type>.<count>` flavors below are
 * placeholders an operator renames, priced at this repository's AWS list price for the same GPUs
 * (aws.ts; no OpenStack GPU list price was at hand). Root volumes: USD 0.08 per GB-month, the
 * Cinder volume line of a public OpenStack rate card (monal.cloud, snapshot 2026-04-22).
 *
 * No spot market, no hibernation (`hibernate` shelves instead, see clouds/openstack), no
 * managed big-data service (Spark runs on instances, no surcharge) and no managed file service
 * assumed (Manila is not everywhere: HPC shares NFS from the head node, whose disk is the cost).
 */
const EUR = 1.1133;
const hourly = (eurPerMonth: number) => Math.round(((eurPerMonth * EUR) / 730) * 1e6) / 1e6;
/** OVHcloud b3 list price per vCPU-hour, USD. */
const PER_VCPU = hourly(37.38 / 2);

export const openstack: ProviderCatalog = {
  provider: "openstack",
  source:
    "OVHcloud Public Cloud (OpenStack) b3 list prices via MoveInfra eu-cloud-prices, generated 2026-10-28 (EUR at 1.1133 USD), m1 flavors at the b3 price per vCPU; volumes USD 0.08/GB-month (monal.cloud rate card, 2026-04-22). OpenStack clouds price per deployment: operators should replace these with their own.",
  sizes: { small: "m1.small", medium: "m1.medium", large: "m1.large", xlarge: "m1.xlarge", "2xlarge": "m1.2xlarge" },
  gpus: {
    "nvidia-t4": { 1: "gpu.t4.1", 4: "gpu.t4.4" },
    "nvidia-l4": { 1: "gpu.l4.1", 4: "gpu.l4.4" },
    "nvidia-v100": { 1: "gpu.v100.1", 4: "gpu.v100.4" },
    "nvidia-a100": { 8: "gpu.a100.8" },
  },
  // Glance image names as public OpenStack clouds (OVHcloud among them) publish them; a formation
  // may name any other image by its Glance name or UUID instead of an alias.
  images: {
    "ubuntu-22.04": { id: "Ubuntu 22.04", os: "linux" },
    "ubuntu-24.04": { id: "Ubuntu 24.04", os: "linux" },
    "debian-12": { id: "Debian 12", os: "linux" },
    "rocky-9": { id: "Rocky Linux 9", os: "linux" },
    "windows-2022": { id: "Windows Server 2022 Standard", os: "windows" },
  },
  instances: {
    "m1.tiny": { usd: PER_VCPU, vcpus: 1, memoryGb: 0.5 },
    "m1.small": { usd: PER_VCPU, vcpus: 1, memoryGb: 2 },
    "m1.medium": { usd: PER_VCPU * 2, vcpus: 2, memoryGb: 4 },
    "m1.large": { usd: PER_VCPU * 4, vcpus: 4, memoryGb: 8 },
    "m1.xlarge": { usd: PER_VCPU * 8, vcpus: 8, memoryGb: 16 },
    "m1.2xlarge": { usd: PER_VCPU * 16, vcpus: 16, memoryGb: 32 },
    "b3-8": { usd: hourly(37.38), vcpus: 2, memoryGb: 8 },
    "b3-16": { usd: hourly(74.68), vcpus: 4, memoryGb: 16 },
    "b3-32": { usd: hourly(149.36), vcpus: 8, memoryGb: 32 },
    "b3-64": { usd: hourly(298.72), vcpus: 16, memoryGb: 64 },
    // Placeholders at the AWS catalog's price for the same GPUs (g4dn, g6, p3, p4d).
    "gpu.t4.1": { usd: 0.587, vcpus: 4, memoryGb: 16 },
    "gpu.t4.4": { usd: 4.354, vcpus: 48, memoryGb: 192 },
    "gpu.l4.1": { usd: 0.892, vcpus: 4, memoryGb: 16 },
    "gpu.l4.4": { usd: 5.04, vcpus: 48, memoryGb: 192 },
    "gpu.v100.1": { usd: 3.305, vcpus: 8, memoryGb: 61 },
    "gpu.v100.4": { usd: 13.22, vcpus: 32, memoryGb: 244 },
    "gpu.a100.8": { usd: 35.39, vcpus: 96, memoryGb: 1152 },
  },
  // A custom flavor of 4 vCPUs at the b3 rate.
  unknownInstanceUsd: PER_VCPU * 4,
  diskGbMonthUsd: 0.08,
  // Glance image storage (object storage; varies by cloud)
  imageGbMonthUsd: 0.05,
  // No spot market: spot machines run (and are priced) on demand; the adapter notes it.
  spotFactor: 1,
  sharedStorageGbMonthUsd: 0,
  bigDataNodeUsd: 0,
  managedBigData: false,
  managedStorage: false,
  hibernation: false,
};
