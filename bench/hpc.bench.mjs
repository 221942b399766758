// Time from `up` to the first successful `srun` on an HPCCluster session on the real Pulumi engine
// and the real Docker engine, with the local Slurm image (scripts/images.sh): 10 compute nodes side
// by side with 3, so the ratio says how the time grows with the cluster. One sample is: `up`
// through the library (a fresh file backend), then `srun -N<count> hostname` on the head node,
// repeated until it prints every compute node, then destroy (not timed). Without the Pulumi CLI,
// the Docker engine or the built image, the bench says so in one line and compares nothing.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { ROOT, interleave, row, runsFromEnv, side, tempDir } from "./lib.mjs";

export const name = "hpc";
export const description = "real engines: `up` to the first successful srun, 10 compute nodes vs 3 (local Slurm image)";

const formation = (session, image, count) => `apiVersion: formations/v1
kind: HPCCluster
metadata: { name: ${session}, labels: { suite: bench } }
cloud: { provider: docker }
spec:
  headNode: { machine: { instanceType: 1cpu-1g, image: "${image}" } }
  computeNodes: { count: ${count}, machine: { instanceType: 1cpu-512m, image: "${image}" } }
  sharedStorage: { sizeGb: 1, mountPath: /shared }
`;

function exec(cmd, args) {
  return spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000, cwd: ROOT, env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
}

/** Why the bench cannot run here, or undefined. */
function missing() {
  if (exec("pulumi", ["version"]).status !== 0) return 'no Pulumi CLI on PATH (eval "$(scripts/pulumi-engine.sh build)")';
  if (exec("docker", ["version", "--format", "{{.Server.Version}}"]).status !== 0)
    return `no Docker engine answers at ${process.env.DOCKER_HOST ?? "the default socket"} (eval "$(scripts/docker-engine.sh start)")`;
  const tag = exec("bash", ["scripts/images.sh", "tag", "slurm"]).stdout.trim();
  if (!tag || exec("docker", ["image", "inspect", tag]).status !== 0)
    return `the local Slurm image ${tag || "formations-local/slurm"} is not built (scripts/images.sh build slurm)`;
  return undefined;
}

/** One sample: ms from the start of `up` to the first srun that ran on every compute node. */
async function sample(Sessions, image, count) {
  const { dir, cleanup } = await tempDir("hpc");
  const session = `bench-hpc-${count}-${randomBytes(3).toString("hex")}`;
  const home = join(dir, "home");
  const sessions = new Sessions({
    backendUrl: pathToFileURL(join(dir, "state")).href,
    home,
    env: { ...process.env, FORMATIONS_HOME: home, PULUMI_CONFIG_PASSPHRASE: randomBytes(16).toString("hex") },
  });
  const file = join(dir, "hpc.yaml");
  await writeFile(file, formation(session, image, count));
  const want = Array.from({ length: count }, (_, i) => `compute-${i + 1}`).join(",");
  try {
    const t0 = performance.now();
    await sessions.up(file, { session });
    const deadline = Date.now() + 900_000;
    for (;;) {
      const r = spawnSync("docker", ["exec", `${session}-head`, "srun", `-N${count}`, "--immediate=30", "hostname"], { encoding: "utf8", timeout: 120_000 });
      if (r.status === 0 && r.stdout.trim().split("\n").sort().join(",") === [...want.split(",")].sort().join(",")) return performance.now() - t0;
      if (Date.now() > deadline) throw new Error(`srun -N${count} never ran on every node: ${(r.stderr || r.stdout).trim().split("\n").pop()}`);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // spacing between probes, not a stand-in for an event
    }
  } finally {
    await sessions.destroy(session).catch(() => undefined);
    await sessions.close();
    await cleanup();
  }
}

export async function run() {
  const why = missing();
  if (why) {
    console.error(`== hpc: SKIPPED: ${why}`);
    return [];
  }
  const { Sessions } = await import(pathToFileURL(join(ROOT, "dist", "index.js")).href);
  const image = exec("bash", ["scripts/images.sh", "tag", "slurm"]).stdout.trim();
  const runs = runsFromEnv(1);
  const [ten, three] = await interleave([() => sample(Sessions, image, 10), () => sample(Sessions, image, 3)], { runs, warmup: 0 });
  return [
    row({
      bench: name,
      case: "up to first srun",
      compared: "`up` of an HPCCluster, then srun -N<count> hostname until it runs on every compute node (real Pulumi and Docker engines)",
      runs,
      ours: side("10 compute nodes", ten),
      baseline: side("3 compute nodes", three),
      // Linear growth in the node count would be 10/3: the cluster should grow no faster than that.
      target: { metric: "ratio", max: 3.33 },
      note: `image ${image}; head 1cpu-1g, computes 1cpu-512m`,
    }),
  ];
}
