// Stopping 50 Docker containers: our batch layer (a cold Node process: find the session's
// containers by label, then runBatch with the default bounds, as `formations stop-all` will) vs a
// sequential `docker stop` loop over the same containers, and vs one `docker stop` of all 50.
// Needs a Docker engine: DOCKER_HOST if it answers, else scripts/docker-engine.sh start.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { NODE, ROOT, interleave, peakRssKb, row, runCold, runsFromEnv, side } from "./lib.mjs";

export const name = "stop-all";
export const description = "stop 50 Docker containers: our batch layer vs a `docker stop` loop, and vs one `docker stop` of all";

const COUNT = 50;
const SESSION = "bench-stop-all";
const IMAGE = "formations-test/busybox:latest";
const exec = promisify(execFile);

/** DOCKER_HOST of an engine that answers, starting the private one when none does. */
async function engine() {
  const answers = async () =>
    exec("docker", ["info"], { env: process.env }).then(
      () => true,
      () => false,
    );
  if (process.env.DOCKER_HOST && (await answers())) return process.env.DOCKER_HOST;
  const { stdout } = await exec("flock", ["/tmp/formations-docker.lock", join(ROOT, "scripts", "docker-engine.sh"), "start"]);
  const host = /export DOCKER_HOST=(\S+)/.exec(stdout)?.[1];
  if (!host) throw new Error("scripts/docker-engine.sh start printed no DOCKER_HOST");
  process.env.DOCKER_HOST = host; // children (docker CLI, our Node side) inherit it
  return host;
}

/** The bench's 50 containers, labelled and named as the Docker adapter makes them; all started. */
async function containers(docker) {
  const labels = { "formations-session": SESSION, "managed-by": "formations", "formations-role": "member" };
  const names = Array.from({ length: COUNT }, (_, i) => `${SESSION}-machine-${i + 1}`);
  await Promise.all(
    names.map(async (n, i) => {
      await docker
        .getContainer(n)
        .remove({ force: true })
        .catch(() => undefined);
      await docker.createContainer({
        name: n,
        Image: IMAGE,
        Labels: { ...labels, "formations-machine": `machine-${i + 1}` },
        HostConfig: { NetworkMode: "none" },
      });
    }),
  );
  return names;
}

async function startAll(docker, names) {
  await Promise.all(
    names.map((n) =>
      docker
        .getContainer(n)
        .start()
        .catch((e) => (e.statusCode === 304 ? undefined : Promise.reject(e))),
    ),
  );
}

/** Every side must leave all 50 stopped, or it did not do the same work. */
async function checkStopped(docker, names, label) {
  const states = await Promise.all(names.map(async (n) => (await docker.getContainer(n).inspect()).State.Status));
  const left = states.filter((s) => s !== "exited").length;
  if (left) throw new Error(`${label} left ${left} of ${COUNT} containers not stopped`);
}

export async function run() {
  const runs = runsFromEnv(5);
  await engine();
  const { default: Docker } = await import("dockerode");
  const docker = new Docker();
  const names = await containers(docker);
  const actions = pathToFileURL(join(ROOT, "dist", "automation", "actions", "index.js")).href;
  const driver = pathToFileURL(join(ROOT, "dist", "clouds", "docker", "actions", "driver.js")).href;
  const ours = {
    label: "formations batch (10 at a time)",
    cmd: NODE,
    args: [
      "--input-type=module",
      "-e",
      `const a = await import(${JSON.stringify(actions)});
       const { DockerDriver } = await import(${JSON.stringify(driver)});
       const d = new DockerDriver();
       const rs = await a.runBatch(d, await d.targets(${JSON.stringify(SESSION)}), "stop");
       if (rs.length !== ${COUNT} || rs.some((r) => r.outcome !== "done")) { console.error(JSON.stringify(rs)); process.exit(3); }`,
    ],
  };
  const loop = { label: "docker stop loop", cmd: "bash", args: ["-c", 'for c in "$@"; do docker stop "$c" >/dev/null || exit 3; done', "loop", ...names] };
  const once = { label: "one docker stop", cmd: "docker", args: ["stop", ...names] };
  const sides = [ours, loop, once];
  try {
    const measure = (c) => async () => {
      await startAll(docker, names);
      const r = await runCold(c);
      if (r.code !== 0) throw new Error(`${c.label}: exit ${r.code ?? r.signal}`);
      await checkStopped(docker, names, c.label);
      return r.ms;
    };
    const samples = await interleave(sides.map(measure), { runs });
    const rss = [];
    for (const c of sides) {
      await startAll(docker, names);
      rss.push(await peakRssKb(c));
    }
    const [a, b, c] = sides.map((s, i) => side(s.label, samples[i], rss[i]));
    const note = "each sample starts all 50 first (not timed); ours includes Node start-up and finding the containers by label";
    return [
      row({
        bench: name,
        case: "vs docker stop loop",
        compared: `stop ${COUNT} running containers, cold process to exit`,
        runs,
        ours: a,
        baseline: b,
        target: { metric: "ratio", max: 0.5 },
        note,
      }),
      row({
        bench: name,
        case: "vs one docker stop",
        compared: `stop ${COUNT} running containers, cold process to exit`,
        runs,
        ours: a,
        baseline: c,
        target: { metric: "ratio", max: 2 },
        note,
      }),
    ];
  } finally {
    await Promise.all(
      names.map((n) =>
        docker
          .getContainer(n)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  }
}
