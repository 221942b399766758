/**
 * Test layer 4: cloud SDK calls on their exact requests (the SDK's mock library or HTTP interception); no cloud is reached.
 * The Azure driver on the exact HTTP requests it sends to management.azure.com, intercepted with
 * nock (no network: every other connection is refused, and any request no interceptor expects is
 * recorded and fails the test). Paths, api-versions, query parameters and bodies are asserted;
 * long-running operations answer through Azure-AsyncOperation and are polled with no delay.
 */
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { computeClientOptions } from "../../../clouds/azure/actions/arm.js";
import { galleryName, isArm64Size, versionName } from "../../../clouds/azure/actions/image.js";
import { classifyAzureError, fromAzureState, parseVmId } from "../../../clouds/azure/actions/states.js";
import { AzureDriver, type AzureDriverOptions } from "../../../clouds/azure/actions/driver.js";
import { runBatch } from "../../../automation/actions/batch.js";
import type { ActionTarget } from "../../../automation/actions/types.js";

const ARM = "https://management.azure.com";
const SUB = "00000000-0000-0000-0000-00000000beef";
const vmPath = (name = "lab-head") => `/subscriptions/${SUB}/resourceGroups/lab-rg/providers/Microsoft.Compute/virtualMachines/${name}`;
const API = { "api-version": "2025-04-01" };
const GALLERY_API = { "api-version": "2025-03-03" };
const NOW = new Date("2026-01-02T03:04:05Z");
/** A static token: tests never reach Microsoft Entra ID (DefaultAzureCredential is never created). */
const credential = { getToken: () => Promise.resolve({ token: "test-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };
const driver = (o: AzureDriverOptions = {}) => new AzureDriver({ credential, pollMs: 0, waitMs: 60_000, now: () => NOW, ...o });
const target = (name = "lab-head", extra: Partial<ActionTarget> = {}): ActionTarget => ({
  session: "lab",
  machine: name.replace(/^lab-/, ""),
  role: "head",
  providerId: vmPath(name),
  ...extra,
});

/** Requests seen, as "METHOD path?query", in order; and requests no interceptor expected. */
let log: string[] = [];
let unexpected: string[] = [];
const onUnmatched = (req: { method?: string; path?: string }) => unexpected.push(`${req.method} ${req.path}`);
/** A nock scope on ARM that logs every request it answers and checks the bearer token. */
const arm = () =>
  nock(ARM, { reqheaders: { authorization: "Bearer test-token" } }).on("request", (req: { method: string; path: string }) =>
    log.push(`${req.method} ${decodeURIComponent(req.path)}`),
  );
const mutating = () => log.filter((l) => !l.startsWith("GET "));

/** The VM with its instance view, as ARM returns it for `$expand=instanceView`. */
const vm = (codes: string[], props: Record<string, unknown> = {}, name = "lab-head") => ({
  id: vmPath(name),
  name,
  location: "westeurope",
  properties: {
    hardwareProfile: { vmSize: "Standard_D2s_v5" },
    storageProfile: { osDisk: { osType: "Linux", name: `${name}-osdisk` } },
    instanceView: { hyperVGeneration: "V2", statuses: [{ code: "ProvisioningState/succeeded" }, ...codes.map((code) => ({ code }))] },
    ...props,
  },
});
const getVm = (s: nock.Scope, codes: string[], props: Record<string, unknown> = {}, name = "lab-head") =>
  s
    .get(vmPath(name))
    .query({ $expand: "instanceView", ...API })
    .reply(200, vm(codes, props, name));
/**
 * A long-running operation's status URL and its answers: InProgress `pending` times, then
 * Succeeded. The SDK polls it with the operation's own query parameters appended (`extra`).
 */
const lro = (s: nock.Scope, op: string, pending = 0, extra: Record<string, string> = {}) => {
  const path = `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/operations/${op}`;
  if (pending)
    s.get(path)
      .query({ ...API, ...extra })
      .times(pending)
      .reply(200, { status: "InProgress" });
  s.get(path)
    .query({ ...API, ...extra })
    .reply(200, { status: "Succeeded" });
  return { "azure-asyncoperation": `${ARM}${path}?api-version=2025-04-01` };
};

beforeAll(() => {
  nock.disableNetConnect();
  nock.emitter.on("no match", onUnmatched);
});
afterAll(() => {
  nock.emitter.off("no match", onUnmatched);
  nock.enableNetConnect();
});
beforeEach(() => {
  log = [];
  unexpected = [];
});
afterEach(() => {
  vi.useRealTimers();
  expect(unexpected).toEqual([]);
  nock.cleanAll();
});

describe("fromAzureState", () => {
  it.each([
    [["PowerState/running"], "running"],
    [["PowerState/starting"], "pending"],
    [["PowerState/stopping"], "pending"],
    [["PowerState/deallocating"], "pending"],
    [["PowerState/stopped"], "stopped"],
    [["PowerState/deallocated"], "stopped"],
    [["PowerState/deallocated", "HibernationState/Hibernated"], "hibernated"],
    [["ProvisioningState/creating"], "pending"],
    [["ProvisioningState/deleting", "PowerState/running"], "terminated"],
  ])("%j is %s", (codes, state) => {
    expect(fromAzureState(codes.map((code) => ({ code })))).toBe(state);
  });

  it("no VM is terminated; an unknown power state is an error, not a guess", () => {
    expect(fromAzureState(undefined)).toBe("terminated");
    expect(() => fromAzureState([{ code: "PowerState/sleeping" }])).toThrow(/unknown Azure power state 'PowerState\/sleeping'/);
  });

  it("parses VM ids, with or without the leading slash, whatever the case", () => {
    expect(parseVmId(vmPath())).toEqual({ subscription: SUB, resourceGroup: "lab-rg", name: "lab-head" });
    expect(parseVmId(vmPath().slice(1).replace("resourceGroups", "resourcegroups"))).toEqual({ subscription: SUB, resourceGroup: "lab-rg", name: "lab-head" });
    expect(() => parseVmId("lab-head")).toThrow(/is not an Azure VM resource id/);
  });

  it("names snapshot galleries and versions as Azure allows", () => {
    expect(galleryName("westeurope")).toBe("formations_westeurope");
    expect(versionName(NOW)).toBe("2026.102.30405");
    expect(isArm64Size("Standard_D2ps_v5")).toBe(true);
    expect(isArm64Size("Standard_E4pds_v5")).toBe(true);
    expect(isArm64Size("Standard_D2s_v5")).toBe(false);
  });
});

describe("the compute client", () => {
  it("has the pipeline's retries off, so one 429 is one request and goes back to the batch", async () => {
    expect(computeClientOptions()).toEqual({ retryOptions: { maxRetries: 0 } });
    const s = arm()
      .get(vmPath())
      .query({ $expand: "instanceView", ...API })
      .reply(429, { error: { code: "TooManyRequests", message: "slow down" } });
    await expect(driver().state(target())).rejects.toMatchObject({ kind: "throttled" });
    expect(log).toEqual([`GET ${vmPath()}?api-version=2025-04-01&$expand=instanceView`]);
    s.done();
  });

  it("reads the VM and its instance view in one GET; a 404 is terminated", async () => {
    const s = arm();
    getVm(s, ["PowerState/deallocated", "HibernationState/Hibernated"]);
    s.get(vmPath())
      .query({ $expand: "instanceView", ...API })
      .reply(404, { error: { code: "ResourceNotFound", message: "not found" } });
    expect(await driver().state(target())).toBe("hibernated");
    expect(await driver().state(target())).toBe("terminated");
    s.done();
  });
});

describe("start", () => {
  it("POSTs start, polls the operation, and reads running", async () => {
    const s = arm();
    getVm(s, ["PowerState/deallocated"]);
    s.post(`${vmPath()}/start`)
      .query(API)
      .reply(202, "", lro(s, "op-start", 2));
    getVm(s, ["PowerState/running"]);
    expect(await driver().start(target())).toEqual({ session: "lab", machine: "head", action: "start", outcome: "done", from: "stopped", to: "running" });
    expect(mutating()).toEqual([`POST ${vmPath()}/start?api-version=2025-04-01`]);
    expect(log.filter((l) => l.includes("/operations/op-start"))).toHaveLength(3);
    s.done();
  });

  it("is a no-op on a running VM: no mutating request", async () => {
    const s = arm();
    getVm(s, ["PowerState/running"]);
    expect(await driver().start(target())).toMatchObject({ outcome: "no-op", from: "running", to: "running" });
    expect(mutating()).toEqual([]);
    s.done();
  });

  it("returns the transitional state when the operation outlasts the bound", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const s = arm();
    getVm(s, ["PowerState/deallocated"]);
    const path = `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/operations/op-slow`;
    s.post(`${vmPath()}/start`)
      .query(API)
      .reply(202, "", { "azure-asyncoperation": `${ARM}${path}?api-version=2025-04-01` });
    s.get(path).query(API).times(20).reply(200, { status: "InProgress" });
    getVm(s, ["PowerState/starting"]);
    const r = await drive(driver({ pollMs: 1_000, waitMs: 3_000 }).start(target()));
    expect(r).toMatchObject({ outcome: "done", from: "stopped", to: "pending" });
  });
});

describe("stop and shutdown deallocate", () => {
  it("stop POSTs deallocate (no hibernate) and reads stopped", async () => {
    const s = arm();
    getVm(s, ["PowerState/running"]);
    s.post(`${vmPath()}/deallocate`).query(API).reply(202, "", lro(s, "op-d"));
    getVm(s, ["PowerState/deallocated"]);
    expect(await driver().stop(target())).toMatchObject({ outcome: "done", from: "running", to: "stopped" });
    expect(mutating()).toEqual([`POST ${vmPath()}/deallocate?api-version=2025-04-01`]);
    s.done();
  });

  it("force stop powers off without the OS shutdown, then deallocates", async () => {
    const s = arm();
    getVm(s, ["PowerState/running"]);
    s.post(`${vmPath()}/powerOff`)
      .query({ ...API, skipShutdown: "true" })
      .reply(202, "", lro(s, "op-p", 0, { skipShutdown: "true" }));
    s.post(`${vmPath()}/deallocate`).query(API).reply(202, "", lro(s, "op-d"));
    getVm(s, ["PowerState/deallocated"]);
    expect(await driver().stop(target(), true)).toMatchObject({ outcome: "done", to: "stopped" });
    expect(mutating()).toEqual([`POST ${vmPath()}/powerOff?api-version=2025-04-01&skipShutdown=true`, `POST ${vmPath()}/deallocate?api-version=2025-04-01`]);
    s.done();
  });

  it("a powered-off VM is still billed: stop deallocates it rather than calling it a no-op", async () => {
    const s = arm();
    getVm(s, ["PowerState/stopped"]);
    s.post(`${vmPath()}/deallocate`).query(API).reply(202, "", lro(s, "op-d"));
    getVm(s, ["PowerState/deallocated"]);
    expect(await driver().shutdown(target())).toMatchObject({ action: "shutdown", outcome: "done", from: "stopped", to: "stopped" });
    expect(mutating()).toEqual([`POST ${vmPath()}/deallocate?api-version=2025-04-01`]);
    s.done();
  });

  it.each([
    [["PowerState/deallocated"], "stopped"],
    [["PowerState/deallocated", "HibernationState/Hibernated"], "hibernated"],
    [["PowerState/deallocating"], "pending"],
  ])("is a no-op on %j, with no mutating request", async (codes, from) => {
    const s = arm();
    getVm(s, codes);
    expect(await driver().stop(target())).toMatchObject({ outcome: "no-op", from, to: from });
    expect(mutating()).toEqual([]);
    s.done();
  });
});

describe("hibernate", () => {
  const enabled = { additionalCapabilities: { hibernationEnabled: true } };

  it("is refused before any request when hibernation was not enabled at launch", async () => {
    await expect(driver().hibernate(target("lab-head", { hibernation: false }))).rejects.toMatchObject({
      kind: "invalid-state",
      message: expect.stringMatching(/^lab\/head cannot hibernate: it was not created with hibernation enabled .*; use stop$/),
    });
    expect(log).toEqual([]);
  });

  it("is refused before any mutating request when the VM says hibernation is off", async () => {
    const s = arm();
    getVm(s, ["PowerState/running"], { additionalCapabilities: { hibernationEnabled: false } });
    await expect(driver().hibernate(target())).rejects.toThrow(/cannot hibernate: Azure says hibernation is not enabled on this VM; use stop/);
    expect(mutating()).toEqual([]);
    s.done();
  });

  it("POSTs deallocate with hibernate=true and reads hibernated", async () => {
    const s = arm();
    getVm(s, ["PowerState/running"], enabled);
    s.post(`${vmPath()}/deallocate`)
      .query({ ...API, hibernate: "true" })
      .reply(202, "", lro(s, "op-h", 1, { hibernate: "true" }));
    getVm(s, ["PowerState/deallocated", "HibernationState/Hibernated"], enabled);
    expect(await driver().hibernate(target("lab-head", { hibernation: true }))).toEqual({
      session: "lab",
      machine: "head",
      action: "hibernate",
      outcome: "done",
      from: "running",
      to: "hibernated",
    });
    expect(mutating()).toEqual([`POST ${vmPath()}/deallocate?api-version=2025-04-01&hibernate=true`]);
    s.done();
  });

  it("says so when Azure deallocated without hibernating; force has no other meaning on Azure", async () => {
    const s = arm();
    getVm(s, ["PowerState/running"], enabled);
    s.post(`${vmPath()}/deallocate`)
      .query({ ...API, hibernate: "true" })
      .reply(202, "", lro(s, "op-h", 0, { hibernate: "true" }));
    getVm(s, ["PowerState/deallocated"], enabled);
    const r = await driver().hibernate(target());
    expect(r).toMatchObject({ to: "stopped", fallback: "Azure deallocated it without hibernating (the guest did not hibernate): its memory was not kept" });
    s.done();
    const s2 = arm();
    getVm(s2, ["PowerState/running"], enabled);
    s2.post(`${vmPath()}/deallocate`)
      .query({ ...API, hibernate: "true" })
      .reply(202, "", lro(s2, "op-h2", 0, { hibernate: "true" }));
    getVm(s2, ["PowerState/deallocated", "HibernationState/Hibernated"], enabled);
    expect(await driver().hibernate(target(), true)).toMatchObject({
      to: "hibernated",
      fallback: "Azure has no forced hibernation: hibernated as without --force",
    });
    s2.done();
  });

  it("is a no-op on a hibernated VM and refused on a deallocated one, sending nothing", async () => {
    const s = arm();
    getVm(s, ["PowerState/deallocated", "HibernationState/Hibernated"], enabled);
    getVm(s, ["PowerState/deallocated"], enabled);
    expect(await driver().hibernate(target())).toMatchObject({ outcome: "no-op", from: "hibernated" });
    await expect(driver().hibernate(target())).rejects.toThrow(/is stopped: there is no memory to keep/);
    expect(mutating()).toEqual([]);
    s.done();
  });
});

describe("reboot and terminate", () => {
  it("reboot POSTs restart; force says there is no hard reset", async () => {
    const s = arm();
    for (const op of ["op-r1", "op-r2"]) {
      getVm(s, ["PowerState/running"]);
      s.post(`${vmPath()}/restart`).query(API).reply(202, "", lro(s, op));
      getVm(s, ["PowerState/running"]);
    }
    expect(await driver().reboot(target())).toMatchObject({ outcome: "done", from: "running", to: "running" });
    expect((await driver().reboot(target(), true)).fallback).toBe("Azure has no hard reset for VMs: restarted gracefully");
    expect(mutating()).toEqual([`POST ${vmPath()}/restart?api-version=2025-04-01`, `POST ${vmPath()}/restart?api-version=2025-04-01`]);
    s.done();
  });

  it("terminate DELETEs the VM; terminating a gone VM is a no-op", async () => {
    const s = arm();
    getVm(s, ["PowerState/deallocated"]);
    s.delete(vmPath())
      .query(API)
      .reply(202, "", lro(s, "op-del", 1));
    s.get(vmPath())
      .query({ $expand: "instanceView", ...API })
      .times(2)
      .reply(404, { error: { code: "ResourceNotFound", message: "gone" } });
    expect(await driver().terminate(target())).toMatchObject({ outcome: "done", from: "stopped", to: "terminated" });
    expect(await driver().terminate(target())).toMatchObject({ outcome: "no-op", from: "terminated" });
    expect(mutating()).toEqual([`DELETE ${vmPath()}?api-version=2025-04-01`]);
    s.done();
  });
});

describe("snapshot: a specialized gallery image captured from the VM", () => {
  const group = `/subscriptions/${SUB}/resourcegroups/formations-images`;
  const gallery = `/subscriptions/${SUB}/resourceGroups/formations-images/providers/Microsoft.Compute/galleries/formations_westeurope`;
  const version = "2026.102.30405";
  const tags = { "managed-by": "formations", "formations-snapshot-of": "lab/head" };

  it("creates the images group, gallery and definition when missing, then the version, and returns its id at once", async () => {
    const s = arm();
    getVm(s, ["PowerState/running"], { additionalCapabilities: { hibernationEnabled: true }, securityProfile: { securityType: "TrustedLaunch" } });
    s.get(group)
      .query({ "api-version": "2021-04-01" })
      .reply(404, { error: { code: "ResourceGroupNotFound", message: "no" } });
    s.put(group, { location: "westeurope", tags: { "managed-by": "formations" } })
      .query({ "api-version": "2021-04-01" })
      .reply(201, { name: "formations-images" });
    s.get(gallery)
      .query(GALLERY_API)
      .reply(404, { error: { code: "ResourceNotFound", message: "no" } });
    s.put(gallery, {
      location: "westeurope",
      properties: { description: "formations snapshots: machine images that outlive their sessions" },
      tags: { "managed-by": "formations" },
    })
      .query(GALLERY_API)
      .reply(201, {}, lroG(s, "op-g"));
    // After the operation, the SDK reads the created resource.
    s.get(gallery).query(GALLERY_API).reply(200, { name: "formations_westeurope" });
    s.get(`${gallery}/images/lab-head`)
      .query(GALLERY_API)
      .reply(404, { error: { code: "ResourceNotFound", message: "no" } });
    s.put(`${gallery}/images/lab-head`, {
      location: "westeurope",
      tags,
      properties: {
        description: "formations snapshots of lab/head",
        osType: "Linux",
        osState: "Specialized",
        hyperVGeneration: "V2",
        architecture: "x64",
        identifier: { publisher: "formations", offer: "lab-head", sku: "specialized" },
        features: [
          { name: "SecurityType", value: "TrustedLaunch" },
          { name: "IsHibernateSupported", value: "True" },
        ],
      },
    })
      .query(GALLERY_API)
      .reply(201, {}, lroG(s, "op-i"));
    s.get(`${gallery}/images/lab-head`).query(GALLERY_API).reply(200, { name: "lab-head" });
    s.put(`${gallery}/images/lab-head/versions/${version}`, {
      location: "westeurope",
      tags,
      properties: { storageProfile: { source: { virtualMachineId: vmPath() } } },
    })
      .query(GALLERY_API)
      .reply(201, {}, lroG(s, "op-v", 1, false));
    const r = await driver().snapshot(target());
    expect(r).toMatchObject({ action: "snapshot", outcome: "done", from: "running", to: "running", imageId: `${gallery}/images/lab-head/versions/${version}` });
    expect(r.fallback).toBe("captured while running: the image is crash-consistent (stop the machine first for a clean one)");
    expect(mutating()).toEqual([
      `PUT ${group}?api-version=2021-04-01`,
      `PUT ${gallery}?api-version=2025-03-03`,
      `PUT ${gallery}/images/lab-head?api-version=2025-03-03`,
      `PUT ${gallery}/images/lab-head/versions/${version}?api-version=2025-03-03`,
    ]);
    s.done();
  });

  it("on a stopped VM with everything in place: one PUT, a clean image, named as asked", async () => {
    const s = arm();
    getVm(s, ["PowerState/deallocated"]);
    s.get(group).query({ "api-version": "2021-04-01" }).reply(200, { name: "formations-images", location: "westeurope" });
    s.get(gallery).query(GALLERY_API).reply(200, { name: "formations_westeurope" });
    s.get(`${gallery}/images/golden`).query(GALLERY_API).reply(200, { name: "golden" });
    s.put(`${gallery}/images/golden/versions/${version}`)
      .query(GALLERY_API)
      .reply(201, {}, lroG(s, "op-v2", 1, false));
    const r = await driver().snapshot(target(), "golden");
    expect(r).toMatchObject({ outcome: "done", from: "stopped", imageId: `${gallery}/images/golden/versions/${version}` });
    expect(r.fallback).toBeUndefined();
    expect(mutating()).toEqual([`PUT ${gallery}/images/golden/versions/${version}?api-version=2025-03-03`]);
  });
});

describe("through batch.ts", () => {
  it("honours Retry-After on 429 twice, retries, and reports done", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const s = arm();
    s.get(vmPath())
      .query({ $expand: "instanceView", ...API })
      .times(3)
      .reply(200, vm(["PowerState/running"]));
    const at: number[] = []; // the fake clock at each deallocate
    const throttle = () => (at.push(Date.now()), [429, { error: { code: "TooManyRequests", message: "Too many requests" } }, { "retry-after": "2" }] as const);
    s.post(`${vmPath()}/deallocate`).query(API).times(2).reply(throttle);
    s.post(`${vmPath()}/deallocate`)
      .query(API)
      .reply(() => (at.push(Date.now()), [202, "", lro(s, "op-d")]));
    getVm(s, ["PowerState/deallocated"]);
    // The per-target deadline is pushed out of reach: drive() moves the fake clock while nock's
    // answers travel in real time, so under load a near deadline could pass before they arrive.
    const [r] = await drive(runBatch(driver(), [target()], "stop", { random: () => 0.5, timeoutMs: 2_000_000_000 }));
    expect(r).toMatchObject({ outcome: "done", from: "running", to: "stopped", attempts: 3 });
    expect(mutating()).toEqual(Array(3).fill(`POST ${vmPath()}/deallocate?api-version=2025-04-01`));
    // Each retry came after Azure's Retry-After (2 s) plus the batch's jittered backoff.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(2_000 + 125);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(2_000 + 250);
    s.done();
  });

  it("a failed target among others gets its own failed result saying why", async () => {
    const s = arm();
    for (const name of ["lab-a", "lab-c"]) {
      getVm(s, ["PowerState/running"], {}, name);
      s.post(`${vmPath(name)}/deallocate`)
        .query(API)
        .reply(202, "", lro(s, `op-${name}`));
      getVm(s, ["PowerState/deallocated"], {}, name);
    }
    s.get(vmPath("lab-b"))
      .query({ $expand: "instanceView", ...API })
      .reply(404, { error: { code: "ResourceNotFound", message: "gone" } });
    const results = await runBatch(driver(), [target("lab-a"), target("lab-b"), target("lab-c")], "stop");
    expect(results.map((r) => [r.machine, r.outcome])).toEqual([
      ["a", "done"],
      ["b", "failed"],
      ["c", "done"],
    ]);
    expect(results[1]).toMatchObject({ from: "terminated", attempts: 1, error: "Azure VM of lab/b is gone: cannot stop it" });
    s.done();
  });
});

describe("classifyAzureError", () => {
  const rest = (statusCode: number, code = "X") => Object.assign(new Error("m"), { name: "RestError", statusCode, code });
  const net = (code: string) => Object.assign(new Error(code), { name: "RestError", code });
  it.each([
    [rest(429, "TooManyRequests"), "throttled"],
    [rest(404, "ResourceNotFound"), "not-found"],
    [rest(409, "OperationNotAllowed"), "invalid-state"],
    [rest(500, "InternalServerError"), "transient"],
    [rest(503), "transient"],
    [net("ECONNREFUSED"), "unreachable"],
    [net("ENOTFOUND"), "unreachable"],
    [net("ECONNRESET"), "transient"],
    [rest(403, "AuthorizationFailed"), "other"],
    [Object.assign(new Error("EnvironmentCredential is unavailable"), { name: "CredentialUnavailableError" }), "other"],
  ])("%s is %s", (err, kind) => {
    expect(classifyAzureError(err, "lab/head").kind).toBe(kind);
  });

  it("says how to sign in without printing any credential", () => {
    const e = classifyAzureError(Object.assign(new Error("token secret-ish"), { name: "CredentialUnavailableError" }), "lab/head");
    expect(e.message).toBe("no usable Azure credentials: run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret or certificate");
  });
});

/** A gallery operation's status URL (api-version of galleries) answering InProgress `pending` times, then Succeeded. */
function lroG(s: nock.Scope, op: string, pending = 0, expectDone = true): Record<string, string> {
  const path = `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/capsOperations/${op}`;
  if (pending) s.get(path).query(GALLERY_API).times(pending).reply(200, { status: "InProgress" });
  if (expectDone) s.get(path).query(GALLERY_API).reply(200, { status: "Succeeded" });
  return { "azure-asyncoperation": `${ARM}${path}?api-version=2025-03-03` };
}

/** Runs a promise to the end under fake timers: advances the clock, and lets real I/O (nock's sockets) progress. */
async function drive<T>(p: Promise<T>): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await vi.advanceTimersByTimeAsync(250);
    await new Promise((r) => setImmediate(r));
  }
  return p;
}
