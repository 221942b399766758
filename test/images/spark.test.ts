/**
 * Layer 3: the real Docker engine (no Pulumi engine yet: sessions on it come later, issue 10).
 * The local Spark image (Java from Debian, Spark 3.5.3's jars from Maven Central) and nginx
 * image run an EMRCluster the way the Docker adapter starts it: the standalone master and two
 * workers with the adapter's command lines, nginx with its uploaded site. The workers register
 * (the master's UI, read through the proxy's published port, lists them), and a Pi job
 * submitted to the cluster completes on the workers.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFormationText } from "../../format/load.js";
import { buildImage, exec, http, launch, until, type Session } from "./adapter-docker.js";
import { PROXY_HTTP_PORT } from "../../clouds/docker/emit/ports.js";

const formation = (spark: string, nginx: string) =>
  loadFormationText(`apiVersion: formations/v1
kind: EMRCluster
metadata: { name: images-spark, labels: { team: qa } }
cloud: { provider: docker }
spec:
  applications: [spark]
  master: { machine: { instanceType: 2cpu-3g, image: "${spark}" } }
  workers: { count: 2, machine: { instanceType: 1cpu-2g, image: "${spark}" } }
  proxy: { machine: { instanceType: 1cpu-512m, image: "${nginx}" } }
`);

interface MasterState {
  status: string;
  aliveworkers: number;
  workers: { host: string; state: string }[];
}

describe("Spark image, started as the Docker adapter starts it", () => {
  let s: Session;
  let spark: string;
  let ui: string;

  beforeAll(async () => {
    spark = await buildImage("spark");
    const nginx = await buildImage("nginx");
    s = await launch(formation(spark, nginx), `img-spark-${randomBytes(3).toString("hex")}`);
    const { host, port } = await s.hostPort("proxy", PROXY_HTTP_PORT);
    ui = `http://${host}:${port}`;
  }, 3_600_000);

  afterAll(async () => {
    await s?.remove();
  }, 120_000);

  it("publishes the proxy alone, on the loopback address", async () => {
    expect(new URL(ui).hostname).toBe("127.0.0.1");
    for (const m of ["master", "worker-1", "worker-2"]) expect(s.inputs(m).ports ?? []).toEqual([]);
    expect(s.inputs("master").image).toBe(spark);
  });

  it("both workers register with the master, as its UI says through the proxy", async () => {
    const state = await until(
      "two alive workers in the master's JSON, through the proxy",
      async () => {
        await s.healthy();
        const res = await http(`${ui}/json/`);
        if (!res.ok) return undefined;
        const j = (await res.json()) as MasterState;
        return j.aliveworkers === 2 ? j : undefined;
      },
      300_000,
      2000,
    );
    expect(state.status).toBe("ALIVE");
    expect(state.workers.map((w) => w.host).sort()).toEqual(expect.arrayContaining([expect.any(String), expect.any(String)]));
    expect(state.workers.every((w) => w.state === "ALIVE")).toBe(true);
    const page = await (await http(`${ui}/`)).text();
    expect(page).toContain("Spark Master at spark://master:7077");
  }, 360_000);

  it("a Pi job submitted to the cluster completes on the workers", async () => {
    const out = await exec(
      s.container("master"),
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
      { timeoutMs: 480_000 },
    );
    const line = out.split("\n").find((l) => l.startsWith("Pi is roughly"));
    console.log(`spark-submit: ${line}\n${out.split("\n").find((l) => l.startsWith("Executors ran on")) ?? ""}`);
    expect(line).toMatch(/^Pi is roughly 3\.1\d*$/);
    const executors =
      out
        .split("\n")
        .find((l) => l.startsWith("Executors ran on "))
        ?.slice("Executors ran on ".length)
        .split(",") ?? [];
    expect(executors.length).toBeGreaterThan(0);
    for (const e of executors) expect(["worker-1", "worker-2"]).toContain(e);
    // The master's record of the finished application.
    const done = (await (await http(`${ui}/json/`)).json()) as { completedapps: { name: string; state: string }[] };
    expect(done.completedapps.map((a) => [a.name, a.state])).toContainEqual(["Formations Pi", "FINISHED"]);
  }, 540_000);
});
