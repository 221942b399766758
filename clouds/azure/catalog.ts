import type { InstancePrice, ProviderCatalog } from "../../plan/catalog.js";
import { azureHibernation } from "./hibernation.js";

/**
 * Windows Server licence on Azure: about $0.046 per vCPU-hour on the D, E, F, H and N series
 * (D2s_v5: $0.188 Windows vs $0.096 Linux). B-series licences are priced per size instead.
 */
const WINDOWS_PER_VCPU_USD = 0.046;

/** A size with the Windows licence derived from its vCPUs (B sizes override it). */
function size(usd: number, vcpus: number, memoryGb: number, extra: Partial<InstancePrice> = {}): InstancePrice {
  return { usd, vcpus, memoryGb, windowsUsd: Math.round(vcpus * WINDOWS_PER_VCPU_USD * 1e4) / 1e4, ...extra };
}

/**
 * Azure, Linux pay-as-you-go list prices in USD per hour for the East US reference region
 * (West and North Europe list about 10-15 % higher). Image aliases are Azure Marketplace URNs
 * (`publisher:offer:sku:version`), all Generation 2.
 */
export const azure: ProviderCatalog = {
  provider: "azure",
  source:
    "Azure retail list prices, Linux pay-as-you-go, East US (azure.microsoft.com/pricing/details/virtual-machines/linux, managed-disks, storage/files, hdinsight), " +
    "as published in 2025 and written down 2026-11-25 without re-reading them online (no network in this build): refresh from prices.azure.com",
  // The AWS table's shapes: 2 vCPU/4 GB burstable, then 2/8, 4/16, 8/32, 16/64 general purpose.
  sizes: { small: "Standard_B2s", medium: "Standard_D2s_v5", large: "Standard_D4s_v5", xlarge: "Standard_D8s_v5", "2xlarge": "Standard_D16s_v5" },
  // NCv3 (V100) was retired on 2025-09-30, and Azure has no A10G or L4 sizes: those fall back with a plan note.
  gpus: {
    "nvidia-t4": { 1: "Standard_NC4as_T4_v3", 4: "Standard_NC64as_T4_v3" },
    // The NC A100 v4 sizes carry the 80 GB PCIe A100; the 40 GB A100 comes only as the 8-GPU ND96asr_v4.
    "nvidia-a100": { 8: "Standard_ND96asr_v4" },
    "nvidia-a100-80gb": { 1: "Standard_NC24ads_A100_v4", 2: "Standard_NC48ads_A100_v4", 4: "Standard_NC96ads_A100_v4", 8: "Standard_ND96amsr_A100_v4" },
    "nvidia-h100": { 1: "Standard_NC40ads_H100_v5", 2: "Standard_NC80adis_H100_v5", 8: "Standard_ND96isr_H100_v5" },
  },
  images: {
    "ubuntu-22.04": { id: "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest", os: "linux" },
    "ubuntu-24.04": { id: "Canonical:ubuntu-24_04-lts:server:latest", os: "linux" },
    "debian-12": { id: "Debian:debian-12:12-gen2:latest", os: "linux" },
    // The Rocky Enterprise Software Foundation's own image: free, but a Marketplace image with a purchase plan.
    "rocky-9": { id: "resf:rockylinux-x86_64:9-base:latest", os: "linux" },
    "windows-2022": { id: "MicrosoftWindowsServer:WindowsServer:2022-datacenter-g2:latest", os: "windows" },
  },
  instances: {
    Standard_B1ms: size(0.0207, 1, 2, { windowsUsd: 0.0046 }),
    Standard_B2s: size(0.0416, 2, 4, { windowsUsd: 0.008 }),
    Standard_B2ms: size(0.0832, 2, 8, { windowsUsd: 0.016 }),
    Standard_B4ms: size(0.166, 4, 16, { windowsUsd: 0.032 }),
    Standard_D2s_v5: size(0.096, 2, 8),
    Standard_D4s_v5: size(0.192, 4, 16),
    Standard_D8s_v5: size(0.384, 8, 32),
    Standard_D16s_v5: size(0.768, 16, 64),
    Standard_D32s_v5: size(1.536, 32, 128),
    Standard_D2as_v5: size(0.086, 2, 8),
    Standard_D4as_v5: size(0.172, 4, 16),
    Standard_D8as_v5: size(0.344, 8, 32),
    Standard_D2ds_v5: size(0.113, 2, 8),
    Standard_D4ds_v5: size(0.226, 4, 16),
    Standard_E2s_v5: size(0.126, 2, 16),
    Standard_E4s_v5: size(0.252, 4, 32),
    Standard_E8s_v5: size(0.504, 8, 64),
    Standard_E16s_v5: size(1.008, 16, 128),
    Standard_E4_v3: size(0.252, 4, 32),
    Standard_E8_v3: size(0.504, 8, 64),
    Standard_E16_v3: size(1.008, 16, 128),
    Standard_F4s_v2: size(0.169, 4, 8),
    Standard_F8s_v2: size(0.338, 8, 16),
    Standard_F16s_v2: size(0.677, 16, 32),
    Standard_HB120rs_v3: size(3.6, 120, 448),
    Standard_HB176rs_v4: size(7.2, 176, 688),
    Standard_NC4as_T4_v3: size(0.526, 4, 28),
    Standard_NC8as_T4_v3: size(0.752, 8, 56),
    Standard_NC16as_T4_v3: size(1.204, 16, 110),
    Standard_NC64as_T4_v3: size(4.352, 64, 440),
    Standard_NC24ads_A100_v4: size(3.673, 24, 220),
    Standard_NC48ads_A100_v4: size(7.346, 48, 440),
    Standard_NC96ads_A100_v4: size(14.692, 96, 880),
    Standard_ND96asr_v4: size(27.197, 96, 900),
    Standard_ND96amsr_A100_v4: size(32.77, 96, 1900),
    Standard_NC40ads_H100_v5: size(6.98, 40, 320),
    Standard_NC80adis_H100_v5: size(13.96, 80, 640),
    Standard_ND96isr_H100_v5: size(98.32, 96, 1900),
  },
  unknownInstanceUsd: 0.2,
  // Standard SSD (E-tier) managed OS disks: E10, 128 GiB, $9.60 a month.
  diskGbMonthUsd: 0.075,
  // managed snapshots, standard LRS (gallery image versions are stored as such)
  imageGbMonthUsd: 0.05,
  // Spot discounts swing between 60 % and 90 %: 0.3 is a conservative long-run average.
  spotFactor: 0.3,
  // Azure Files premium (provisioned, LRS), the tier that serves NFS; 100 GiB is the smallest share.
  sharedStorageGbMonthUsd: 0.16,
  sharedStorageMinGb: 100,
  // HDInsight bills its own rate on top of the VM, about $0.04 per vCPU-hour: an 8-vCPU node.
  bigDataNodeUsd: 0.3,
  managedBigData: true,
  managedStorage: true,
  hibernation: true,
  hibernationRule: azureHibernation,
};
