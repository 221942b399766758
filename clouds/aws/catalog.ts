import type { ProviderCatalog } from "../../plan/catalog.js";
import { ec2Hibernation, ec2Shape } from "./hibernation.js";

/** AWS, eu-west-1 (Ireland) list prices; Linux on demand. */
export const aws: ProviderCatalog = {
  provider: "aws",
  source: "AWS EC2/EBS/EFS/EMR on-demand list prices, eu-west-1, read 2026-11-01 (aws.amazon.com/ec2/pricing)",
  sizes: { small: "t3.medium", medium: "m6i.large", large: "m6i.xlarge", xlarge: "m6i.2xlarge", "2xlarge": "m6i.4xlarge" },
  gpus: {
    "nvidia-t4": { 1: "g4dn.xlarge", 4: "g4dn.12xlarge", 8: "g4dn.metal" },
    "nvidia-a10g": { 1: "g5.xlarge", 4: "g5.12xlarge", 8: "g5.48xlarge" },
    "nvidia-l4": { 1: "g6.xlarge", 4: "g6.12xlarge", 8: "g6.48xlarge" },
    "nvidia-v100": { 1: "p3.2xlarge", 4: "p3.8xlarge", 8: "p3.16xlarge" },
    "nvidia-a100": { 8: "p4d.24xlarge" },
    "nvidia-a100-80gb": { 8: "p4de.24xlarge" },
    "nvidia-h100": { 8: "p5.48xlarge" },
  },
  images: {
    "ubuntu-22.04": { lookup: { owner: "099720109477", nameFilter: "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*" }, os: "linux" },
    "ubuntu-24.04": { lookup: { owner: "099720109477", nameFilter: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*" }, os: "linux" },
    "debian-12": { lookup: { owner: "136693071363", nameFilter: "debian-12-amd64-*" }, os: "linux" },
    "rocky-9": { lookup: { owner: "792107900819", nameFilter: "Rocky-9-EC2-Base-9.*x86_64" }, os: "linux" },
    "windows-2022": { lookup: { owner: "801119661308", nameFilter: "Windows_Server-2022-English-Full-Base-*" }, os: "windows" },
  },
  instances: {
    "t3.medium": { usd: 0.0456, vcpus: 2, memoryGb: 4, windowsUsd: 0.0184 },
    "t3.large": { usd: 0.0912, vcpus: 2, memoryGb: 8, windowsUsd: 0.0276 },
    "m6i.large": { usd: 0.107, vcpus: 2, memoryGb: 8, windowsUsd: 0.092 },
    "m6i.xlarge": { usd: 0.214, vcpus: 4, memoryGb: 16, windowsUsd: 0.184 },
    "m6i.2xlarge": { usd: 0.428, vcpus: 8, memoryGb: 32, windowsUsd: 0.368 },
    "m6i.4xlarge": { usd: 0.856, vcpus: 16, memoryGb: 64, windowsUsd: 0.736 },
    // Previous generations, still the most launched (the m5 family is the rule's own example).
    "t3a.medium": { usd: 0.0408, vcpus: 2, memoryGb: 4, windowsUsd: 0.0184 },
    "t3a.large": { usd: 0.0816, vcpus: 2, memoryGb: 8, windowsUsd: 0.0276 },
    "m5.large": { usd: 0.107, vcpus: 2, memoryGb: 8, windowsUsd: 0.092 },
    "m5.xlarge": { usd: 0.214, vcpus: 4, memoryGb: 16, windowsUsd: 0.184 },
    "m5.2xlarge": { usd: 0.428, vcpus: 8, memoryGb: 32, windowsUsd: 0.368 },
    "m5.4xlarge": { usd: 0.856, vcpus: 16, memoryGb: 64, windowsUsd: 0.736 },
    "c5.large": { usd: 0.096, vcpus: 2, memoryGb: 4 },
    "c5.xlarge": { usd: 0.192, vcpus: 4, memoryGb: 8 },
    "c5.2xlarge": { usd: 0.384, vcpus: 8, memoryGb: 16 },
    "r5.large": { usd: 0.141, vcpus: 2, memoryGb: 16 },
    "r5.xlarge": { usd: 0.282, vcpus: 4, memoryGb: 32 },
    "r5.2xlarge": { usd: 0.564, vcpus: 8, memoryGb: 64 },
    "c6i.large": { usd: 0.096, vcpus: 2, memoryGb: 4 },
    "c6i.xlarge": { usd: 0.192, vcpus: 4, memoryGb: 8 },
    "c6i.2xlarge": { usd: 0.384, vcpus: 8, memoryGb: 16 },
    "c6i.4xlarge": { usd: 0.768, vcpus: 16, memoryGb: 32 },
    "c6i.8xlarge": { usd: 1.536, vcpus: 32, memoryGb: 64 },
    "r6i.xlarge": { usd: 0.282, vcpus: 4, memoryGb: 32 },
    "r6i.2xlarge": { usd: 0.564, vcpus: 8, memoryGb: 64 },
    "hpc6a.48xlarge": { usd: 3.168, vcpus: 96, memoryGb: 384 },
    "g4dn.xlarge": { usd: 0.587, vcpus: 4, memoryGb: 16 },
    "g4dn.12xlarge": { usd: 4.354, vcpus: 48, memoryGb: 192 },
    "g4dn.metal": { usd: 8.708, vcpus: 96, memoryGb: 384 },
    "g5.xlarge": { usd: 1.123, vcpus: 4, memoryGb: 16 },
    "g5.12xlarge": { usd: 6.33, vcpus: 48, memoryGb: 192 },
    "g5.48xlarge": { usd: 18.036, vcpus: 192, memoryGb: 768 },
    "g6.xlarge": { usd: 0.892, vcpus: 4, memoryGb: 16 },
    "g6.12xlarge": { usd: 5.04, vcpus: 48, memoryGb: 192 },
    "g6.48xlarge": { usd: 14.9, vcpus: 192, memoryGb: 768 },
    "p3.2xlarge": { usd: 3.305, vcpus: 8, memoryGb: 61 },
    "p3.8xlarge": { usd: 13.22, vcpus: 32, memoryGb: 244 },
    "p3.16xlarge": { usd: 26.44, vcpus: 64, memoryGb: 488 },
    "p4d.24xlarge": { usd: 35.39, vcpus: 96, memoryGb: 1152 },
    "p4de.24xlarge": { usd: 44.24, vcpus: 96, memoryGb: 1152 },
    "p5.48xlarge": { usd: 63.3, vcpus: 192, memoryGb: 2048 },
  },
  unknownInstanceUsd: 0.2,
  diskGbMonthUsd: 0.088,
  // EBS snapshot storage, standard tier
  imageGbMonthUsd: 0.05,
  spotFactor: 0.35,
  sharedStorageGbMonthUsd: 0.33,
  bigDataNodeUsd: 0.048,
  managedBigData: true,
  managedStorage: true,
  hibernation: true,
  hibernationRule: ec2Hibernation,
  shapeOf: ec2Shape,
  // NAT gateway ($0.048/h) + its public IPv4 address ($0.005/h).
  privateEgressUsd: 0.053,
};

/**
 * AWS Fargate (ECS tasks without instances of ours), Linux/x86, eu-west-1 on-demand list prices,
 * read 2026-11-01 (aws.amazon.com/fargate/pricing): per vCPU-hour and per GB of memory per hour of
 * a task's size. 20 GB of ephemeral storage per task are included.
 */
export const fargate = {
  source: "AWS Fargate Linux/x86 on-demand list prices, eu-west-1, read 2026-11-01 (aws.amazon.com/fargate/pricing)",
  vcpuHourUsd: 0.04048,
  gbHourUsd: 0.004445,
  includedStorageGb: 20,
} as const;
