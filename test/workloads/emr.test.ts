/**
 * Layer 3: the real Pulumi engine and the real Docker engine. An EMRCluster session launched
 * through the library with `machine.image` overridden to the local Spark and nginx images
 * (scripts/images.sh): the master and 2 workers register (the master's JSON, read through the
 * proxy, lists them), the Pi job of the Spark image (FormationsPi) completes on the workers, and
 * the proxy is the only container that publishes a port: on the loopback address, the port the
 * session's connection detail names.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http, localImage, openSession, until, workloadsMissing, docker, type WorkloadSession } from "./harness.js";

const skip = await workloadsMissing();
if (skip) console.warn(skip);

const formation = (name: string, spark: string, nginx: string) => `apiVersion: formations/v1
kind: EMRCluster
metadata: { name: ${name}, labels: { suite: workloads } }
cloud: { provider: docker }
spec:
  applications: [spark]
  master: { machine: { instanceType: 2cpu-3g, image: "${spark}" } }
  workers: { count: 2, machine: { instanceType: 1cpu-2g, image: "${spark}" } }
  proxy: { machine: { instanceType: 1cpu-512m, image: "${nginx}" } }
`;

interface MasterState {
  status: string;
  aliveworkers: number;
  workers: { host: string; state: string }[];
  completedapps: { name: string; state: string }[];
}

describe.skipIf(Boolean(skip))("EMRCluster on Docker, on the real Pulumi engine, with the local Spark and nginx images", () => {
  let s: WorkloadSession;
  let images: { spark: string; nginx: string };
  let ui: string;

  beforeAll(async () => {
    images = { spark: await localImage("spark"), nginx: await localImage("nginx") };
    s = await openSession("emr");
  }, 3_600_000);

  afterAll(async () => {
    await s?.close();
  }, 600_000);

  it("up creates master, 2 workers and the proxy; the proxy's connection detail is its published port", async () => {
    const r = await s.up(formation(s.name, images.spark, images.nginx));
    expect(r.result).toBe("ok");
    const d = await s.sessions.show(s.name);
    expect(d.machines.map((m) => m.name).sort()).toEqual(["master", "proxy", "worker-1", "worker-2"]);
    const proxy = d.machines.find((m) => m.name === "proxy")!;
    expect(proxy.connect).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/?$/);
    ui = proxy.connect!.replace(/\/$/, "");
  }, 900_000);

  it("only the proxy publishes a port, on the loopback address", async () => {
    for (const m of ["master", "worker-1", "worker-2"]) expect((await docker(["port", s.container(m)])).trim()).toBe("");
    const published = (await docker(["port", s.container("proxy")])).trim().split("\n");
    expect(published).toEqual([`8080/tcp -> ${new URL(ui).host}`]);
  });

  it("both workers register with the master, as its UI says through the proxy", async () => {
    const state = await until(
      "two alive workers in the master's JSON, through the proxy",
      async () => {
        await s.healthy(["master", "worker-1", "worker-2", "proxy"]);
        const res = await http(`${ui}/json/`);
        if (!res.ok) return undefined;
        const j = (await res.json()) as MasterState;
        return j.aliveworkers === 2 ? j : undefined;
      },
      420_000,
      2000,
    );
    expect(state.status).toBe("ALIVE");
    expect(state.workers).toHaveLength(2);
    expect(state.workers.every((w) => w.state === "ALIVE")).toBe(true);
    expect(await (await http(`${ui}/`)).text()).toContain("Spark Master at spark://master:7077");
  }, 480_000);

  it("the Pi job of the Spark image completes on the workers", async () => {
    const out = await s.exec(
      "master",
      [
        "/opt/spark/bin/spark-submit",
        "--master",
        "spark://master:7077",
        "--executor-memory",
        "512m",
        "--class",
        "FormationsPi",
        "/opt/spark/examples/jars/formations-pi.jar",
        "4",
      ],
      { timeoutMs: 600_000 },
    );
    const line = out.split("\n").find((l) => l.startsWith("Pi is roughly"));
    const ran = out.split("\n").find((l) => l.startsWith("Executors ran on "));
    console.log(`spark-submit: ${line}\n${ran ?? ""}`);
    expect(line).toMatch(/^Pi is roughly 3\.1\d*$/);
    const executors = ran?.slice("Executors ran on ".length).split(",") ?? [];
    expect(executors.length).toBeGreaterThan(0);
    for (const e of executors) expect(["worker-1", "worker-2"]).toContain(e);
    const done = (await (await http(`${ui}/json/`)).json()) as MasterState;
    expect(done.completedapps.map((a) => [a.name, a.state])).toContainEqual(["Formations Pi", "FINISHED"]);
  }, 660_000);
});
