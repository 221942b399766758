import { defineConfig } from "vitest/config";

/**
 * `npm run test:moto`: the AWS action driver against moto's EC2 server (test/moto, layer 4), an
 * implementation of the EC2 API nobody here wrote. The global setup installs moto into a venv
 * (scripts/moto.sh; minutes when cold) and runs one server for the whole run, stopped at the end.
 * One file at a time: the files share that server.
 */
export default defineConfig({
  test: {
    include: ["test/moto/**/*.moto.test.ts"],
    globalSetup: ["test/moto/global-setup.ts"],
    setupFiles: ["test/moto/setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 900_000,
    pool: "forks",
    fileParallelism: false,
  },
});
