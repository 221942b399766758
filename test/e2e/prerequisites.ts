/**
 * What the end-to-end tests need, checked once: the Pulumi CLI on PATH, a Docker engine that
 * answers (DOCKER_HOST, or the default socket) and the local test image. `missing()` says, in
 * one message, what is absent and how to get it. On a developer's machine the suite is then
 * skipped with that message; under CI (CI=true) the message is an error and the run fails, so
 * CI never passes with the real-engine tests left out.
 */
import { spawnSync } from "node:child_process";
import Docker from "dockerode";

export const IMAGE = "formations-test/busybox:latest";

function pulumiVersion(): string | undefined {
  const r = spawnSync("pulumi", ["version"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

async function dockerState(): Promise<"ok" | "no-engine" | "no-image"> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch {
    return "no-engine";
  }
  try {
    await docker.getImage(IMAGE).inspect();
    return "ok";
  } catch {
    return "no-image";
  }
}

/** Undefined when everything is there; else one message naming what is missing and how to run the suite. */
export async function missing(): Promise<string | undefined> {
  const problems: string[] = [];
  const version = pulumiVersion();
  if (!version) problems.push(`the Pulumi CLI is not on PATH (build the pinned engine: eval "$(scripts/pulumi-engine.sh build)")`);
  const docker = await dockerState();
  if (docker === "no-engine")
    problems.push(
      `no Docker engine answers at ${process.env.DOCKER_HOST ?? "the default socket"} (start the private test engine: eval "$(scripts/docker-engine.sh start)")`,
    );
  if (docker === "no-image") problems.push(`the Docker engine has no ${IMAGE} (scripts/docker-engine.sh start builds it)`);
  if (problems.length === 0) return undefined;
  const message = `end-to-end session tests need the real engines: ${problems.join("; and ")}. Then run: npm run test:e2e`;
  if (isCI()) throw new Error(`${message} (CI=true: a missing prerequisite fails the run)`);
  return `SKIPPED ${message}`;
}

function isCI(): boolean {
  const v = (process.env.CI ?? "").toLowerCase();
  return v !== "" && v !== "0" && v !== "false";
}
