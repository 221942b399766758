import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The browser tests (layer 5), the workload-image tests and the workloads on the real engines run
    // on their own: npm run test:browser, npm run test:images, npm run test:workloads.
    exclude: ["test/e2e/**", "test/images/**", "test/workloads/**", "test/console/**/*.browser.test.ts", "node_modules/**"],
    testTimeout: 30_000,
    // Pulumi's mock runtime is process-global state: isolate test files in their own workers.
    pool: "forks",
  },
});
