/**
 * EC2 hibernation, as AWS documents its prerequisites (docs.aws.amazon.com/AWSEC2/latest/UserGuide/
 * hibernating-prerequisites.html): a listed instance family, not bare metal, less than 150 GiB of
 * RAM (Linux), and an encrypted EBS root volume large enough to hold the RAM. The adapter always
 * encrypts the root volume and grows it to the memory plus 8 GB where hibernation is enabled
 * (clouds/aws/emit/machine.ts `rootVolumeGb`), so that rule never refuses a formation here.
 *
 * Accelerated families (G, P, Inf) are left out on purpose: AWS lists few of them and only for
 * some sizes, and a family wrongly called supported makes EC2 refuse the launch, while one
 * wrongly left out only means `hibernate` is refused (with this reason) and `stop` offered.
 */
import type { HibernationSubject } from "../../plan/catalog.js";

/** The families AWS lists for hibernation of Linux instances. */
export const EC2_HIBERNATION_FAMILIES: ReadonlySet<string> = new Set([
  // General purpose
  "m3",
  "m4",
  "m5",
  "m5a",
  "m5ad",
  "m5d",
  "m5dn",
  "m5n",
  "m5zn",
  "m6a",
  "m6g",
  "m6gd",
  "m6i",
  "m6id",
  "m6idn",
  "m6in",
  "m7a",
  "m7g",
  "m7i",
  "m7i-flex",
  "t2",
  "t3",
  "t3a",
  "t4g",
  // Compute optimized
  "c3",
  "c4",
  "c5",
  "c5a",
  "c5ad",
  "c5d",
  "c6a",
  "c6g",
  "c6gd",
  "c6i",
  "c6id",
  "c6in",
  "c7a",
  "c7g",
  "c7i",
  "c7i-flex",
  // Memory optimized
  "r3",
  "r4",
  "r5",
  "r5a",
  "r5ad",
  "r5b",
  "r5d",
  "r5dn",
  "r5n",
  "r6a",
  "r6g",
  "r6gd",
  "r6i",
  "r6id",
  "r6idn",
  "r6in",
  "r7a",
  "r7g",
  "r7i",
  "r7iz",
  "x2gd",
  "x2idn",
  "x2iedn",
  "x2iezn",
  "z1d",
  // Storage optimized
  "d3",
  "d3en",
  "i3",
  "i3en",
  "i4i",
]);

/** EC2 hibernates Linux instances with less than this much RAM. */
export const EC2_HIBERNATION_MAX_GIB = 150;

/** Memory per vCPU of the families whose sizes follow the usual ladder: c 2 GiB, m 4, r 8. */
const GIB_PER_VCPU: Record<string, number> = { c: 2, m: 4, r: 8 };

/**
 * vCPUs and memory of a c, m or r instance type the catalog does not list, from its name:
 * `large` is 2 vCPUs, `xlarge` 4, `Nxlarge` 4N. Undefined for other families and sizes.
 */
export function ec2Shape(instanceType: string): { vcpus: number; memoryGb: number } | undefined {
  const m = /^([cmr])\d+[a-z-]*\.(large|(\d*)xlarge)$/.exec(instanceType);
  if (!m) return undefined;
  const vcpus = m[2] === "large" ? 2 : 4 * Number(m[3] || 1);
  return { vcpus, memoryGb: vcpus * GIB_PER_VCPU[m[1]!]! };
}

/** Why EC2 cannot launch this machine with hibernation, naming the rule; undefined when it can. */
export function ec2Hibernation(m: HibernationSubject): string | undefined {
  const [family = "", size = ""] = m.instanceType.split(".");
  if (!EC2_HIBERNATION_FAMILIES.has(family)) return `the ${family} family is not among those AWS documents for hibernation`;
  if (size.includes("metal")) return `${m.instanceType} is bare metal, which AWS does not hibernate`;
  if (m.memoryGb === undefined)
    return `the catalog does not know ${m.instanceType}'s memory, and AWS hibernates only instances with less than ${EC2_HIBERNATION_MAX_GIB} GiB of RAM`;
  if (m.memoryGb >= EC2_HIBERNATION_MAX_GIB)
    return `${m.instanceType} has ${m.memoryGb} GiB of RAM; AWS hibernates only instances with less than ${EC2_HIBERNATION_MAX_GIB} GiB`;
  return undefined;
}
