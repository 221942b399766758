/**
 * Test layer 4: cloud SDK calls on their exact requests (the SDK's mock library or HTTP interception); no cloud is reached.
 * The GCP driver on the exact Compute REST requests it sends, answered by a scripted API on
 * undici's MockAgent: each action's method, URL and body, no mutating request on a repeat,
 * hibernate refused before any request, the one-time spot stop, preemption read from the
 * operation log, throttling retried by batch.ts under fake timers, and a failed target in a batch.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MockAgent } from "undici";
import { GcpDriver, type GcpDriverOptions } from "../../../clouds/gcp/actions/driver.js";
import { classifyGceError, operationError } from "../../../clouds/gcp/actions/api.js";
import { fromGceStatus, machineImageName } from "../../../clouds/gcp/actions/states.js";
import { runBatch } from "../../../automation/actions/batch.js";
import { ActionError, type ActionTarget, type MachineState } from "../../../automation/actions/types.js";
import { drive, FAKE_TIMERS, FakeApi, mockHttp } from "../../automation/actions/rest-mock.js";

const ORIGIN = "https://compute.googleapis.com";
const ZONE = "/compute/v1/projects/p1/zones/europe-west1-b";
const inst = (name = "s1-head") => `${ZONE}/instances/${name}`;
const opWait = (name: string) => `${ZONE}/operations/${name}/wait`;
const target = (machine = "head", extra: Partial<ActionTarget> = {}): ActionTarget => ({
  session: "s1",
  machine,
  role: "head",
  project: "p1",
  zone: "europe-west1-b",
  ...extra,
});

const running = { id: "101", name: "s1-head", status: "RUNNING", scheduling: { provisioningModel: "STANDARD" } };
const withStatus = (status: string, more: object = {}) => ({ status: 200, body: { ...running, status, ...more } });
const op = (name: string, status = "RUNNING") => ({ status: 200, body: { name, status, operationType: name.split("-")[0] } });
const missing = {
  status: 404,
  body: { error: { code: 404, message: "The resource 'projects/p1/zones/europe-west1-b/instances/s1-head' was not found", errors: [{ reason: "notFound" }] } },
};

let http: { agent: MockAgent; restore: () => Promise<void> };
let api: FakeApi;
const driver = (o: GcpDriverOptions = {}) =>
  new GcpDriver({ auth: { accessToken: async () => "tok-1" }, pollMs: 0, waitMs: 60_000, now: () => new Date("2030-01-02T03:04:05Z"), ...o });

beforeEach(() => {
  http = mockHttp();
  api = new FakeApi(http.agent, ORIGIN);
});
afterEach(async () => {
  vi.useRealTimers();
  await http.restore();
});

describe("fromGceStatus", () => {
  const table: [string | undefined, MachineState][] = [
    ["PROVISIONING", "pending"],
    ["STAGING", "pending"],
    ["PENDING", "pending"],
    ["REPAIRING", "pending"],
    ["RUNNING", "running"],
    ["STOPPING", "stopped"],
    ["PENDING_STOP", "stopped"],
    ["DEPROVISIONING", "stopped"],
    ["STOPPED", "stopped"],
    ["TERMINATED", "stopped"],
    ["SUSPENDING", "hibernated"],
    ["SUSPENDED", "hibernated"],
    ["MISSING", "terminated"],
    [undefined, "terminated"],
  ];
  it.each(table)("%s → %s", (raw, state) => expect(fromGceStatus(raw)).toBe(state));
  it("a TERMINATED spot VM that GCE preempted is interrupted", () => expect(fromGceStatus("TERMINATED", { preempted: true })).toBe("interrupted"));
  it("refuses to guess an unknown status", () => expect(() => fromGceStatus("HOVERING")).toThrow(/unknown GCE instance status 'HOVERING'/));
});

describe("classifying Compute API errors", () => {
  const body = (reason: string, message = "m") => ({ error: { code: 0, message, errors: [{ reason }] } });
  const table: [number, unknown, string][] = [
    [429, body("rateLimitExceeded"), "throttled"],
    [403, body("rateLimitExceeded"), "throttled"],
    [403, body("userRateLimitExceeded"), "throttled"],
    [404, body("notFound"), "not-found"],
    [409, body("conflict"), "invalid-state"],
    [409, body("alreadyExists"), "other"],
    [400, body("resourceNotReady"), "transient"],
    [503, undefined, "transient"],
    [401, body("authError"), "other"],
    [403, body("forbidden"), "other"],
    [400, body("invalid"), "other"],
  ];
  it.each(table)("%i %j → %s", (status, b, kind) => expect(classifyGceError(status, b, "GCE instance x").kind).toBe(kind));
  it("a finished operation's error keeps GCE's code and says what to do about capacity", () => {
    const e = operationError(
      { name: "o", status: "DONE", operationType: "start", error: { errors: [{ code: "ZONE_RESOURCE_POOL_EXHAUSTED", message: "no n2" }] } },
      "GCE instance x",
      "stopped",
    );
    expect(e?.message).toMatch(/start failed: ZONE_RESOURCE_POOL_EXHAUSTED: no n2 \(no capacity in the zone now/);
    expect(operationError({ name: "o", status: "DONE", error: { errors: [{ code: "UNSUPPORTED_OPERATION" }] } }, "x", "running")?.kind).toBe("invalid-state");
  });
});

describe("finding the instance", () => {
  it("reads project, zone and name from a providerId, a self-link, or the target and the adapter's naming", async () => {
    const d = driver();
    expect(await d.ref(target("head", { providerId: "projects/p9/zones/us-east1-c/instances/vm-1" }))).toEqual({
      project: "p9",
      zone: "us-east1-c",
      name: "vm-1",
    });
    expect(await d.ref(target("head", { providerId: "https://www.googleapis.com/compute/v1/projects/p9/zones/us-east1-c/instances/vm-1" }))).toEqual({
      project: "p9",
      zone: "us-east1-c",
      name: "vm-1",
    });
    expect(await d.ref(target("compute-3"))).toEqual({ project: "p1", zone: "europe-west1-b", name: "s1-compute-3" });
  });
  it("says which setting is missing when there is no zone", async () => {
    await expect(driver().ref({ session: "s1", machine: "head", role: "head", project: "p1" })).rejects.toThrow(/no zone for s1\/head: .*cloud\.zone/);
  });
});

describe("actions: exact requests", () => {
  it("start sends POST …/start with the bearer token, waits on the zonal operation and reads the state again", async () => {
    api.on("GET", inst(), withStatus("TERMINATED"), withStatus("RUNNING"));
    api.on("POST", `${inst()}/start`, op("start-1"));
    api.on("POST", opWait("start-1"), op("start-1", "DONE"));
    const r = await driver().start(target());
    expect(api.calls()).toEqual([`GET ${inst()}`, `POST ${inst()}/start`, `POST ${opWait("start-1")}`, `GET ${inst()}`]);
    expect(api.log.every((c) => c.headers.authorization === "Bearer tok-1")).toBe(true);
    expect(api.log[1]!.body).toBeUndefined();
    expect(r).toEqual({ session: "s1", machine: "head", action: "start", outcome: "done", from: "stopped", to: "running" });
  });

  it("start of a suspended instance resumes it", async () => {
    api.on("GET", inst(), withStatus("SUSPENDED"), withStatus("RUNNING"));
    api.on("POST", `${inst()}/resume`, op("resume-1", "DONE"));
    const r = await driver().start(target());
    expect(api.mutating()).toEqual([`POST ${inst()}/resume`]);
    expect(r).toMatchObject({ outcome: "done", from: "hibernated", to: "running" });
  });

  it("start, stop, hibernate and terminate on a machine already there send no mutating request", async () => {
    api.on("GET", inst(), withStatus("RUNNING"));
    expect((await driver().start(target())).outcome).toBe("no-op");
    api.on("GET", inst(), withStatus("TERMINATED"));
    expect(await driver().stop(target())).toMatchObject({ outcome: "no-op", from: "stopped", to: "stopped" });
    api.on("GET", inst(), withStatus("SUSPENDED"));
    expect((await driver().hibernate(target())).outcome).toBe("no-op");
    api.on("GET", inst(), missing);
    expect(await driver().terminate(target())).toMatchObject({ outcome: "no-op", from: "terminated", to: "terminated" });
    expect(await driver().state(target())).toBe("terminated");
    expect(api.mutating()).toEqual([]);
  });

  it("stop while GCE is already stopping waits for it to settle, then is a no-op", async () => {
    api.on("GET", inst(), withStatus("STOPPING"), withStatus("STOPPING"), withStatus("TERMINATED"));
    const r = await driver().stop(target());
    expect(api.mutating()).toEqual([]);
    expect(r).toMatchObject({ outcome: "no-op", from: "stopped", to: "stopped" });
  });

  it("stop of an instance with a local SSD asks GCE to discard it and says so; --force says GCE has no forced stop", async () => {
    api.on("GET", inst(), withStatus("RUNNING", { disks: [{ type: "PERSISTENT" }, { type: "SCRATCH" }] }), withStatus("TERMINATED"));
    api.on("POST", `${inst()}/stop?discardLocalSsd=true`, op("stop-1", "DONE"));
    const r = await driver().stop(target(), true);
    expect(api.mutating()).toEqual([`POST ${inst()}/stop?discardLocalSsd=true`]);
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "stopped" });
    expect(r.fallback).toMatch(/GCE has no forced stop: a plain stop.*; the local SSD contents were discarded/);
  });

  it("hibernate is refused before any request when hibernation was not enabled at launch", async () => {
    const e = await driver()
      .hibernate(target("head", { hibernation: false }))
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ActionError);
    expect((e as ActionError).message).toMatch(/was not launched with hibernation.*use stop/);
    expect(api.log).toEqual([]);
  });

  it("hibernate of a GPU VM is refused after reading it, before any mutating request", async () => {
    api.on("GET", inst(), withStatus("RUNNING", { guestAccelerators: [{ acceleratorType: "nvidia-tesla-t4", acceleratorCount: 1 }] }));
    await expect(driver().hibernate(target())).rejects.toThrow(/GCE cannot suspend a VM with GPUs: use stop/);
    expect(api.mutating()).toEqual([]);
  });

  it("hibernate suspends; --force says GCE has no forced suspend", async () => {
    api.on("GET", inst(), withStatus("RUNNING"), withStatus("SUSPENDED"));
    api.on("POST", `${inst()}/suspend`, op("suspend-1"));
    api.on("POST", opWait("suspend-1"), op("suspend-1", "DONE"));
    const r = await driver().hibernate(target("head", { hibernation: true }), true);
    expect(api.mutating()).toEqual([`POST ${inst()}/suspend`]);
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "hibernated", fallback: "GCE has no forced suspend: suspended as without --force" });
  });

  it("reboot is a stop then a start (GCE has no guest reboot); force reboot is reset", async () => {
    api.on("GET", inst(), withStatus("RUNNING"));
    api.on("POST", `${inst()}/stop`, op("stop-1", "DONE"));
    api.on("POST", `${inst()}/start`, op("start-1", "DONE"));
    const r = await driver().reboot(target());
    expect(api.mutating()).toEqual([`POST ${inst()}/stop`, `POST ${inst()}/start`]);
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "running" });
    expect(r.fallback).toMatch(/no graceful reboot call: stopped \(clean shutdown\) and started again/);
    api.log.length = 0;
    api.on("POST", `${inst()}/reset`, op("reset-1", "DONE"));
    const f = await driver().reboot(target(), true);
    expect(api.mutating()).toEqual([`POST ${inst()}/reset`]);
    expect(f.fallback).toBeUndefined();
  });

  it("reboot of a stopped instance fails as invalid-state without a mutating request", async () => {
    api.on("GET", inst(), withStatus("TERMINATED"));
    await expect(driver().reboot(target())).rejects.toMatchObject({ kind: "invalid-state", message: expect.stringMatching(/nothing to reboot \(use start\)/) });
    expect(api.mutating()).toEqual([]);
  });

  it("snapshot inserts a machine image from the instance and returns its id at once", async () => {
    api.on("GET", inst(), withStatus("RUNNING"));
    api.on("POST", "/compute/v1/projects/p1/global/machineImages", op("insert-1"));
    const r = await driver().snapshot(target());
    expect(api.calls()).toEqual([`GET ${inst()}`, "POST /compute/v1/projects/p1/global/machineImages"]);
    expect(api.log[1]!.body).toEqual({
      name: "s1-head-20300102030405",
      description: "formations snapshot of s1/head",
      labels: { "formations-session": "s1", "formations-machine": "head" },
      sourceInstance: "projects/p1/zones/europe-west1-b/instances/s1-head",
    });
    expect(r).toMatchObject({
      action: "snapshot",
      outcome: "done",
      from: "running",
      to: "running",
      imageId: "projects/p1/global/machineImages/s1-head-20300102030405",
    });
  });

  it("snapshot refuses a name GCE would refuse, before any mutating request", async () => {
    api.on("GET", inst(), withStatus("RUNNING"));
    await expect(driver().snapshot(target(), "My_Image")).rejects.toThrow(/'My_Image' is not a valid GCE machine image name/);
    expect(api.mutating()).toEqual([]);
    expect(machineImageName({ session: "9Lab", machine: "Head.1" }, new Date("2030-01-02T03:04:05Z"))).toBe("f-9lab-head-1-20300102030405");
  });

  it("terminate deletes the instance and waits until GCE no longer has it", async () => {
    api.on("GET", inst(), withStatus("RUNNING"), missing);
    api.on("DELETE", inst(), op("delete-1"));
    api.on("POST", opWait("delete-1"), op("delete-1", "DONE"));
    const r = await driver().terminate(target());
    expect(api.mutating()).toEqual([`DELETE ${inst()}`]);
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "terminated" });
  });

  it("a failed operation is a classified error", async () => {
    api.on("GET", inst(), withStatus("TERMINATED"));
    api.on("POST", `${inst()}/start`, {
      status: 200,
      body: { name: "start-1", status: "DONE", operationType: "start", error: { errors: [{ code: "ZONE_RESOURCE_POOL_EXHAUSTED", message: "no capacity" }] } },
    });
    await expect(driver().start(target())).rejects.toMatchObject({
      kind: "other",
      from: "stopped",
      message: expect.stringMatching(/ZONE_RESOURCE_POOL_EXHAUSTED/),
    });
  });

  it("without an auth option, credentials come from google-auth-library (loaded then); none found says how to get them", async () => {
    vi.stubEnv("HOME", "/nonexistent-formations-home");
    vi.stubEnv("CLOUDSDK_CONFIG", "/nonexistent-formations-home/gcloud");
    vi.stubEnv("GOOGLE_APPLICATION_CREDENTIALS", undefined);
    vi.stubEnv("METADATA_SERVER_DETECTION", "none"); // never probe a metadata server from a test
    try {
      await expect(new GcpDriver().state(target())).rejects.toMatchObject({
        kind: "other",
        message: expect.stringMatching(/no usable Google credentials .*gcloud auth application-default login/),
      });
    } finally {
      vi.unstubAllEnvs();
    }
    expect(api.log).toEqual([]);
  });

  it("a network failure is unreachable", async () => {
    const d = driver({ endpoint: "https://compute.unreachable.test/compute/v1" });
    http.agent
      .get("https://compute.unreachable.test")
      .intercept({ path: () => true })
      .replyWithError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    await expect(d.state(target())).rejects.toMatchObject({ kind: "unreachable" });
  });
});

describe("spot", () => {
  const spot = (action: string, status = "RUNNING") =>
    withStatus(status, {
      scheduling: { provisioningModel: "SPOT", preemptible: true, instanceTerminationAction: action },
      lastStartTimestamp: "2030-01-01T10:00:00.000-08:00",
    });
  const preempted = `${ZONE}/operations?filter=${new URLSearchParams({ filter: '(operationType = "compute.instances.preempted") AND (targetId = "101")' }).toString().slice("filter=".length)}`;

  it("stop of a spot VM GCE deletes on reclaim saves a machine image, waits for it, then deletes the VM", async () => {
    api.on("GET", inst(), spot("DELETE"), missing);
    api.on("POST", "/compute/v1/projects/p1/global/machineImages", op("insert-1"));
    api.on("POST", "/compute/v1/projects/p1/global/operations/insert-1/wait", op("insert-1", "DONE"));
    api.on("DELETE", inst(), op("delete-1"));
    api.on("POST", opWait("delete-1"), op("delete-1", "DONE"));
    const r = await driver().stop(target());
    expect(api.calls()).toEqual([
      `GET ${inst()}`,
      "POST /compute/v1/projects/p1/global/machineImages",
      "POST /compute/v1/projects/p1/global/operations/insert-1/wait",
      `DELETE ${inst()}`,
      `POST ${opWait("delete-1")}`,
      `GET ${inst()}`,
    ]);
    expect(r).toMatchObject({
      action: "stop",
      outcome: "done",
      from: "running",
      to: "terminated",
      imageId: "projects/p1/global/machineImages/s1-head-20300102030405",
    });
    expect(r.fallback).toMatch(/never kept stopped: saved as machine image .*, then deleted/);
  });

  it("a spot VM GCE stopped to reclaim capacity reads as interrupted (the zone's operation log)", async () => {
    api.on("GET", inst(), spot("STOP", "TERMINATED"));
    api.on("GET", preempted, {
      status: 200,
      body: { items: [{ name: "p-1", operationType: "compute.instances.preempted", insertTime: "2030-01-01T12:00:00.000-08:00" }] },
    });
    expect(await driver().state(target())).toBe("interrupted");
    api.on("GET", preempted, {
      status: 200,
      body: { items: [{ name: "p-0", operationType: "compute.instances.preempted", insertTime: "2029-12-31T12:00:00.000-08:00" }] },
    });
    expect(await driver().state(target())).toBe("stopped");
  });
});

describe("through batch.ts", () => {
  it("retries throttling (429 rateLimitExceeded twice) with backoff, then succeeds", async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const throttled = { status: 429, body: { error: { code: 429, message: "Rate Limit Exceeded", errors: [{ reason: "rateLimitExceeded" }] } } };
    api.on("GET", inst(), throttled, throttled, withStatus("RUNNING"), withStatus("TERMINATED"));
    api.on("POST", `${inst()}/stop`, op("stop-1", "DONE"));
    const [r] = await drive(runBatch(driver(), [target()], "stop", { random: () => 0.5, baseDelayMs: 1000 }));
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "stopped", attempts: 3 });
    const gets = api.log.filter((c) => c.method === "GET").map((c) => c.at);
    // Full jitter at 0.5: 500 ms after the first 429, 1000 ms after the second.
    expect(gets[1]! - gets[0]!).toBeGreaterThanOrEqual(500);
    expect(gets[2]! - gets[1]!).toBeGreaterThanOrEqual(1000);
    expect(api.mutating()).toEqual([`POST ${inst()}/stop`]);
  });

  it("a failed target among others: one result each, the failure says why", async () => {
    for (const m of ["a", "c"]) {
      api.on("GET", inst(`s1-${m}`), withStatus("RUNNING"), withStatus("TERMINATED"));
      api.on("POST", `${inst(`s1-${m}`)}/stop`, op(`stop-${m}`, "DONE"));
    }
    api.on("GET", inst("s1-b"), missing);
    const rs = await runBatch(
      driver(),
      ["a", "b", "c"].map((m) => target(m)),
      "stop",
      { retries: 0 },
    );
    expect(rs.map((r) => [r.machine, r.outcome])).toEqual([
      ["a", "done"],
      ["b", "failed"],
      ["c", "done"],
    ]);
    expect(rs[1]!.error).toMatch(/GCE instance s1-b \(p1, europe-west1-b\) does not exist.*cannot stop it/);
    expect(api.mutating().sort()).toEqual([`POST ${inst("s1-a")}/stop`, `POST ${inst("s1-c")}/stop`]);
  });
});
