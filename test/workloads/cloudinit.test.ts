/**
 * Layer 3: the real Docker engine (no Pulumi: the user data is plain text made by the planner).
 * The cloud-config the plan gives a VM (plan/cloudinit.ts `cloudConfig`, the core of every VM
 * adapter's user data) for a Slurm head and compute node (AWS, Debian 12) and a Spark master and
 * worker (OpenStack, Debian 12: self-managed Spark), run under sh in Debian 12 containers from
 * the local images' base (their packages are the ones the user data asks for), in cloud-init's
 * order (test/workloads/cloudinit/run.ts). systemd is stood in for by a shim that starts a unit's
 * ExecStart as its User (cloudinit/systemctl.sh). End state as on a VM: `sinfo` lists the compute
 * node and a job runs on it; the Spark master answers, with the worker registered.
 *
 * Stood in for, because containers here have neither network nor privileges: the package
 * installation (each package is checked installed instead), the Spark download (its own
 * `[ -d ... ] ||` guard finds the image's Spark 3.5.3 in place), and the HPC shared storage (an
 * NFS mount needs a kernel client and privileges: its parts are left out of the plan; the unit
 * tests check them as text).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFormationText } from "../../format/load.js";
import { planSession } from "../../plan/index.js";
import { cloudConfig } from "../../plan/cloudinit.js";
import type { SessionPlan } from "../../plan/types.js";
import { docker, http, localImage, until, workloadsMissing } from "./harness.js";
import { cloudConfigScript } from "./cloudinit/run.js";

const skip = await workloadsMissing({ pulumi: false });
if (skip) console.warn(skip);

const SHIM = fileURLToPath(new URL("./cloudinit/systemctl.sh", import.meta.url));
const RUN = `workloads-cloudinit-${randomBytes(3).toString("hex")}`;
const LABEL = `formations-workloads-test=${RUN}`;

const hpc = planSession(
  loadFormationText(`apiVersion: formations/v1
kind: HPCCluster
metadata: { name: ci-hpc }
cloud: { provider: aws, region: eu-west-1 }
spec:
  headNode: { machine: { size: small, image: debian-12 } }
  computeNodes: { count: 1, machine: { instanceType: t3.medium, image: debian-12 } }
`),
);
const spark = planSession(
  loadFormationText(`apiVersion: formations/v1
kind: EMRCluster
metadata: { name: ci-spark }
cloud: { provider: openstack, region: RegionOne }
spec:
  applications: [spark]
  master: { machine: { size: small, image: debian-12 } }
  workers: { count: 1, machine: { size: small, image: debian-12 } }
`),
);

const machine = (plan: SessionPlan, name: string) => {
  const m = plan.machines.find((x) => x.name === name);
  if (!m) throw new Error(`no ${name} in the plan`);
  return m;
};

/** A Debian container of the image as a VM would be: root, its hostname, on the test's network, idle until told. */
async function boot(name: string, image: string, env: string[] = []): Promise<string> {
  const container = `${RUN}-${name}`;
  await docker([
    "run",
    "-d",
    "--name",
    container,
    "--hostname",
    name,
    "--network",
    RUN,
    "--network-alias",
    name,
    "--label",
    LABEL,
    "--user",
    "0",
    "--workdir",
    "/",
    ...env.flatMap((e) => ["-e", e]),
    "--entrypoint",
    "sleep",
    image,
    "infinity",
  ]);
  await docker(["cp", SHIM, `${container}:/usr/local/bin/systemctl`]);
  return container;
}

/** Runs the cloud-config's script in the container (as root, like cloud-init); fails with its log. */
async function runUserData(container: string, config: Record<string, unknown>, standIns: Record<string, string> = {}): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "formations-user-data-"));
  try {
    await writeFile(join(dir, "user-data.sh"), cloudConfigScript(config, { standIns }), { mode: 0o700 });
    await docker(["cp", join(dir, "user-data.sh"), `${container}:/var/tmp/user-data.sh`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const log = await docker(["exec", container, "sh", "-c", "sh /var/tmp/user-data.sh 2>&1"], 600_000);
  if (!/cloud-init \(sh\): done$/m.test(log)) throw new Error(`the user data did not finish in ${container}:\n${log}`);
}

describe.skipIf(Boolean(skip))("cloud-init user data run under sh in Debian containers", () => {
  beforeAll(async () => {
    await docker(["network", "create", "--label", LABEL, RUN]);
  }, 120_000);

  afterAll(async () => {
    if (process.env.FORMATIONS_WORKLOADS_KEEP) return;
    const ids = (await docker(["ps", "-aq", "--filter", `label=${LABEL}`]).catch(() => "")).split("\n").filter(Boolean);
    if (ids.length > 0) await docker(["rm", "-f", "-v", ...ids]).catch(() => undefined);
    await docker(["network", "rm", RUN]).catch(() => undefined);
  }, 300_000);

  it("Slurm: the head's and the compute node's user data bring up slurmctld and slurmd; sinfo lists the node and a job runs on it", async () => {
    const image = await localImage("slurm");
    // The NFS mount is left out (see the header); everything else is the plan's.
    const plan: SessionPlan = { ...hpc, storage: undefined };
    const mungeKey = randomBytes(1024).toString("base64");
    const peers = plan.machines.filter((m) => m.role === "compute").map((m) => m.name);
    // The image's ENV points Slurm at the Docker adapter's file; a VM has Debian's default.
    const env = ["SLURM_CONF=/etc/slurm/slurm.conf"];
    const head = await boot("head", image, env);
    await runUserData(head, cloudConfig(plan, machine(plan, "head"), { mungeKey, peers }));
    const headAddress = (await docker(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", head])).trim();
    const compute = await boot("compute-1", image, env);
    await runUserData(compute, cloudConfig(plan, machine(plan, "compute-1"), { mungeKey, peers, headAddress }));
    const sinfo = await until(
      "sinfo to list compute-1 idle",
      async () => {
        const out = (await docker(["exec", head, "sinfo", "-h", "-N", "-o", "%N %t"])).trim();
        return out === "compute-1 idle" ? out : undefined;
      },
      300_000,
      2000,
    );
    console.log(`cloud-init Slurm: sinfo -N: ${sinfo}`);
    expect((await docker(["exec", head, "grep", "^SlurmctldHost=", "/etc/slurm/slurm.conf"])).trim()).toBe(`SlurmctldHost=head(${headAddress})`);
    expect((await docker(["exec", head, "srun", "-N1", "hostname"], 180_000)).trim()).toBe("compute-1");
  }, 900_000);

  it("Spark: the master's and the worker's user data bring up the standalone master, which answers with the worker registered", async () => {
    const image = await localImage("spark");
    const standIns = { curl: "downloads Spark from archive.apache.org: the image's Spark 3.5.3 is put in its place (no network)" };
    const dist = "/opt/spark-3.5.3-bin-hadoop3";
    const master = await boot("master", image);
    await docker(["exec", master, "sh", "-c", `mv /opt/spark ${dist}`]);
    await runUserData(master, cloudConfig(spark, machine(spark, "master"), {}), standIns);
    const masterAddress = (await docker(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", master])).trim();
    const worker = await boot("worker-1", image);
    await docker(["exec", worker, "sh", "-c", `mv /opt/spark ${dist}`]);
    await runUserData(worker, cloudConfig(spark, machine(spark, "worker-1"), { masterAddress }), standIns);
    const state = await until(
      "the master's JSON listing one alive worker",
      async () => {
        const res = await http(`http://${masterAddress}:8080/json/`);
        if (!res.ok) return undefined;
        const j = (await res.json()) as { status: string; aliveworkers: number; url: string };
        return j.aliveworkers === 1 ? j : undefined;
      },
      300_000,
      2000,
    );
    console.log(`cloud-init Spark: master ${state.url} ${state.status}, ${state.aliveworkers} alive worker`);
    expect(state.status).toBe("ALIVE");
    // systemd's User=: every Java process of the master runs as the spark user the user data made.
    expect([...new Set((await docker(["exec", master, "ps", "-o", "user=", "-C", "java"])).trim().split(/\s+/))]).toEqual(["spark"]);
  }, 900_000);
});
