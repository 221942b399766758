import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "test/images/**", "node_modules/**"],
    testTimeout: 30_000,
    // Pulumi's mock runtime is process-global state: isolate test files in their own workers.
    pool: "forks",
  },
});
