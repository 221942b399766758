import { defineConfig } from "vitest/config";

/**
 * `npm run test:images`: the local workload images (scripts/images.sh) run on the real Docker
 * engine with the Docker adapter's own commands (test/images, layer 3). One file at a time: each
 * starts several containers on a 2-core machine, and a cold run first builds the images.
 */
export default defineConfig({
  test: {
    include: ["test/images/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 3_600_000,
    pool: "forks",
    fileParallelism: false,
  },
});
