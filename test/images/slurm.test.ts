/**
 * Layer 3: the real Docker engine (no Pulumi engine yet: sessions on it come later, issue 10).
 * The local Slurm image (scripts/images.sh, from Debian's slurm-wlm and munge) runs an
 * HPCCluster the way the Docker adapter starts it: our entrypoint script, slurm.conf and munge
 * key uploaded, the shared volume on every node. The nodes register with slurmctld, `srun -N3
 * hostname` runs on the three compute nodes, and a batch job's file on the shared storage is
 * read by every node.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFormationText } from "../../format/load.js";
import { buildImage, exec, launch, until, type Session } from "./adapter-docker.js";

const formation = (image: string) =>
  loadFormationText(`apiVersion: formations/v1
kind: HPCCluster
metadata: { name: images-slurm, labels: { team: qa } }
cloud: { provider: docker }
spec:
  headNode: { machine: { instanceType: 1cpu-1g, image: "${image}" } }
  computeNodes: { count: 3, machine: { instanceType: 1cpu-1g, image: "${image}" } }
  sharedStorage: { sizeGb: 1, mountPath: /shared }
`);

describe("Slurm image, started as the Docker adapter starts it", () => {
  let s: Session;
  let image: string;
  const head = () => s.container("head");
  const slurm = (cmd: string[]) => exec(head(), cmd, { timeoutMs: 180_000 });

  beforeAll(async () => {
    image = await buildImage("slurm");
    s = await launch(formation(image), `img-slurm-${randomBytes(3).toString("hex")}`);
  }, 3_600_000);

  afterAll(async () => {
    await s?.remove();
  }, 120_000);

  it("runs the local image in every node (the machine.image override)", () => {
    for (const m of ["head", "compute-1", "compute-2", "compute-3"]) expect(s.inputs(m).image).toBe(image);
  });

  it("the three compute nodes register with slurmctld and become idle", async () => {
    const nodes = await until(
      "three idle nodes in sinfo",
      async () => {
        await s.healthy();
        const out = await slurm(["sinfo", "-h", "-N", "-o", "%N %t"]);
        const lines = out.trim().split("\n").filter(Boolean);
        return lines.length === 3 && lines.every((l) => l.endsWith(" idle")) ? lines : undefined;
      },
      300_000,
      2000,
    );
    expect(nodes).toEqual(["compute-1 idle", "compute-2 idle", "compute-3 idle"]);
  }, 360_000);

  it("srun -N3 hostname prints the three compute nodes' names", async () => {
    const out = await slurm(["srun", "-N3", "hostname"]);
    console.log(`srun -N3 hostname:\n${out}`);
    expect(out.trim().split("\n").sort()).toEqual(["compute-1", "compute-2", "compute-3"]);
  }, 240_000);

  it("a batch job writes to the shared storage and every node reads the file", async () => {
    const token = randomBytes(8).toString("hex");
    // --wait: sbatch returns when the job has ended, with the job's exit code.
    const submitted = await slurm(["sbatch", "--wait", "-N1", "-o", "/shared/job-%j.out", "--wrap", `echo ${token} from $(hostname) > /shared/result.txt`]);
    expect(submitted).toMatch(/^Submitted batch job \d+/);
    const everywhere = await slurm(["srun", "-N3", "-l", "cat", "/shared/result.txt"]);
    const lines = everywhere.trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(new RegExp(`^\\d+: ${token} from compute-\\d$`));
    for (const m of ["head", "compute-1", "compute-2", "compute-3"]) expect((await exec(s.container(m), ["cat", "/shared/result.txt"])).trim()).toMatch(token);
  }, 300_000);
});
