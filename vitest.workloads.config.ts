import { defineConfig } from "vitest/config";

/**
 * `npm run test:workloads`: real workloads in sessions on the real Pulumi engine and the real
 * Docker engine (test/workloads, layer 3; the lab also drives Debian's chromium): Slurm jobs,
 * a Spark job, the lab's desktop in a browser, idle auto-stop, the cloud-init user data run in
 * containers. One file at a time: each starts several containers on a 2-core machine, and a
 * cold run first builds the local images (scripts/images.sh, about ten minutes).
 */
export default defineConfig({
  test: {
    include: ["test/workloads/**/*.test.ts"],
    testTimeout: 900_000,
    hookTimeout: 3_600_000,
    pool: "forks",
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
