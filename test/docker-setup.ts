/**
 * Vitest global setup: the Docker engine the action tests need, decided once and said aloud.
 * DOCKER_HOST answering: used as it is. Else the private engine of scripts/docker-engine.sh, if
 * it already answers: used, and left running (someone else started it). Else the script starts
 * one, after saying what it does (it may apt-get install Debian's docker.io as root), and the
 * teardown stops it again: `npm test` leaves behind no daemon it started.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../scripts/docker-engine.sh", import.meta.url));

async function answers(host: string): Promise<boolean> {
  const { default: Docker } = await import("dockerode");
  const url = new URL(host);
  const engine =
    url.protocol === "unix:"
      ? new Docker({ socketPath: url.pathname, timeout: 5_000 })
      : new Docker({ host: url.hostname, port: Number(url.port || 2375), timeout: 5_000 });
  return engine.ping().then(
    () => true,
    () => false,
  );
}

const say = (s: string) => process.stderr.write(`${s}\n`);

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.DOCKER_HOST && (await answers(process.env.DOCKER_HOST))) return undefined;
  const { stdout: envLine } = await run("bash", [SCRIPT, "env"]);
  const host = /export DOCKER_HOST=(\S+)/.exec(envLine)?.[1];
  if (!host) throw new Error(`scripts/docker-engine.sh env printed no DOCKER_HOST: ${envLine}`);
  if (await answers(host)) {
    say(`npm test: using the private Docker engine already running at ${host} (left running)`);
    process.env.DOCKER_HOST = host;
    return undefined;
  }
  say(
    [
      `npm test: the action tests need a Docker engine${process.env.DOCKER_HOST ? ` and DOCKER_HOST=${process.env.DOCKER_HOST} does not answer` : ", and DOCKER_HOST is not set"}.`,
      "  Starting a private one with scripts/docker-engine.sh start: it installs Debian's docker.io and busybox-static with apt-get",
      "  when they are missing (system packages, needs root), runs dockerd with its socket, data and log under /tmp/formations-docker",
      "  (no firewall changes), and builds a 2 MB test image. It is stopped when the tests end.",
      "  To use your own engine, set DOCKER_HOST; to refuse the install, set FORMATIONS_DOCKER_NO_INSTALL=1.",
    ].join("\n"),
  );
  const started = await run("flock", ["/tmp/formations-docker.lock", SCRIPT, "start"], { timeout: 300_000 }).catch(
    (err: { stderr?: string; message: string }) => {
      throw new Error(`could not start the Docker engine for the tests: ${err.stderr?.trim() || err.message}`);
    },
  );
  process.env.DOCKER_HOST = /export DOCKER_HOST=(\S+)/.exec(started.stdout)?.[1] ?? host;
  return async () => {
    say("npm test: stopping the Docker engine it started (scripts/docker-engine.sh stop)");
    await run("bash", [SCRIPT, "stop"], { timeout: 120_000 }).catch((err: { message: string }) =>
      say(`npm test: could not stop it: ${err.message}; run scripts/docker-engine.sh stop`),
    );
  };
}
