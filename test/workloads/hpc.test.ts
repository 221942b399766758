/**
 * Layer 3: the real Pulumi engine and the real Docker engine. An HPCCluster session launched
 * through the library (`Sessions.up`) with `machine.image` overridden to the local Slurm image
 * (scripts/images.sh): the head node and 3 compute nodes come up, the nodes register with
 * slurmctld, `srun -N3 hostname` prints the three names, an sbatch job writes to the shared
 * storage and every node reads the file. `Sessions.stop` stops the compute nodes before the head
 * node (the journal's order), and `Sessions.start` brings every node back to `idle` in sinfo.
 * `Sessions.deleteMachine` of a compute node drains it in Slurm first and waits for the job
 * running there to finish before its container goes.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localImage, openSession, until, workloadsMissing, type WorkloadSession } from "./harness.js";

const skip = await workloadsMissing();
if (skip) console.warn(skip);

const COMPUTES = ["compute-1", "compute-2", "compute-3"];
const NODES = ["head", ...COMPUTES];
/** The same names in sorted order (compute-* before head), to compare with sorted results. */
const SORTED = [...NODES].sort();

const formation = (name: string, image: string) => `apiVersion: formations/v1
kind: HPCCluster
metadata: { name: ${name}, labels: { suite: workloads } }
cloud: { provider: docker }
spec:
  headNode: { machine: { instanceType: 1cpu-1g, image: "${image}" } }
  computeNodes: { count: 3, machine: { instanceType: 1cpu-1g, image: "${image}" } }
  sharedStorage: { sizeGb: 1, mountPath: /shared }
`;

describe.skipIf(Boolean(skip))("HPCCluster on Docker, on the real Pulumi engine, with the local Slurm image", () => {
  let s: WorkloadSession;
  let image: string;
  const slurm = (cmd: string[]) => s.exec("head", cmd, { timeoutMs: 180_000 });

  /** sinfo's `node state` lines once all three compute nodes are idle. */
  const idleNodes = () =>
    until(
      "three idle nodes in sinfo",
      async () => {
        await s.healthy(NODES);
        const lines = (await slurm(["sinfo", "-h", "-N", "-o", "%N %t"])).trim().split("\n").filter(Boolean);
        return lines.length === 3 && lines.every((l) => l.endsWith(" idle")) ? lines : undefined;
      },
      420_000,
      2000,
    );

  beforeAll(async () => {
    image = await localImage("slurm");
    s = await openSession("hpc");
  }, 3_600_000);

  afterAll(async () => {
    await s?.close();
  }, 600_000);

  it("up creates the head node and 3 compute nodes from the overridden image", async () => {
    const r = await s.up(formation(s.name, image));
    expect(r.result).toBe("ok");
    expect(r.machines.map((m) => m.name).sort()).toEqual(SORTED);
    const d = await s.sessions.show(s.name);
    expect(d.machines.map((m) => [m.name, m.state]).sort()).toEqual(SORTED.map((n) => [n, "running"]));
    for (const n of NODES) expect(await s.exec(n, ["ls", "/usr/sbin/slurmd", "/usr/sbin/slurmctld"])).toBe("/usr/sbin/slurmctld\n/usr/sbin/slurmd\n");
    // Only a VirtualLab has a gateway password: the library says so (exit 1) rather than returning nothing.
    await expect(s.sessions.gatewayPassword(s.name)).rejects.toThrow(/is of kind HPCCluster: only a VirtualLab has a gateway password/);
  }, 900_000);

  it("the compute nodes register with slurmctld and become idle", async () => {
    expect(await idleNodes()).toEqual(["compute-1 idle", "compute-2 idle", "compute-3 idle"]);
  }, 480_000);

  it("srun -N3 hostname prints the three compute nodes' names", async () => {
    const out = await slurm(["srun", "-N3", "hostname"]);
    console.log(`srun -N3 hostname:\n${out.trim()}`);
    expect(out.trim().split("\n").sort()).toEqual(COMPUTES);
  }, 300_000);

  it("an sbatch job writes to the shared storage and every node reads the file", async () => {
    const token = randomBytes(8).toString("hex");
    const submitted = await slurm(["sbatch", "--wait", "-N1", "-o", "/shared/job-%j.out", "--wrap", `echo ${token} from $(hostname) > /shared/result.txt`]);
    expect(submitted).toMatch(/^Submitted batch job \d+/);
    const read = await slurm(["srun", "-N3", "-l", "cat", "/shared/result.txt"]);
    const lines = read.trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(new RegExp(`^\\d+: ${token} from compute-\\d$`));
    for (const n of NODES) expect((await s.exec(n, ["cat", "/shared/result.txt"])).trim()).toMatch(token);
  }, 360_000);

  it("stop stops the compute nodes before the head node, as the journal records", async () => {
    const report = await s.sessions.stop(s.name);
    expect(report.results.map((r) => [r.machine, r.outcome, r.to]).sort()).toEqual(SORTED.map((n) => [n, "done", "stopped"]));
    const stops = (await s.sessions.journal(s.name)).filter((e) => e.action === "stop");
    const order = stops.map((e) => e.machine);
    console.log(`stop journal order: ${order.join(", ")}`);
    expect(order.slice(0, 3).sort()).toEqual(COMPUTES);
    expect(order[3]).toBe("head");
    expect(Date.parse(stops[3]!.at)).toBeGreaterThanOrEqual(Date.parse(stops[2]!.at));
    for (const n of NODES) expect((await s.sessions.show(s.name)).machines.find((m) => m.name === n)?.state).toBe("stopped");
  }, 600_000);

  it("start brings the cluster back: every compute node idle in sinfo, and a job runs", async () => {
    const report = await s.sessions.start(s.name);
    expect(report.results.every((r) => r.outcome === "done" && r.to === "running")).toBe(true);
    const starts = (await s.sessions.journal(s.name)).filter((e) => e.action === "start").map((e) => e.machine);
    expect(starts[0]).toBe("head");
    expect(await idleNodes()).toEqual(["compute-1 idle", "compute-2 idle", "compute-3 idle"]);
    expect((await slurm(["srun", "-N3", "hostname"])).trim().split("\n").sort()).toEqual(COMPUTES);
  }, 900_000);

  it("delete --machine compute-3 drains it in Slurm first: the job running there finishes, then the node goes and the rest keep working", async () => {
    const token = randomBytes(8).toString("hex");
    // A job held on compute-3 until the test lets it end (a file on the shared storage), so the delete must wait for it.
    const submitted = await slurm([
      "sbatch",
      "-w",
      "compute-3",
      "-o",
      "/shared/drain-%j.out",
      "--wrap",
      `while [ ! -e /shared/release-${token} ]; do sleep 1; done; echo ${token} > /shared/drained-after-job`,
    ]);
    const job = /Submitted batch job (\d+)/.exec(submitted)?.[1];
    expect(job, submitted).toBeDefined();
    await until(
      "the job to run on compute-3",
      async () => (await slurm(["squeue", "-h", "-j", job!, "-o", "%T %N"])).trim() === "RUNNING compute-3" || undefined,
      180_000,
      1000,
    );
    const deleting = s.sessions.deleteMachine(s.name, { machine: "compute-3", pollMs: 1000 });
    // Slurm is told first: the node is draining (no new job lands there) while its job still runs, and the container is still there.
    await until(
      "compute-3 to be draining",
      async () => /^drain/.test((await slurm(["sinfo", "-h", "-N", "-n", "compute-3", "-o", "%T"])).trim()) || undefined,
      180_000,
      1000,
    );
    expect(await s.exec("compute-3", ["hostname"])).toBe("compute-3\n");
    await s.exec("head", ["touch", `/shared/release-${token}`]);
    const report = await deleting;
    expect(report.scheduler.outcome).toBe("drained");
    expect(report.remaining.sort()).toEqual(["compute-1", "compute-2", "head"]);
    // The job finished before the node went.
    expect((await s.exec("head", ["cat", "/shared/drained-after-job"])).trim()).toBe(token);
    await expect(s.exec("compute-3", ["true"])).rejects.toThrow(/No such container/);
    expect((await slurm(["srun", "-N2", "hostname"])).trim().split("\n").sort()).toEqual(["compute-1", "compute-2"]);
    const shown = await s.sessions.show(s.name);
    expect(shown.machines.map((m) => m.name).sort()).toEqual(["compute-1", "compute-2", "head"]);
    expect((await s.sessions.journal(s.name)).some((e) => e.action === "delete" && e.machine === "compute-3" && /drained/.test(e.detail ?? ""))).toBe(true);
  }, 900_000);
});
