import type { ProviderCatalog } from "../../plan/catalog.js";

/**
 * Docker: a local or remote engine the user already runs, so no cloud bill. Sizes become CPU and
 * memory limits (`<cpus>cpu-<memory>`); image aliases become Docker images.
 */
export const docker: ProviderCatalog = {
  provider: "docker",
  source: "local Docker engine: no cloud charges",
  sizes: { small: "1cpu-2g", medium: "2cpu-4g", large: "4cpu-8g", xlarge: "8cpu-16g", "2xlarge": "16cpu-32g" },
  gpus: {},
  images: {
    "ubuntu-22.04": { id: "ubuntu:22.04", os: "linux" },
    "ubuntu-24.04": { id: "ubuntu:24.04", os: "linux" },
    "debian-12": { id: "debian:12", os: "linux" },
    "rocky-9": { id: "rockylinux:9", os: "linux" },
    "windows-2022": { id: "mcr.microsoft.com/windows/servercore:ltsc2022", os: "windows" },
  },
  instances: {},
  unknownInstanceUsd: 0,
  diskGbMonthUsd: 0,
  // local disk: no cloud charges
  imageGbMonthUsd: 0,
  spotFactor: 1,
  sharedStorageGbMonthUsd: 0,
  bigDataNodeUsd: 0,
  managedBigData: false,
  managedStorage: false,
  hibernation: false,
};

/**
 * The catalog with the formation's own prices (`cloud.pricing`): a container costs its size's CPUs
 * and memory at those rates, whatever its image.
 */
export function pricedDocker(pricing: { cpuHourUsd?: number; memoryGbHourUsd?: number }): ProviderCatalog {
  const cpu = pricing.cpuHourUsd ?? 0;
  const gb = pricing.memoryGbHourUsd ?? 0;
  return {
    ...docker,
    source: `this Docker host's pricing (cloud.pricing: ${cpu} USD per CPU-hour, ${gb} USD per GiB-hour)`,
    priceOf: (instanceType) => {
      const l = dockerLimits(instanceType);
      return l ? Math.round((l.cpus * cpu + (l.memoryMb / 1024) * gb) * 1e6) / 1e6 : undefined;
    },
  };
}

/** Parses a docker instance type (`2cpu-4g`, `0.5cpu-512m`) into limits. */
export function dockerLimits(instanceType: string): { cpus: number; memoryMb: number } | undefined {
  const m = /^(\d+(?:\.\d+)?)cpu-(\d+)([mg])$/.exec(instanceType);
  if (!m) return undefined;
  return { cpus: Number(m[1]), memoryMb: Number(m[2]) * (m[3] === "g" ? 1024 : 1) };
}
