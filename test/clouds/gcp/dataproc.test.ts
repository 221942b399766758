/**
 * Layer 4: the Dataproc cluster driver on the exact REST requests it sends (dataproc.googleapis.com
 * answered by a scripted API on undici's MockAgent): stop and start of the cluster as a whole,
 * nothing sent on a repeat, a cluster already on its way waited for rather than asked again,
 * states normalised, and failures (missing cluster, permission, ERROR state, deadline) said plainly.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MockAgent } from "undici";
import { Dataproc, fromDataprocState } from "../../../clouds/gcp/actions/dataproc.js";
import { GcpDriver } from "../../../clouds/gcp/actions/driver.js";
import { ActionError, type ClusterRef } from "../../../automation/actions/types.js";
import { FakeApi, mockHttp } from "../../automation/actions/rest-mock.js";

const ORIGIN = "https://dataproc.googleapis.com";
const CLUSTER = "/v1/projects/p1/regions/europe-west1/clusters/s1";
const ref: ClusterRef = { session: "s1", name: "s1", region: "europe-west1", project: "p1" };
const state = (s: string) => ({ status: 200, body: { clusterName: "s1", status: { state: s } } });
const operation = { status: 200, body: { name: "projects/p1/regions/europe-west1/operations/op-1", done: false } };

let http: { agent: MockAgent; restore: () => Promise<void> };
let api: FakeApi;
const auth = { accessToken: async () => "tok-1" };
const dataproc = (waitMs = 60_000) => new Dataproc({ auth, pollMs: 0, waitMs });

beforeEach(() => {
  http = mockHttp();
  api = new FakeApi(http.agent, ORIGIN);
});
afterEach(async () => {
  await http.restore();
});

describe("fromDataprocState", () => {
  it.each([
    ["RUNNING", "running"],
    ["STOPPED", "stopped"],
    ["STOPPING", "pending"],
    ["STARTING", "pending"],
    ["CREATING", "pending"],
    ["UPDATING", "pending"],
    ["DELETING", "terminated"],
    [undefined, "terminated"],
  ] as const)("%s → %s", (raw, s) => expect(fromDataprocState(raw)).toBe(s));
  it("ERROR is a failure naming the cluster", () =>
    expect(() => fromDataprocState("ERROR", "Dataproc cluster s1")).toThrow(
      "Dataproc cluster s1 is in state ERROR: see its details in the Google Cloud console, or destroy the session",
    ));
});

describe("Dataproc stop and start", () => {
  it("stop: reads the cluster, POSTs :stop with an empty body and the token, then reads until STOPPED", async () => {
    api.on("GET", CLUSTER, state("RUNNING"), state("STOPPING"), state("STOPPING"), state("STOPPED"));
    api.on("POST", `${CLUSTER}:stop`, operation);
    expect(await dataproc().stop(ref)).toEqual({ outcome: "done", from: "running", to: "stopped" });
    expect(api.calls()).toEqual([`GET ${CLUSTER}`, `POST ${CLUSTER}:stop`, `GET ${CLUSTER}`, `GET ${CLUSTER}`, `GET ${CLUSTER}`]);
    const post = api.log.find((r) => r.method === "POST")!;
    expect(post.body).toEqual({});
    expect(post.headers.authorization).toBe("Bearer tok-1");
  });

  it("start: POSTs :start and waits for RUNNING", async () => {
    api.on("GET", CLUSTER, state("STOPPED"), state("STARTING"), state("RUNNING"));
    api.on("POST", `${CLUSTER}:start`, operation);
    expect(await dataproc().start(ref)).toEqual({ outcome: "done", from: "stopped", to: "running" });
    expect(api.mutating()).toEqual([`POST ${CLUSTER}:start`]);
  });

  it("acting twice is safe: a stopped cluster is a no-op with no request that changes anything", async () => {
    api.on("GET", CLUSTER, state("STOPPED"));
    expect(await dataproc().stop(ref)).toEqual({ outcome: "no-op", from: "stopped", to: "stopped" });
    expect(api.mutating()).toEqual([]);
  });

  it("a cluster already stopping is waited for, not asked again", async () => {
    api.on("GET", CLUSTER, state("STOPPING"), state("STOPPED"));
    expect(await dataproc().stop(ref)).toEqual({ outcome: "done", from: "pending", to: "stopped" });
    expect(api.mutating()).toEqual([]);
  });

  it("a cluster that does not exist is not-found, with what to do", async () => {
    api.on("GET", CLUSTER, {
      status: 404,
      body: { error: { code: 404, message: "Not found: Cluster projects/p1/regions/europe-west1/clusters/s1", status: "NOT_FOUND" } },
    });
    const e = await dataproc()
      .stop(ref)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ActionError);
    expect((e as ActionError).kind).toBe("not-found");
    expect((e as ActionError).message).toBe("Dataproc cluster s1 (p1, europe-west1) does not exist (deleted outside formations?): run 'formations refresh s1'");
  });

  it("permission denied names the role", async () => {
    api.on("GET", CLUSTER, state("RUNNING"));
    api.on("POST", `${CLUSTER}:stop`, {
      status: 403,
      body: { error: { code: 403, message: "Required 'dataproc.clusters.stop' permission", status: "PERMISSION_DENIED" } },
    });
    await expect(dataproc().stop(ref)).rejects.toThrow(
      "Dataproc cluster s1 (p1, europe-west1): permission denied: the account needs the Dataproc Editor role on the project",
    );
  });

  it("a cluster that ends in ERROR fails the action", async () => {
    api.on("GET", CLUSTER, state("RUNNING"), state("ERROR"));
    api.on("POST", `${CLUSTER}:stop`, operation);
    await expect(dataproc().stop(ref)).rejects.toThrow("Dataproc cluster s1 (p1, europe-west1) is in state ERROR");
  });

  it("a cluster still stopping at the deadline is a timeout", async () => {
    api.on("GET", CLUSTER, state("RUNNING"), state("STOPPING"));
    api.on("POST", `${CLUSTER}:stop`, operation);
    const e = await dataproc(0)
      .stop(ref)
      .catch((x: unknown) => x);
    expect((e as ActionError).kind).toBe("timeout");
    expect((e as ActionError).message).toMatch(/^Dataproc cluster s1 \(p1, europe-west1\) did not reach STOPPED within 0 s \(it is STOPPING\)/);
  });

  it("the GCP driver carries it, sharing the token source and project", async () => {
    api.on("GET", CLUSTER, state("STOPPED"));
    const driver = new GcpDriver({ auth, project: "p1", dataproc: { pollMs: 0 } });
    expect(await driver.cluster.state({ session: "s1", name: "s1", region: "europe-west1" })).toBe("stopped");
    expect(api.calls()).toEqual([`GET ${CLUSTER}`]);
  });
});
