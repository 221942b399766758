/**
 * Layer 4: OVHcloud's lifecycle actions on the exact requests they send. OVHcloud instances are
 * Nova servers, so the driver is clouds/openstack's, made by the ovh descriptor from the OS_*
 * variables of OVHcloud's openrc.sh; undici's MockAgent answers for OVHcloud's Keystone
 * (auth.cloud.ovh.net) and its regional compute endpoints. What is checked: the descriptor's
 * driver is ovh's, the region picks the compute endpoint of the token's catalog, stop / start /
 * hibernate (shelve, said so) / snapshot send Nova's bodies with the token, a repeat sends
 * nothing, and a batch retries a throttled call.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MockAgent } from "undici";
import { ovh } from "../../../clouds/ovh/index.js";
import { SHELVE_NOTE } from "../../../clouds/openstack/actions/driver.js";
import { runBatch } from "../../../automation/actions/batch.js";
import type { ActionDriver, ActionTarget } from "../../../automation/actions/types.js";
import { drive, FAKE_TIMERS, FakeApi, mockHttp, type Reply } from "../../automation/actions/rest-mock.js";

const ID = "5c2a6f2e-1b7d-4c55-9d0e-7a1f3b9e8c41";
const PROJECT = "0123456789abcdef0123456789abcdef";
const SRV = `/v2.1/${PROJECT}/servers/${ID}`;
const ACTION = `${SRV}/action`;
const TOKENS = "POST /v3/auth/tokens";
// OVHcloud's catalog: one compute endpoint per region, the project id in the path.
const catalog = [
  {
    type: "compute",
    endpoints: [
      { interface: "public", region: "GRA11", region_id: "GRA11", url: `https://compute.gra11.cloud.ovh.net/v2.1/${PROJECT}` },
      { interface: "public", region: "SBG5", region_id: "SBG5", url: `https://compute.sbg5.cloud.ovh.net/v2.1/${PROJECT}` },
    ],
  },
];
const issued: Reply = { status: 201, headers: { "x-subject-token": "ovh-tok" }, body: { token: { expires_at: "2099-01-01T00:00:00Z", catalog } } };
const server = (status: string, task: string | null = null): Reply => ({
  status: 200,
  body: { server: { id: ID, name: "lab-head", status, "OS-EXT-STS:task_state": task } },
});
const accepted: Reply = { status: 202 };
const target = (extra: Partial<ActionTarget> = {}): ActionTarget => ({
  session: "lab",
  machine: "head",
  role: "head",
  providerId: ID,
  region: "GRA11",
  ...extra,
});
// What OVHcloud's openrc.sh exports (a password user of the project).
const OPENRC = {
  OS_AUTH_URL: "https://auth.cloud.ovh.net/v3",
  OS_USERNAME: "user-AbCd",
  OS_PASSWORD: "not-a-real-password",
  OS_PROJECT_ID: PROJECT,
  OS_USER_DOMAIN_NAME: "Default",
  OS_REGION_NAME: "GRA11",
};

let http: { agent: MockAgent; restore: () => Promise<void> };
let keystone: FakeApi;
let gra: FakeApi;
let sbg: FakeApi;

/** The driver the ovh descriptor makes, reading between polls at once (its waits are private fields). */
async function driver(): Promise<ActionDriver> {
  const d = await ovh.actions.driver({ region: "GRA11" });
  return Object.assign(d, { pollMs: 0, waitMs: 60_000 });
}

beforeEach(() => {
  for (const [k, v] of Object.entries(OPENRC)) vi.stubEnv(k, v);
  vi.stubEnv("OS_CLOUD", "");
  http = mockHttp();
  keystone = new FakeApi(http.agent, "https://auth.cloud.ovh.net").on("POST", "/v3/auth/tokens", issued);
  gra = new FakeApi(http.agent, "https://compute.gra11.cloud.ovh.net");
  sbg = new FakeApi(http.agent, "https://compute.sbg5.cloud.ovh.net");
});
afterEach(async () => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  await http.restore();
});

describe("the ovh descriptor's driver", () => {
  it("is OpenStack's Nova driver, acting for provider ovh", async () => {
    const d = await driver();
    expect(d.provider).toBe("ovh");
    expect(d.constructor.name).toBe("OpenStackDriver");
  });

  it("authenticates at OVHcloud's Keystone with openrc's user and project, once", async () => {
    gra.on("GET", SRV, server("ACTIVE"), server("ACTIVE"));
    const d = await driver();
    expect(await d.state(target())).toBe("running");
    expect(await d.state(target())).toBe("running");
    expect(keystone.calls()).toEqual([TOKENS]);
    expect(keystone.log[0]!.body).toEqual({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "user-AbCd", password: "not-a-real-password", domain: { name: "Default" } } } },
        scope: { project: { id: PROJECT } },
      },
    });
    expect(gra.log.every((c) => c.headers["x-auth-token"] === "ovh-tok")).toBe(true);
  });

  it("sends each machine's calls to its region's compute endpoint", async () => {
    sbg.on("GET", SRV, server("SHUTOFF"));
    const d = await driver();
    expect(await d.state(target({ region: "SBG5" }))).toBe("stopped");
    expect(sbg.calls()).toEqual([`GET ${SRV}`]);
    expect(gra.calls()).toEqual([]);
  });
});

describe("actions: exact requests", () => {
  it("stop sends os-stop and reads until SHUTOFF; a second stop sends nothing", async () => {
    gra.on("GET", SRV, server("ACTIVE"), server("ACTIVE", "powering-off"), server("SHUTOFF"), server("SHUTOFF"));
    gra.on("POST", ACTION, accepted);
    const d = await driver();
    expect(await d.stop(target())).toEqual({ session: "lab", machine: "head", action: "stop", outcome: "done", from: "running", to: "stopped" });
    expect(gra.log[1]!.body).toEqual({ "os-stop": null });
    expect(await d.stop(target())).toMatchObject({ outcome: "no-op", from: "stopped", to: "stopped" });
    expect(gra.mutating()).toEqual([`POST ${ACTION}`]);
  });

  it("start sends os-start to a stopped instance and unshelve to a shelved one", async () => {
    gra.on("GET", SRV, server("SHUTOFF"), server("ACTIVE"), server("SHELVED_OFFLOADED"), server("ACTIVE"));
    gra.on("POST", ACTION, accepted, accepted);
    const d = await driver();
    await d.start(target());
    await d.start(target());
    expect(gra.log.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([{ "os-start": null }, { unshelve: null }]);
  });

  it("hibernate shelves, and says memory was not kept", async () => {
    gra.on("GET", SRV, server("ACTIVE"), server("SHELVED_OFFLOADED"));
    gra.on("POST", ACTION, accepted);
    const r = await (await driver()).hibernate(target());
    expect(gra.log[1]!.body).toEqual({ shelve: null });
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "hibernated", fallback: SHELVE_NOTE });
  });

  it("snapshot asks Nova for a Glance image named after the machine and returns its id", async () => {
    gra.on("GET", SRV, server("ACTIVE"));
    gra.on("POST", ACTION, { status: 202, body: { image_id: "img-42" } });
    const r = await (await driver()).snapshot(target(), "lab-head-gold");
    expect(gra.log[1]!.body).toEqual({ createImage: { name: "lab-head-gold", metadata: { "formations-snapshot-of": "lab/head" } } });
    expect(r).toMatchObject({ action: "snapshot", outcome: "done", imageId: "img-42" });
  });

  it("a throttled stop is retried by the batch after Retry-After", async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    gra.on("GET", SRV, server("ACTIVE"), server("ACTIVE"), server("SHUTOFF"));
    gra.on("POST", ACTION, { status: 429, headers: { "retry-after": "1" }, body: { overLimit: { code: 429, message: "Rate limit exceeded" } } }, accepted);
    const d = await driver();
    const [r] = await drive(runBatch(d, [target()], "stop", { random: () => 0.5, baseDelayMs: 1000 }));
    expect(r).toMatchObject({ outcome: "done", to: "stopped", attempts: 2 });
    expect(gra.mutating()).toEqual([`POST ${ACTION}`, `POST ${ACTION}`]);
  });
});
