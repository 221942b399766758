import { defineConfig } from "vitest/config";

/**
 * `npm run test:e2e`: the whole session cycle against the real Pulumi engine and a Docker
 * engine (test/e2e). One file at a time, in order: the cases share a backend and containers,
 * and each real `up` takes seconds (minutes when Pulumi first downloads the Docker provider).
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: "forks",
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
