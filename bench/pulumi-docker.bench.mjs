// On the REAL Pulumi engine and a real Docker engine: a Pool of 10 on Docker.
// - `up` to every container running: `formations up --yes` (a cold CLI process) vs a bare Pulumi
//   program (bench/bare-pulumi-docker.mjs: the Automation API, an inline program creating the same
//   10 docker.Container resources, the same CLI, plugin, file backend kind and engine), vs the same
//   bare program also making the session's network and image (the tool's own cost alone), and vs
//   10 `docker run -d` at once (the floor).
// - `stop` of the whole session (`formations stop SESSION`: the Docker calls, the journal and the
//   refresh after) vs one `docker stop` of the 10.
// Skipped, with one line saying why, when the Pulumi CLI (scripts/pulumi-engine.sh) or a Docker
// engine is not there.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { CLI, NODE, ROOT, interleave, row, runCold, runsFromEnv, side, tempDir } from "./lib.mjs";

export const name = "pulumi-docker";
export const description = "a Pool of 10 on the real Pulumi engine and Docker: up to all running, and stop, vs a bare Pulumi program and the docker CLI";

const COUNT = 10;
const IMAGE = "formations-test/busybox:latest";
const exec = promisify(execFile);
let skipped;

/** Why this bench cannot run here (printed by bench/run.mjs), once run() returned no rows. */
export function skipReason() {
  return skipped;
}

/** The engine env lines of scripts/pulumi-engine.sh when it has built one, applied to this process. */
async function pulumiReady() {
  const env = await exec("bash", [join(ROOT, "scripts", "pulumi-engine.sh"), "env"]).then(
    (r) => r.stdout,
    () => "",
  );
  for (const m of env.matchAll(/^export (\w+)="?([^"\n]*)"?$/gm)) process.env[m[1]] = m[2].replace("$PATH", process.env.PATH ?? "");
  return exec("pulumi", ["version"], { env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } }).then(
    () => true,
    () => false,
  );
}

async function dockerReady() {
  const answers = () =>
    exec("docker", ["info"]).then(
      () => true,
      () => false,
    );
  if (process.env.DOCKER_HOST && (await answers()))
    return exec("docker", ["image", "inspect", IMAGE]).then(
      () => true,
      () => false,
    );
  const started = await exec("flock", ["/tmp/formations-docker.lock", join(ROOT, "scripts", "docker-engine.sh"), "start"]).then(
    (r) => r.stdout,
    () => "",
  );
  const host = /export DOCKER_HOST=(\S+)/.exec(started)?.[1];
  if (!host) return false;
  process.env.DOCKER_HOST = host;
  return answers();
}

const names = (prefix) => Array.from({ length: COUNT }, (_, i) => `${prefix}-machine-${i + 1}`);

/** Containers of `label`=`value` that are running. */
async function running(label, value) {
  const { stdout } = await exec("docker", ["ps", "-q", "--filter", `label=${label}=${value}`, "--filter", "status=running"]);
  return stdout.split("\n").filter(Boolean).length;
}

async function removeAll(label, value) {
  const { stdout } = await exec("docker", ["ps", "-aq", "--filter", `label=${label}=${value}`]);
  const ids = stdout.split("\n").filter(Boolean);
  if (ids.length) await exec("docker", ["rm", "-f", ...ids]);
}

async function checked(c, what) {
  const r = await runCold(c, { capture: true });
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code ?? r.signal}\n${r.stdout}${r.stderr}`.trimEnd());
  return r.ms;
}

export async function run() {
  if (!(await pulumiReady())) {
    skipped = 'no Pulumi CLI (build the pinned engine: eval "$(scripts/pulumi-engine.sh build)")';
    return [];
  }
  if (!(await dockerReady())) {
    skipped = `no Docker engine with ${IMAGE} (scripts/docker-engine.sh start)`;
    return [];
  }
  const runs = runsFromEnv(3);
  const { dir, cleanup } = await tempDir("pulumi-docker");
  const file = join(dir, "pool.yaml");
  await writeFile(
    file,
    `apiVersion: formations/v1\nkind: Pool\nmetadata:\n  name: bench-pool\ncloud:\n  provider: docker\nspec:\n  count: ${COUNT}\n  machine:\n    image: ${IMAGE}\n`,
  );
  const env = {
    FORMATIONS_HOME: join(dir, "home"),
    PULUMI_BACKEND_URL: pathToFileURL(join(dir, "state")).href,
    PULUMI_CONFIG_PASSPHRASE: "bench",
    NO_COLOR: "1",
  };
  const formations = (args) => ({ label: `formations ${args[0]}`, cmd: NODE, args: [CLI, ...args], env });
  const bare = (verb, stack, shape = "") => ({
    label: "bare Pulumi program",
    cmd: NODE,
    args: [join(ROOT, "bench", "bare-pulumi-docker.mjs"), verb, stack, String(COUNT), join(dir, "bare-state"), ...(shape ? [shape] : [])],
  });
  let n = 0;
  const made = [];
  try {
    // up: each sample a fresh session / stack / set of containers, removed afterwards (not timed).
    const upOurs = async () => {
      const s = `bench-up-${process.pid}-${++n}`;
      made.push(s);
      const ms = await checked(formations(["up", file, "--session", s, "--yes"]), "formations up");
      if ((await running("formations-session", s)) !== COUNT) throw new Error(`formations up left fewer than ${COUNT} containers running`);
      await checked(formations(["destroy", s, "--yes"]), "formations destroy");
      return ms;
    };
    const upBare = (shape) => async () => {
      const s = `bench-bare-${process.pid}-${++n}`;
      made.push(s);
      const ms = await checked(bare("up", s, shape), "bare Pulumi up");
      if ((await running("formations-session", s)) !== COUNT) throw new Error(`the bare program left fewer than ${COUNT} containers running`);
      await checked(bare("destroy", s, shape), "bare Pulumi destroy");
      return ms;
    };
    const upDocker = async () => {
      const s = `bench-run-${process.pid}-${++n}`;
      made.push(s);
      const script =
        'pids=(); for c in "${@:2}"; do docker run -d --name "$c" --label "formations-session=$1" --restart unless-stopped --init --cap-drop ALL ' +
        IMAGE +
        ' >/dev/null & pids+=($!); done; for p in "${pids[@]}"; do wait "$p" || exit 3; done';
      const ms = await checked({ label: "10 docker run", cmd: "bash", args: ["-c", script, "run", s, ...names(s)] }, "docker run");
      if ((await running("formations-session", s)) !== COUNT) throw new Error(`docker run left fewer than ${COUNT} containers running`);
      await removeAll("formations-session", s);
      return ms;
    };
    const [ours, pulumi, networked, docker] = await interleave([upOurs, upBare(""), upBare("network"), upDocker], { runs, warmup: 1 });

    // stop: one session, started again before each sample (not timed).
    const s = `bench-stop-${process.pid}`;
    made.push(s);
    await checked(formations(["up", file, "--session", s, "--yes"]), "formations up");
    const stopOurs = async () => {
      await checked(formations(["start", s]), "formations start");
      const ms = await checked(formations(["stop", s]), "formations stop");
      if ((await running("formations-session", s)) !== 0) throw new Error("formations stop left containers running");
      return ms;
    };
    const stopDocker = async () => {
      await exec("docker", ["start", ...names(s)]);
      const ms = await checked({ label: "docker stop of the 10", cmd: "docker", args: ["stop", ...names(s)] }, "docker stop");
      if ((await running("formations-session", s)) !== 0) throw new Error("docker stop left containers running");
      return ms;
    };
    const [stopA, stopB] = await interleave([stopOurs, stopDocker], { runs, warmup: 1 });
    await checked(formations(["destroy", s, "--yes"]), "formations destroy");

    const a = side("formations up", ours);
    const compared = `up of a Pool of ${COUNT} on Docker, cold process to every container running`;
    const note = "ours also makes the session's network and image resources, its record, tags and journal; the bare program makes the 10 containers only";
    return [
      row({
        bench: name,
        case: "up vs bare Pulumi",
        compared,
        runs,
        ours: a,
        baseline: side("bare Pulumi program", pulumi),
        target: { metric: "ratio", max: 1.1 },
        note,
      }),
      row({
        bench: name,
        case: "up vs bare Pulumi, same network and image",
        compared,
        runs,
        ours: a,
        baseline: side("bare Pulumi program + network + image", networked),
        target: { metric: "ratio", max: 1.1 },
        note: "the bare program also makes the session's internal network and RemoteImage: what is left is the tool's own cost (loading, plan, record, tags, journal)",
      }),
      row({
        bench: name,
        case: "up vs docker run",
        compared,
        runs,
        ours: a,
        baseline: side("10 docker run at once", docker),
        target: { metric: "report", max: 0 },
        note: "the floor: no engine, no state",
      }),
      row({
        bench: name,
        case: "stop vs docker stop",
        compared: `stop of the whole session (${COUNT} running), cold process to exit`,
        runs,
        ours: side("formations stop", stopA),
        baseline: side("one docker stop of the 10", stopB),
        target: { metric: "report", max: 0 },
        note: "the floor; ours includes the journal and the refresh after acting",
      }),
    ];
  } finally {
    for (const s of made) await removeAll("formations-session", s).catch(() => undefined);
    await cleanup();
  }
}
