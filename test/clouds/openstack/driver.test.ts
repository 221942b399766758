/**
 * Test layer 4: cloud SDK calls on their exact requests (the SDK's mock library or HTTP interception); no cloud is reached.
 * The OpenStack driver on the exact requests it sends to Keystone and Nova, answered by scripted
 * APIs on undici's MockAgent: URLs, bodies, the X-Auth-Token and OpenStack-API-Version headers,
 * the token cached and renewed, no mutating request on a repeat, shelve as hibernate (said so),
 * ERROR with Nova's fault, 409 as invalid-state, 413/429 with Retry-After retried by batch.ts
 * under fake timers, and a failed target in a batch.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MockAgent } from "undici";
import { OpenStackDriver, SHELVE_NOTE, type OpenStackDriverOptions } from "../../../clouds/openstack/actions/driver.js";
import { classifyNovaError } from "../../../clouds/openstack/actions/nova.js";
import {
  cloudFromEnv,
  cloudFromFile,
  computeEndpoint,
  Keystone,
  tokenRequest,
  type CatalogService,
  type OpenStackCloud,
} from "../../../clouds/openstack/actions/keystone.js";
import { fromNovaStatus } from "../../../clouds/openstack/actions/states.js";
import { runBatch } from "../../../automation/actions/batch.js";
import type { ActionTarget, MachineState } from "../../../automation/actions/types.js";
import { drive, FAKE_TIMERS, FakeApi, mockHttp, type Reply } from "../../automation/actions/rest-mock.js";
import { TEST_CLOUD } from "./cloud.js";

const ID = "9f0c1e52-6a3b-4a47-8a57-2d2f4d1f6b10";
const SRV = `/v2.1/servers/${ID}`;
const ACTION = `${SRV}/action`;
const TOKENS = "POST /v3/auth/tokens";
const catalog: CatalogService[] = [
  {
    type: "compute",
    endpoints: [
      { interface: "public", region: "RegionOne", region_id: "RegionOne", url: "https://nova.test:8774/v2.1" },
      { interface: "internal", region: "RegionOne", region_id: "RegionOne", url: "http://10.0.0.5:8774/v2.1" },
      { interface: "public", region: "RegionTwo", region_id: "RegionTwo", url: "https://nova-two.test/v2.1/" },
    ],
  },
  { type: "image", endpoints: [{ interface: "public", region_id: "RegionOne", url: "https://glance.test" }] },
];
const cloud: OpenStackCloud = TEST_CLOUD;
const issued = (token: string, expires = "2099-01-01T00:00:00Z"): Reply => ({
  status: 201,
  headers: { "x-subject-token": token },
  body: { token: { expires_at: expires, catalog } },
});
const server = (status: string, task: string | null = null, more: object = {}): Reply => ({
  status: 200,
  body: { server: { id: ID, name: "s1-head", status, "OS-EXT-STS:task_state": task, ...more } },
});
const accepted: Reply = { status: 202 };
const missing: Reply = { status: 404, body: { itemNotFound: { code: 404, message: `Instance ${ID} could not be found.` } } };
const target = (extra: Partial<ActionTarget> = {}): ActionTarget => ({ session: "s1", machine: "head", role: "head", providerId: ID, ...extra });

let http: { agent: MockAgent; restore: () => Promise<void> };
let keystone: FakeApi;
let nova: FakeApi;
const driver = (o: OpenStackDriverOptions = {}) =>
  new OpenStackDriver({ keystone: new Keystone(async () => cloud), pollMs: 0, waitMs: 60_000, now: () => new Date("2030-01-02T03:04:05Z"), ...o });

beforeEach(() => {
  http = mockHttp();
  keystone = new FakeApi(http.agent, "https://keystone.test:5000").on("POST", "/v3/auth/tokens", issued("tok-1"));
  nova = new FakeApi(http.agent, "https://nova.test:8774");
});
afterEach(async () => {
  vi.useRealTimers();
  await http.restore();
});

describe("fromNovaStatus", () => {
  const table: [string | undefined, MachineState][] = [
    ["ACTIVE", "running"],
    ["PASSWORD", "running"],
    ["RESCUE", "running"],
    ["SHUTOFF", "stopped"],
    ["SHELVED", "hibernated"],
    ["SHELVED_OFFLOADED", "hibernated"],
    ["SUSPENDED", "hibernated"],
    ["PAUSED", "hibernated"],
    ["BUILD", "pending"],
    ["REBOOT", "pending"],
    ["HARD_REBOOT", "pending"],
    ["RESIZE", "pending"],
    ["VERIFY_RESIZE", "pending"],
    ["REVERT_RESIZE", "pending"],
    ["MIGRATING", "pending"],
    ["REBUILD", "pending"],
    ["DELETED", "terminated"],
    ["SOFT_DELETED", "terminated"],
    ["MISSING", "terminated"],
    [undefined, "terminated"],
  ];
  it.each(table)("%s → %s", (raw, state) => expect(fromNovaStatus(raw)).toBe(state));
  it("ERROR fails with Nova's fault message", () => {
    expect(() => fromNovaStatus("ERROR", { message: "No valid host was found. There are not enough hosts available.", code: 500 }, "server s1-head")).toThrow(
      /server s1-head is in ERROR: No valid host was found\. There are not enough hosts available\.: fix the cause/,
    );
  });
  it("UNKNOWN is transient; an unheard-of status is not guessed", () => {
    expect(() => fromNovaStatus("UNKNOWN")).toThrow(expect.objectContaining({ kind: "transient" }));
    expect(() => fromNovaStatus("LEVITATING")).toThrow(/unknown Nova server status 'LEVITATING'/);
  });
});

describe("classifying Nova errors", () => {
  const table: [number, string][] = [
    [413, "throttled"],
    [429, "throttled"],
    [404, "not-found"],
    [409, "invalid-state"],
    [401, "other"],
    [403, "other"],
    [400, "other"],
    [503, "transient"],
  ];
  it.each(table)("%i → %s", (status, kind) => expect(classifyNovaError(status, { anyKind: { code: status, message: "m" } }, "server x").kind).toBe(kind));
  it("keeps Nova's own message", () => {
    const e = classifyNovaError(
      409,
      { conflictingRequest: { code: 409, message: "Cannot 'os-stop' instance while it is in vm_state stopped" } },
      "server s1-head",
    );
    expect(e.message).toBe("server s1-head: Cannot 'os-stop' instance while it is in vm_state stopped");
  });
});

describe("Keystone", () => {
  it("asks for a project-scoped token with a password, by names or by ids", () => {
    expect(tokenRequest(cloud.auth)).toEqual({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "alice", domain: { name: "Default" }, password: "s3cret" } } },
        scope: { project: { name: "lab", domain: { name: "Default" } } },
      },
    });
    expect(tokenRequest({ auth_url: "x", user_id: "u1", password: "p", project_id: "p1" })).toEqual({
      auth: { identity: { methods: ["password"], password: { user: { id: "u1", password: "p" } } }, scope: { project: { id: "p1" } } },
    });
  });

  it("asks for an unscoped token with an application credential (it carries its project)", () => {
    expect(tokenRequest({ auth_url: "x", application_credential_id: "ac1", application_credential_secret: "sec" })).toEqual({
      auth: { identity: { methods: ["application_credential"], application_credential: { id: "ac1", secret: "sec" } } },
    });
    expect(
      tokenRequest({ auth_url: "x", application_credential_name: "ci", application_credential_secret: "sec", username: "alice", user_domain_name: "Lab" }),
    ).toEqual({
      auth: {
        identity: {
          methods: ["application_credential"],
          application_credential: { name: "ci", secret: "sec", user: { name: "alice", domain: { name: "Lab" } } },
        },
      },
    });
  });

  it("reads the standard OS_* variables", () => {
    const env = {
      OS_AUTH_URL: "https://k:5000/v3",
      OS_USERNAME: "alice",
      OS_PASSWORD: "pw",
      OS_PROJECT_NAME: "lab",
      OS_USER_DOMAIN_NAME: "Default",
      OS_PROJECT_DOMAIN_ID: "default",
      OS_REGION_NAME: "RegionTwo",
      OS_INTERFACE: "internal",
    };
    expect(cloudFromEnv(env)).toEqual({
      auth: {
        auth_url: "https://k:5000/v3",
        username: "alice",
        password: "pw",
        project_name: "lab",
        user_domain_name: "Default",
        project_domain_id: "default",
      },
      region_name: "RegionTwo",
      interface: "internal",
    });
  });

  it("reads OS_CLOUD's entry of clouds.yaml with secure.yaml merged over it, and says when it is missing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "formations-os-"));
    try {
      writeFileSync(
        join(dir, "clouds.yaml"),
        "clouds:\n  lab:\n    auth:\n      auth_url: https://k:5000\n      username: alice\n      project_name: lab\n    region_name: RegionOne\n",
      );
      writeFileSync(join(dir, "secure.yaml"), "clouds:\n  lab:\n    auth:\n      password: pw\n");
      expect(await cloudFromFile("lab", [dir], {})).toEqual({
        auth: { auth_url: "https://k:5000", username: "alice", project_name: "lab", password: "pw" },
        region_name: "RegionOne",
      });
      await expect(cloudFromFile("prod", [dir], {})).rejects.toThrow(/OS_CLOUD=prod, but .*clouds\.yaml has no cloud 'prod'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes the compute endpoint of the catalog for the interface and region", () => {
    expect(computeEndpoint(catalog, "public", "RegionOne")).toBe("https://nova.test:8774/v2.1");
    expect(computeEndpoint(catalog, "internal", undefined)).toBe("http://10.0.0.5:8774/v2.1");
    expect(computeEndpoint(catalog, "public", "RegionTwo")).toBe("https://nova-two.test/v2.1");
    expect(() => computeEndpoint(catalog, "public", undefined)).toThrow(
      /several regions \(regions: RegionOne, RegionTwo\): set cloud.region or OS_REGION_NAME/,
    );
    expect(() => computeEndpoint(catalog, "public", "Mars")).toThrow(/no compute endpoint in region 'Mars'/);
  });

  it("shares one token between calls, renews it when it expires, and once when Nova refuses it", async () => {
    keystone.on("POST", "/v3/auth/tokens", issued("tok-1", "2000-01-01T00:00:00Z"), issued("tok-2"), issued("tok-3"));
    nova.on(
      "GET",
      SRV,
      server("ACTIVE"),
      server("ACTIVE"),
      { status: 401, body: { unauthorized: { code: 401, message: "The request you have made requires authentication." } } },
      server("ACTIVE"),
    );
    const d = driver();
    await d.state(target()); // tok-1 is already expired: tok-2 is asked for at once
    await d.state(target());
    await d.state(target()); // refused: tok-3, and the read again
    expect(keystone.calls()).toEqual([TOKENS, TOKENS, TOKENS]);
    expect(keystone.log[0]!.body).toEqual(tokenRequest(cloud.auth));
    expect(nova.log.map((c) => c.headers["x-auth-token"])).toEqual(["tok-2", "tok-2", "tok-2", "tok-3"]);
  });

  it("an unreachable Keystone is unreachable", async () => {
    const d = new OpenStackDriver({ keystone: new Keystone(async () => ({ auth: { ...cloud.auth, auth_url: "https://keystone.down.test/v3" } })) });
    http.agent
      .get("https://keystone.down.test")
      .intercept({ path: "/v3/auth/tokens", method: "POST" })
      .replyWithError(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }));
    await expect(d.state(target())).rejects.toMatchObject({
      kind: "unreachable",
      message: expect.stringMatching(/Keystone at keystone.down.test is not answering \(ENOTFOUND\)/),
    });
  });
});

describe("actions: exact requests", () => {
  it("start sends os-start with the token and the microversion, then reads until ACTIVE", async () => {
    nova.on("GET", SRV, server("SHUTOFF"), server("SHUTOFF", "powering-on"), server("ACTIVE"));
    nova.on("POST", ACTION, accepted);
    const r = await driver().start(target());
    expect(nova.calls()).toEqual([`GET ${SRV}`, `POST ${ACTION}`, `GET ${SRV}`, `GET ${SRV}`]);
    expect(nova.log[1]!.body).toEqual({ "os-start": null });
    expect(nova.log.every((c) => c.headers["x-auth-token"] === "tok-1" && c.headers["openstack-api-version"] === "compute 2.45")).toBe(true);
    expect(r).toEqual({ session: "s1", machine: "head", action: "start", outcome: "done", from: "stopped", to: "running" });
  });

  it.each([
    ["SHELVED_OFFLOADED", { unshelve: null }],
    ["SHELVED", { unshelve: null }],
    ["SUSPENDED", { resume: null }],
    ["PAUSED", { unpause: null }],
  ])("start of a %s server sends %j", async (status, body) => {
    nova.on("GET", SRV, server(status), server("ACTIVE"));
    nova.on("POST", ACTION, accepted);
    expect(await driver().start(target())).toMatchObject({ outcome: "done", from: "hibernated", to: "running" });
    expect(nova.log.find((c) => c.method === "POST")!.body).toEqual(body);
  });

  it("finds the server by the adapter's name when the target has no id", async () => {
    nova.on("GET", "/v2.1/servers?name=%5Es1-head%24", { status: 200, body: { servers: [{ id: ID, name: "s1-head" }] } });
    nova.on("GET", SRV, server("ACTIVE"));
    expect(await driver().state(target({ providerId: undefined }))).toBe("running");
    expect(nova.calls()).toEqual(["GET /v2.1/servers?name=%5Es1-head%24", `GET ${SRV}`]);
  });

  it("uses the region's endpoint", async () => {
    const two = new FakeApi(http.agent, "https://nova-two.test").on("GET", SRV, server("SHUTOFF"));
    expect(await driver().state(target({ region: "RegionTwo" }))).toBe("stopped");
    expect(two.calls()).toEqual([`GET ${SRV}`]);
    expect(nova.log).toEqual([]);
  });

  it("start, stop, hibernate and terminate on a server already there send no mutating request", async () => {
    nova.on("GET", SRV, server("ACTIVE"));
    expect((await driver().start(target())).outcome).toBe("no-op");
    nova.on("GET", SRV, server("SHUTOFF"));
    expect(await driver().stop(target())).toMatchObject({ outcome: "no-op", from: "stopped", to: "stopped" });
    nova.on("GET", SRV, server("SHELVED_OFFLOADED"));
    expect((await driver().hibernate(target())).outcome).toBe("no-op");
    expect(await driver().stop(target())).toMatchObject({
      outcome: "no-op",
      from: "hibernated",
      fallback: "already shelved (not running, disk kept): left shelved",
    });
    nova.on("GET", SRV, missing);
    expect(await driver().terminate(target())).toMatchObject({ outcome: "no-op", from: "terminated", to: "terminated" });
    expect(await driver().state(target())).toBe("terminated");
    expect(nova.mutating()).toEqual([]);
  });

  it("stop while Nova is already powering off waits for it, then is a no-op", async () => {
    nova.on("GET", SRV, server("ACTIVE", "powering-off"), server("SHUTOFF"));
    expect(await driver().stop(target())).toMatchObject({ outcome: "no-op", from: "running", to: "stopped" });
    expect(nova.mutating()).toEqual([]);
  });

  it("hibernate while Nova is already shelving waits for it, then is a no-op", async () => {
    nova.on("GET", SRV, server("ACTIVE", "shelving"), server("SHELVED", "shelving_offloading"), server("SHELVED_OFFLOADED"));
    expect(await driver().hibernate(target())).toMatchObject({ outcome: "no-op", from: "running", to: "hibernated" });
    expect(nova.mutating()).toEqual([]);
  });

  it("stop sends os-stop; --force says Nova has no forced stop", async () => {
    nova.on("GET", SRV, server("ACTIVE"), server("SHUTOFF"));
    nova.on("POST", ACTION, accepted);
    const r = await driver().stop(target(), true);
    expect(nova.log[1]!.body).toEqual({ "os-stop": null });
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "stopped", fallback: expect.stringMatching(/^Nova has no forced stop/) });
  });

  it("hibernate shelves and says shelving is OpenStack's closest (memory is not kept)", async () => {
    nova.on("GET", SRV, server("ACTIVE"), server("ACTIVE", "shelving"), server("SHELVED_OFFLOADED"));
    nova.on("POST", ACTION, accepted);
    // Shelving needs nothing enabled at launch: the plan's hibernation flag does not stop it.
    const r = await driver().hibernate(target({ hibernation: false }));
    expect(nova.mutating()).toEqual([`POST ${ACTION}`]);
    expect(nova.log[1]!.body).toEqual({ shelve: null });
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "hibernated", fallback: SHELVE_NOTE });
  });

  it("reboot is SOFT, force reboot HARD, each waited for until ACTIVE", async () => {
    nova.on("GET", SRV, server("ACTIVE"), server("REBOOT", "reboot_started"), server("ACTIVE"));
    nova.on("POST", ACTION, accepted);
    expect(await driver().reboot(target())).toMatchObject({ outcome: "done", from: "running", to: "running" });
    nova.on("GET", SRV, server("ACTIVE"), server("HARD_REBOOT", "reboot_started_hard"), server("ACTIVE"));
    await driver().reboot(target(), true);
    expect(nova.log.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([{ reboot: { type: "SOFT" } }, { reboot: { type: "HARD" } }]);
  });

  it("reboot of a stopped server fails as invalid-state without a mutating request", async () => {
    nova.on("GET", SRV, server("SHUTOFF"));
    await expect(driver().reboot(target())).rejects.toMatchObject({ kind: "invalid-state", message: expect.stringMatching(/nothing to reboot \(use start\)/) });
    expect(nova.mutating()).toEqual([]);
  });

  it("snapshot sends createImage and returns the image id from the body (microversion 2.45) at once", async () => {
    nova.on("GET", SRV, server("ACTIVE"));
    nova.on("POST", ACTION, { status: 202, body: { image_id: "img-42" } });
    const r = await driver().snapshot(target());
    expect(nova.log[1]!.body).toEqual({ createImage: { name: "s1-head-20300102030405", metadata: { "formations-snapshot-of": "s1/head" } } });
    expect(r).toMatchObject({ action: "snapshot", outcome: "done", from: "running", to: "running", imageId: "img-42" });
    expect(nova.calls()).toEqual([`GET ${SRV}`, `POST ${ACTION}`]);
  });

  it("snapshot on an older microversion takes the image id from the Location header", async () => {
    nova.on("GET", SRV, server("SHUTOFF"));
    nova.on("POST", ACTION, { status: 202, headers: { location: "https://glance.test/v2/images/img-7" } });
    const r = await driver({ microversion: "2.1" }).snapshot(target(), "golden");
    expect(nova.log[1]!.headers["openstack-api-version"]).toBe("compute 2.1");
    expect(nova.log[1]!.body).toMatchObject({ createImage: { name: "golden" } });
    expect(r.imageId).toBe("img-7");
  });

  it("terminate deletes and reads until Nova no longer has the server; an ERROR server can be terminated", async () => {
    nova.on("GET", SRV, server("ERROR", null, { fault: { message: "boom" } }), server("ERROR", "deleting"), missing);
    nova.on("DELETE", SRV, { status: 204 });
    expect(await driver().terminate(target())).toMatchObject({ outcome: "done", from: "unknown", to: "terminated" });
    expect(nova.mutating()).toEqual([`DELETE ${SRV}`]);
  });

  it("any other action on an ERROR server fails with Nova's fault message and sends nothing", async () => {
    nova.on("GET", SRV, server("ERROR", null, { fault: { code: 500, message: "No valid host was found." } }));
    await expect(driver().start(target())).rejects.toMatchObject({
      kind: "other",
      from: "unknown",
      message: expect.stringMatching(/server s1-head is in ERROR: No valid host was found\./),
    });
    expect(nova.mutating()).toEqual([]);
  });

  it("a 409 conflict is invalid-state, unless the server got where it was going meanwhile", async () => {
    const conflict: Reply = {
      status: 409,
      body: { conflictingRequest: { code: 409, message: "Cannot 'os-start' instance while it is in task_state rebuilding" } },
    };
    nova.on("GET", SRV, server("SHUTOFF"));
    nova.on("POST", ACTION, conflict);
    await expect(driver().start(target())).rejects.toMatchObject({
      kind: "invalid-state",
      from: "stopped",
      message: expect.stringMatching(/while it is in task_state rebuilding/),
    });
    nova.on("GET", SRV, server("SHUTOFF"), server("ACTIVE"));
    expect(await driver().start(target())).toMatchObject({ outcome: "no-op", from: "stopped", to: "running" });
  });
});

describe("through batch.ts", () => {
  it("waits the Retry-After of 429 and 413, retries with backoff, then succeeds", async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const over = (status: number): Reply => ({
      status,
      headers: { "retry-after": "2" },
      body: { overLimit: { code: status, message: "This request was rate-limited." } },
    });
    nova.on("POST", ACTION, over(429), over(413), accepted);
    nova.on("GET", SRV, server("ACTIVE"), server("ACTIVE"), server("ACTIVE"), server("SHUTOFF"));
    const [r] = await drive(runBatch(driver(), [target()], "stop", { random: () => 0.5, baseDelayMs: 1000 }));
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "stopped", attempts: 3 });
    const posts = nova.log.filter((c) => c.method === "POST").map((c) => c.at);
    expect(posts).toHaveLength(3);
    // Retry-After (2 s), then full jitter at 0.5: 500 ms after the first, 1000 ms after the second.
    expect(posts[1]! - posts[0]!).toBeGreaterThanOrEqual(2500);
    expect(posts[2]! - posts[1]!).toBeGreaterThanOrEqual(3000);
  });

  it("a failed target among others: one result each, the failure says why", async () => {
    const ids = { a: "id-a", b: "id-b", c: "id-c" };
    nova.on("GET", "/v2.1/servers/id-a", server("ACTIVE"), server("SHUTOFF"));
    nova.on("GET", "/v2.1/servers/id-b", server("ERROR", null, { fault: { message: "disk gone" } }));
    nova.on("GET", "/v2.1/servers/id-c", server("ACTIVE"), server("SHUTOFF"));
    nova.on("POST", "/v2.1/servers/id-a/action", accepted);
    nova.on("POST", "/v2.1/servers/id-c/action", accepted);
    const targets = Object.entries(ids).map(([m, id]) => target({ machine: m, providerId: id }));
    const rs = await runBatch(driver(), targets, "stop", { retries: 0 });
    expect(rs.map((r) => [r.machine, r.outcome])).toEqual([
      ["a", "done"],
      ["b", "failed"],
      ["c", "done"],
    ]);
    expect(rs[1]!.error).toMatch(/server s1-b is in ERROR: disk gone/);
    expect(nova.mutating().sort()).toEqual(["POST /v2.1/servers/id-a/action", "POST /v2.1/servers/id-c/action"]);
    expect(keystone.calls()).toEqual([TOKENS]);
  });
});
