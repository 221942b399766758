/**
 * Layer 2 (library over FakeEngine, a test double of the engine, and TestDoubleDriver, a test
 * double of a provider's API): an EMRCluster on a managed service under session actions. Dataproc
 * is stopped and started as a whole through the driver's cluster, after/before the proxy; EMR and
 * HDInsight refuse stop, shutdown and hibernate before any call (exit 1) with the reason and the
 * choices; `spec.managed: false` gives machines acted on one by one; show, cost and plan say the
 * cluster is billed while it exists.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SessionError } from "../../../automation/session/errors.js";
import type { ClusterDriver, ClusterRef, ClusterResult, MachineState } from "../../../automation/actions/types.js";
import type { Provider } from "../../../format/types.js";
import { loadFormationText } from "../../../format/load.js";
import { planSession } from "../../../plan/index.js";
import { harness, type Harness } from "../helpers.js";
import { mirrorInto, TestDoubleDriver } from "./test-double-driver.js";

const CLOUD: Partial<Record<Provider, string>> = {
  aws: "provider: aws\n  region: eu-west-1",
  azure: "provider: azure\n  region: westeurope",
  gcp: "provider: gcp\n  region: europe-west1\n  zone: europe-west1-b\n  project: lab-project",
};

function emr(provider: Provider, extra = ""): string {
  return `apiVersion: formations/v1\nkind: EMRCluster\nmetadata:\n  name: emr\ncloud:\n  ${CLOUD[provider]}\nspec:\n${extra}  master:\n    machine: { size: medium }\n  workers:\n    count: 3\n    machine: { size: medium }\n`;
}

/** A Dataproc-like cluster double: records calls, moves between running and stopped. */
class FakeCluster implements ClusterDriver {
  readonly calls: string[] = [];
  now: MachineState = "running";
  /** The fake cloud behind the fake engine sees the nodes move with the cluster. */
  onMove?: (session: string, to: MachineState) => void;
  async state(): Promise<MachineState> {
    return this.now;
  }
  private move(ref: ClusterRef, verb: string, to: MachineState): ClusterResult {
    this.calls.push(`${verb} ${ref.name} ${ref.region} ${ref.project}`);
    const from = this.now;
    this.now = to;
    this.onMove?.(ref.session, to);
    return { outcome: from === to ? "no-op" : "done", from, to };
  }
  async start(ref: ClusterRef): Promise<ClusterResult> {
    return this.move(ref, "start", "running");
  }
  async stop(ref: ClusterRef): Promise<ClusterResult> {
    return this.move(ref, "stop", "stopped");
  }
}

class ClusterDriverDouble extends TestDoubleDriver {
  readonly cluster = new FakeCluster();
  constructor(provider: Provider) {
    super(provider);
    this.cluster.onMove = (session, to) => {
      for (const n of ["master", "worker-1", "worker-2", "worker-3"]) this.onChange?.(session, n, to);
    };
  }
}

let h: Harness;
let driver: ClusterDriverDouble;
let order: string[];

beforeEach(async () => {
  driver = new ClusterDriverDouble("gcp");
  order = [];
  h = await harness({ drivers: () => driver });
  mirrorInto(driver, h.engine);
});
afterEach(() => h.cleanup());

async function up(text: string): Promise<void> {
  await h.sessions.up(await h.file("emr.yaml", text), { session: "emr" });
}

describe("Dataproc: the cluster is stopped and started as a whole", () => {
  it("stop: the cluster first (one call for master and workers), then the proxy; start the other way", async () => {
    await up(emr("gcp"));
    const stop = await h.sessions.stop("emr", { onResult: (r) => order.push(`${r.action} ${r.machine}`) });
    expect(driver.cluster.calls).toEqual(["stop emr europe-west1 lab-project"]);
    expect(order).toEqual(["stop master", "stop worker-1", "stop worker-2", "stop worker-3", "stop proxy"]);
    expect(stop.results.map((r) => [r.machine, r.outcome, r.from, r.to, r.path])).toEqual([
      ["proxy", "done", "running", "stopped", "declarative"],
      ["master", "done", "running", "stopped", "driver"],
      ["worker-1", "done", "running", "stopped", "driver"],
      ["worker-2", "done", "running", "stopped", "driver"],
      ["worker-3", "done", "running", "stopped", "driver"],
    ]);
    expect(stop.notes).toEqual(["master, worker-1..3: the Dataproc cluster is stopped as a whole"]);
    expect((await h.sessions.show("emr")).machines.map((m) => [m.name, m.state])).toEqual([
      ["proxy", "stopped"],
      ["master", "stopped"],
      ["worker-1", "stopped"],
      ["worker-2", "stopped"],
      ["worker-3", "stopped"],
    ]);
    order = [];
    const start = await h.sessions.start("emr", { onResult: (r) => order.push(`${r.action} ${r.machine}`) });
    expect(order).toEqual(["start proxy", "start master", "start worker-1", "start worker-2", "start worker-3"]);
    expect(start.results.every((r) => r.outcome === "done" && r.to === "running")).toBe(true);
    expect(driver.cluster.calls).toEqual(["stop emr europe-west1 lab-project", "start emr europe-west1 lab-project"]);
  });

  it("a second stop is a no-op; one node alone is refused, pointing at the session", async () => {
    await up(emr("gcp"));
    await h.sessions.stop("emr");
    const again = await h.sessions.stop("emr");
    expect(again.results.filter((r) => r.path === "driver").map((r) => r.outcome)).toEqual(["no-op", "no-op", "no-op", "no-op"]);
    const e = await h.sessions.stop("emr", { machine: "worker-2" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SessionError);
    expect((e as SessionError).message).toBe(
      "worker-2 is a node of the Dataproc cluster, which is started and stopped as a whole: act on the session ('formations stop emr'), or destroy it (session 'emr')",
    );
  });
});

describe("EMR and HDInsight cannot stop a cluster: stop is refused, nothing changed", () => {
  it.each([
    ["aws", "EMR", "an EMR cluster"],
    ["azure", "HDInsight", "an HDInsight cluster"],
  ] as const)("%s: stop, shutdown and hibernate refused (exit 1) with the reason and the choices", async (provider, service, what) => {
    driver = new ClusterDriverDouble(provider);
    h.cleanup();
    h = await harness({ drivers: () => driver });
    mirrorInto(driver, h.engine);
    await up(emr(provider));
    for (const action of ["stop", "shutdown", "hibernate"] as const) {
      const e = await h.sessions[action]("emr").catch((x: unknown) => x);
      expect(e).toBeInstanceOf(SessionError);
      expect((e as SessionError).exitCode).toBe(1);
      expect((e as SessionError).message).toBe(
        `cannot ${action} session 'emr': its master and workers (master, worker-1..3) are ${what}, which ${service} cannot stop, and which is billed while it exists. ` +
          `Nothing was changed. Choices: resize the workers to their minimum (spec.workers.count: 1 in the formation '${(await h.sessions.show("emr")).file}', then 'formations up'), ` +
          "destroy the session ('formations destroy emr'), or launch it with spec.managed: false (Spark on machines that stop one by one)",
      );
    }
    expect(driver.calls).toEqual([]);
    expect((await h.sessions.show("emr")).machines.every((m) => m.state === "running")).toBe(true);
  });

  it("show and cost say the cluster is billed while it exists; the plan says it too", async () => {
    driver = new ClusterDriverDouble("aws");
    await up(emr("aws"));
    const note =
      "master, worker-1..3 run in an EMR cluster, billed while it exists: EMR cannot stop a cluster, so only destroying the session (or fewer workers) stops the bill";
    expect((await h.sessions.show("emr")).cost.warnings).toContain(note);
    expect(planSession(loadFormationText(emr("aws"), "emr.yaml")).notes).toContain(note);
    expect(planSession(loadFormationText(emr("gcp"), "emr.yaml")).notes).toContain(
      "master, worker-1..3 run in a Dataproc cluster, billed while it runs: 'formations stop' stops the whole cluster (its disks are still billed until the session is destroyed)",
    );
  });
});

describe("spec.managed: false: Spark on machines, each acted on by itself", () => {
  it.each(["aws", "gcp", "azure"] as const)("%s: no managed nodes, a Spark release, no billing note", (provider) => {
    const plan = planSession(loadFormationText(emr(provider, "  managed: false\n"), "emr.yaml"));
    expect(plan.bigData).toEqual({ managed: false, release: "spark-3.5.3", applications: ["spark"] });
    expect(plan.machines.filter((m) => m.managedBy)).toEqual([]);
    expect(plan.notes.join("\n")).not.toMatch(/billed while it/);
  });

  it("aws: stop reaches every machine, tier by tier", async () => {
    driver = new ClusterDriverDouble("aws");
    await up(emr("aws", "  managed: false\n"));
    const r = await h.sessions.stop("emr");
    expect(r.results.map((x) => [x.machine, x.outcome])).toEqual([
      ["proxy", "done"],
      ["master", "done"],
      ["worker-1", "done"],
      ["worker-2", "done"],
      ["worker-3", "done"],
    ]);
    expect(r.notes).toEqual([]);
    expect(driver.cluster.calls).toEqual([]);
  });
});
