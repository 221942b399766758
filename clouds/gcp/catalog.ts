import type { ProviderCatalog } from "../../plan/catalog.js";
import { gceSuspension } from "./hibernation.js";

/**
 * Machine types that carry GPUs on N1 (the only family where GPUs are attached separately) are
 * written `<machine type>+<count>x<accelerator>`: one string prices the pair and tells the
 * adapter what to attach (clouds/gcp/emit/shapes.ts parses it). Accelerator-optimized families
 * (G2, A2, A3) come with their GPUs and need no suffix.
 */
const n1Gpu = (machineType: string, count: number, accelerator: string) => `${machineType}+${count}x${accelerator}`;

/** Windows Server licence, billed per vCPU-hour on GCE (shared-core E2 types are billed less: an upper bound there). */
const WINDOWS_PER_VCPU = 0.046;
const win = (vcpus: number) => Math.round(vcpus * WINDOWS_PER_VCPU * 1e6) / 1e6;

/**
 * Google Cloud, europe-west1 (Belgium) list prices in USD; GPU machine types at europe-west4
 * (Netherlands) prices, where Google offers most of them. N1 GPU rows are the machine type plus
 * the GPUs' own hourly price. Which types GCE can suspend is
 * derived from its rules (clouds/gcp/hibernation.ts).
 */
export const gcp: ProviderCatalog = {
  provider: "gcp",
  source:
    "Google Cloud Compute Engine (on demand, pd-balanced), Filestore Basic HDD and Dataproc list prices, europe-west1 (GPU types europe-west4), as published at cloud.google.com/compute/vm-instance-pricing, /filestore/pricing and /dataproc/pricing; read 2026-11-25",
  sizes: { small: "e2-medium", medium: "n2-standard-2", large: "n2-standard-4", xlarge: "n2-standard-8", "2xlarge": "n2-standard-16" },
  gpus: {
    "nvidia-t4": {
      1: n1Gpu("n1-standard-4", 1, "nvidia-tesla-t4"),
      2: n1Gpu("n1-standard-8", 2, "nvidia-tesla-t4"),
      4: n1Gpu("n1-standard-16", 4, "nvidia-tesla-t4"),
    },
    "nvidia-v100": {
      1: n1Gpu("n1-standard-8", 1, "nvidia-tesla-v100"),
      2: n1Gpu("n1-standard-16", 2, "nvidia-tesla-v100"),
      4: n1Gpu("n1-standard-32", 4, "nvidia-tesla-v100"),
      8: n1Gpu("n1-standard-64", 8, "nvidia-tesla-v100"),
    },
    "nvidia-l4": { 1: "g2-standard-4", 2: "g2-standard-24", 4: "g2-standard-48", 8: "g2-standard-96" },
    "nvidia-a100": { 1: "a2-highgpu-1g", 2: "a2-highgpu-2g", 4: "a2-highgpu-4g", 8: "a2-highgpu-8g" },
    "nvidia-a100-80gb": { 1: "a2-ultragpu-1g", 2: "a2-ultragpu-2g", 4: "a2-ultragpu-4g", 8: "a2-ultragpu-8g" },
    "nvidia-h100": { 8: "a3-highgpu-8g" },
  },
  // Image families (`project/family`): GCE resolves a family to its newest image at creation.
  images: {
    "ubuntu-22.04": { id: "ubuntu-os-cloud/ubuntu-2204-lts", os: "linux" },
    "ubuntu-24.04": { id: "ubuntu-os-cloud/ubuntu-2404-lts-amd64", os: "linux" },
    "debian-12": { id: "debian-cloud/debian-12", os: "linux" },
    "rocky-9": { id: "rocky-linux-cloud/rocky-linux-9", os: "linux" },
    "windows-2022": { id: "windows-cloud/windows-2022", os: "windows" },
  },
  instances: {
    "e2-small": { usd: 0.018426, vcpus: 2, memoryGb: 2, windowsUsd: win(2) },
    "e2-medium": { usd: 0.036853, vcpus: 2, memoryGb: 4, windowsUsd: win(2) },
    "e2-standard-2": { usd: 0.073707, vcpus: 2, memoryGb: 8, windowsUsd: win(2) },
    "e2-standard-4": { usd: 0.147413, vcpus: 4, memoryGb: 16, windowsUsd: win(4) },
    "e2-standard-8": { usd: 0.294826, vcpus: 8, memoryGb: 32, windowsUsd: win(8) },
    "e2-standard-16": { usd: 0.589653, vcpus: 16, memoryGb: 64, windowsUsd: win(16) },
    "n2-standard-2": { usd: 0.10683, vcpus: 2, memoryGb: 8, windowsUsd: win(2) },
    "n2-standard-4": { usd: 0.213669, vcpus: 4, memoryGb: 16, windowsUsd: win(4) },
    "n2-standard-8": { usd: 0.427338, vcpus: 8, memoryGb: 32, windowsUsd: win(8) },
    "n2-standard-16": { usd: 0.854675, vcpus: 16, memoryGb: 64, windowsUsd: win(16) },
    "n2-standard-32": { usd: 1.70935, vcpus: 32, memoryGb: 128, windowsUsd: win(32) },
    "n2-highmem-4": { usd: 0.288231, vcpus: 4, memoryGb: 32, windowsUsd: win(4) },
    "n2-highmem-8": { usd: 0.576462, vcpus: 8, memoryGb: 64, windowsUsd: win(8) },
    "n2-highcpu-8": { usd: 0.315518, vcpus: 8, memoryGb: 8, windowsUsd: win(8) },
    "n2d-standard-4": { usd: 0.185926, vcpus: 4, memoryGb: 16, windowsUsd: win(4) },
    "c2-standard-4": { usd: 0.22968, vcpus: 4, memoryGb: 16 },
    "c2-standard-8": { usd: 0.45936, vcpus: 8, memoryGb: 32 },
    "c2-standard-16": { usd: 0.91872, vcpus: 16, memoryGb: 64 },
    "c2-standard-30": { usd: 1.7226, vcpus: 30, memoryGb: 120 },
    "c2-standard-60": { usd: 3.4452, vcpus: 60, memoryGb: 240 },
    "n1-standard-4": { usd: 0.209, vcpus: 4, memoryGb: 15 },
    "n1-standard-8": { usd: 0.418, vcpus: 8, memoryGb: 30 },
    // N1 + GPUs: T4 $0.35 and V100 $2.48 per GPU-hour on top of the machine type.
    [n1Gpu("n1-standard-4", 1, "nvidia-tesla-t4")]: { usd: 0.559, vcpus: 4, memoryGb: 15 },
    [n1Gpu("n1-standard-8", 2, "nvidia-tesla-t4")]: { usd: 1.118, vcpus: 8, memoryGb: 30 },
    [n1Gpu("n1-standard-16", 4, "nvidia-tesla-t4")]: { usd: 2.236, vcpus: 16, memoryGb: 60 },
    [n1Gpu("n1-standard-8", 1, "nvidia-tesla-v100")]: { usd: 2.898, vcpus: 8, memoryGb: 30 },
    [n1Gpu("n1-standard-16", 2, "nvidia-tesla-v100")]: { usd: 5.796, vcpus: 16, memoryGb: 60 },
    [n1Gpu("n1-standard-32", 4, "nvidia-tesla-v100")]: { usd: 11.592, vcpus: 32, memoryGb: 120 },
    [n1Gpu("n1-standard-64", 8, "nvidia-tesla-v100")]: { usd: 23.184, vcpus: 64, memoryGb: 240 },
    // Accelerator-optimized: the price includes the GPUs (L4, A100 40/80 GB, H100).
    "g2-standard-4": { usd: 0.777513, vcpus: 4, memoryGb: 16 },
    "g2-standard-8": { usd: 0.939169, vcpus: 8, memoryGb: 32 },
    "g2-standard-12": { usd: 1.100814, vcpus: 12, memoryGb: 48 },
    "g2-standard-16": { usd: 1.26247, vcpus: 16, memoryGb: 64 },
    "g2-standard-24": { usd: 2.201628, vcpus: 24, memoryGb: 96 },
    "g2-standard-32": { usd: 1.909083, vcpus: 32, memoryGb: 128 },
    "g2-standard-48": { usd: 4.403256, vcpus: 48, memoryGb: 192 },
    "g2-standard-96": { usd: 8.806512, vcpus: 96, memoryGb: 384 },
    "a2-highgpu-1g": { usd: 3.746853, vcpus: 12, memoryGb: 85 },
    "a2-highgpu-2g": { usd: 7.493706, vcpus: 24, memoryGb: 170 },
    "a2-highgpu-4g": { usd: 14.987412, vcpus: 48, memoryGb: 340 },
    "a2-highgpu-8g": { usd: 29.974824, vcpus: 96, memoryGb: 680 },
    "a2-ultragpu-1g": { usd: 5.57568, vcpus: 12, memoryGb: 170 },
    "a2-ultragpu-2g": { usd: 11.15136, vcpus: 24, memoryGb: 340 },
    "a2-ultragpu-4g": { usd: 22.30272, vcpus: 48, memoryGb: 680 },
    "a2-ultragpu-8g": { usd: 44.60544, vcpus: 96, memoryGb: 1360 },
    "a3-highgpu-8g": { usd: 97.07434, vcpus: 208, memoryGb: 1872 },
  },
  unknownInstanceUsd: 0.2,
  // pd-balanced boot disks.
  diskGbMonthUsd: 0.11,
  // machine image / snapshot storage, regional
  imageGbMonthUsd: 0.05,
  // Spot VMs list at 60-91 % off; a long-run average.
  spotFactor: 0.3,
  // Filestore Basic HDD, billed on the provisioned capacity, 1 TiB at least.
  sharedStorageGbMonthUsd: 0.22,
  sharedStorageMinGb: 1024,
  // Dataproc bills $0.010 per vCPU-hour on top of the VMs: folded in for a 4-vCPU node.
  bigDataNodeUsd: 0.04,
  managedBigData: true,
  managedStorage: true,
  // GCE suspends (memory to disk) and resumes instances: the `hibernated` state is SUSPENDED.
  hibernation: true,
  hibernationRule: gceSuspension,
  // Cloud NAT bills $0.0014 per VM-hour up to $0.044 (32 VMs and more), plus $0.005 for its
  // external address: the flat figure is the upper bound (the per-GB processing fee is not in it).
  privateEgressUsd: 0.049,
};
