import { defineConfig } from "vitest/config";

/**
 * `npm run test:browser`: the console in a real browser (layer 5): Debian's chromium driven by
 * playwright-core (test/console/*.browser.test.ts). One file at a time: each launches chromium,
 * and the machine has two cores.
 */
export default defineConfig({
  test: {
    include: ["test/console/**/*.browser.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: "forks",
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
