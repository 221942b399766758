import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The browser tests (layer 5) and the workload-image tests run on their own: npm run test:browser, npm run test:images.
    exclude: ["test/e2e/**", "test/images/**", "test/console/**/*.browser.test.ts", "node_modules/**"],
    testTimeout: 30_000,
    // The SDK loads without its closure serialiser, as in the CLI (test/helpers/sdk-setup.ts).
    setupFiles: ["test/helpers/sdk-setup.ts"],
    // Pulumi's mock runtime is process-global state: isolate test files in their own workers.
    pool: "forks",
  },
});
