import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The browser tests (layer 5), the workload-image tests, the workloads on the real engines and the
    // moto layer run on their own: npm run test:browser, test:images, test:workloads, test:moto.
    exclude: ["test/e2e/**", "test/images/**", "test/workloads/**", "test/moto/**", "test/console/**/*.browser.test.ts", "node_modules/**"],
    testTimeout: 30_000,
    // The Docker engine of the action tests: found, or started (saying what that does) and stopped after.
    globalSetup: ["test/docker-setup.ts"],
    // The SDK loads without its closure serialiser, as in the CLI (test/helpers/sdk-setup.ts).
    setupFiles: ["test/helpers/sdk-setup.ts"],
    // Pulumi's mock runtime is process-global state: isolate test files in their own workers.
    pool: "forks",
  },
});
