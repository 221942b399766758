/**
 * Test layer 4: cloud SDK calls on their exact requests (the SDK's mock library or HTTP interception); no cloud is reached.
 * Azure's image store (`images delete`, the catalog's sizes) on the exact HTTP requests it sends
 * to management.azure.com, intercepted with nock (every other connection refused; a request no
 * interceptor expects fails the test): a gallery image version deleted as a long-running
 * operation polled through Azure-AsyncOperation, then its definition when it is left empty and
 * formations made it; a version without formations' tags refused with no mutating request; 404
 * as already gone; 429 retried after Retry-After; a failure halfway said, with nothing after it.
 * The last case runs the CLI's `images delete --yes --json` on a catalog held by FakeEngine (a
 * test double of the engine) through this store.
 */
import { EventEmitter } from "node:events";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AzureImages, parseVersionId, type AzureImagesOptions } from "../../../clouds/azure/actions/images.js";
import { catalogId, type ImageEntry } from "../../../automation/images/catalog.js";
import { recordImage } from "../../../automation/images/store.js";
import type { SessionsOptions } from "../../../automation/sessions.js";
import { imagesDeleteCommand } from "../../../cli/images.js";
import type { Output } from "../../../cli/output.js";
import { harness } from "../../automation/helpers.js";
import { UserError } from "../../../user-error.js";

const ARM = "https://management.azure.com";
const SUB = "00000000-0000-0000-0000-00000000beef";
const API = { "api-version": "2025-03-03" };
const GALLERY = `/subscriptions/${SUB}/resourceGroups/formations-images/providers/Microsoft.Compute/galleries/formations_westeurope`;
const DEF = `${GALLERY}/images/lab-head`;
const VERSION = `${DEF}/versions/2026.102.30405`;
const TAGS = { "managed-by": "formations", "formations-snapshot-of": "lab/head" };
const credential = { getToken: () => Promise.resolve({ token: "test-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };
const store = (o: AzureImagesOptions = {}) => new AzureImages({ credential, pollMs: 0, waitMs: 60_000, random: () => 0, ...o });
const image = { imageId: VERSION, name: "2026.102.30405" };

let log: string[] = [];
let unexpected: string[] = [];
const onUnmatched = (req: { method?: string; path?: string }) => unexpected.push(`${req.method} ${req.path}`);
const arm = () =>
  nock(ARM, { reqheaders: { authorization: "Bearer test-token" } }).on("request", (req: { method: string; path: string }) =>
    log.push(`${req.method} ${decodeURIComponent(req.path)}`),
  );
const mutating = () => log.filter((l) => !l.startsWith("GET "));
const q = "?api-version=2025-03-03";

/** A gallery operation's status URL answering InProgress `pending` times, then Succeeded. */
function lro(s: nock.Scope, op: string, pending = 0): Record<string, string> {
  const path = `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/capsOperations/${op}`;
  if (pending) s.get(path).query(API).times(pending).reply(200, { status: "InProgress" });
  s.get(path).query(API).reply(200, { status: "Succeeded" });
  return { "azure-asyncoperation": `${ARM}${path}?api-version=2025-03-03` };
}
const version = (tags: Record<string, string> | undefined = TAGS, profile: object = {}) => ({
  id: VERSION,
  name: "2026.102.30405",
  location: "westeurope",
  ...(tags ? { tags } : {}),
  properties: { provisioningState: "Succeeded", storageProfile: profile },
});
const notFound = { error: { code: "ResourceNotFound", message: "not found" } };

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

describe("gallery image version ids", () => {
  it("are taken apart, whatever the case; anything else is refused", () => {
    expect(parseVersionId(VERSION.replace("resourceGroups", "resourcegroups"))).toEqual({
      subscription: SUB,
      resourceGroup: "formations-images",
      gallery: "formations_westeurope",
      definition: "lab-head",
      version: "2026.102.30405",
    });
    expect(() => parseVersionId(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/images/legacy`)).toThrow(
      /is not an Azure gallery image version id/,
    );
  });
});

describe("remove", () => {
  it("deletes the version (polled to the end), then its definition left empty: the exact requests", async () => {
    const s = arm();
    s.get(VERSION).query(API).reply(200, version());
    s.delete(VERSION)
      .query(API)
      .reply(202, "", lro(s, "op-v", 2));
    s.get(DEF).query(API).reply(200, { id: DEF, name: "lab-head", location: "westeurope", tags: TAGS, properties: {} });
    s.get(`${DEF}/versions`).query(API).reply(200, { value: [] });
    s.delete(DEF).query(API).reply(202, "", lro(s, "op-d"));
    expect(await store().remove(image)).toEqual({
      deleted: [`gallery image version ${VERSION}`, `gallery image definition ${DEF} (it held no other version)`],
    });
    const ops = `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/capsOperations`;
    expect(log).toEqual([
      `GET ${VERSION}${q}`,
      `DELETE ${VERSION}${q}`,
      `GET ${ops}/op-v${q}`,
      `GET ${ops}/op-v${q}`,
      `GET ${ops}/op-v${q}`,
      `GET ${DEF}${q}`,
      `GET ${DEF}/versions${q}`,
      `DELETE ${DEF}${q}`,
      `GET ${ops}/op-d${q}`,
    ]);
    s.done();
  });

  it("keeps the definition while it holds another version, or when formations did not make it", async () => {
    const s = arm();
    s.get(VERSION).query(API).times(2).reply(200, version());
    s.delete(VERSION).query(API).times(2).reply(204);
    s.get(DEF).query(API).reply(200, { id: DEF, tags: TAGS, properties: {} });
    s.get(`${DEF}/versions`)
      .query(API)
      .reply(200, { value: [{ id: `${DEF}/versions/2026.103.0`, name: "2026.103.0", location: "westeurope", properties: {} }] });
    s.get(DEF)
      .query(API)
      .reply(200, { id: DEF, tags: { owner: "someone" }, properties: {} });
    expect(await store().remove(image)).toEqual({ deleted: [`gallery image version ${VERSION}`] });
    expect(await store().remove(image)).toEqual({ deleted: [`gallery image version ${VERSION}`] });
    expect(mutating()).toEqual([`DELETE ${VERSION}${q}`, `DELETE ${VERSION}${q}`]);
    s.done();
  });

  it("a version Azure no longer has is gone: nothing is sent but the read", async () => {
    const s = arm();
    s.get(VERSION).query(API).reply(404, notFound);
    expect(await store().remove(image)).toEqual({ deleted: [], gone: true });
    expect(log).toEqual([`GET ${VERSION}${q}`]);
    s.done();
  });

  it("a version deleted by someone else between the read and the DELETE is gone too", async () => {
    const s = arm();
    s.get(VERSION).query(API).reply(200, version());
    s.delete(VERSION).query(API).reply(404, notFound);
    expect(await store().remove(image)).toEqual({ deleted: [], gone: true });
    expect(mutating()).toEqual([`DELETE ${VERSION}${q}`]);
    s.done();
  });

  it("refuses a version without formations' tags (exit 1, the az command in the hint), sending nothing that changes", async () => {
    const s = arm();
    s.get(VERSION)
      .query(API)
      .reply(200, version({ "managed-by": "formations" }));
    const err = (await store()
      .remove(image)
      .catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toBe(
      `Azure image version ${VERSION} does not carry the tags formations' snapshot sets (managed-by: formations, formations-snapshot-of): formations deletes only images it took, so nothing was deleted`,
    );
    expect(err.hint).toBe("if it is yours to delete: az sig image-version delete -g formations-images -r formations_westeurope -i lab-head -e 2026.102.30405");
    expect(mutating()).toEqual([]);
    s.done();
  });

  it("retries a 429 after Azure's Retry-After, on the read and on the DELETE", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const at: string[] = [];
    const throttled = (what: string) => () => (
      at.push(`${what}@${Date.now()}`),
      [429, { error: { code: "TooManyRequests", message: "slow down" } }, { "retry-after": "3" }] as const
    );
    const s = arm();
    s.get(VERSION).query(API).reply(throttled("get"));
    s.get(VERSION)
      .query(API)
      .reply(() => (at.push(`get@${Date.now()}`), [200, version()]));
    s.delete(VERSION).query(API).reply(throttled("delete"));
    s.delete(VERSION)
      .query(API)
      .reply(() => (at.push(`delete@${Date.now()}`), [202, "", lro(s, "op-v")]));
    s.get(DEF).query(API).reply(200, { id: DEF, tags: TAGS, properties: {} });
    s.get(`${DEF}/versions`)
      .query(API)
      .reply(200, { value: [{ id: "other", properties: {} }] });
    const r = await drive(store().remove(image));
    expect(r).toEqual({ deleted: [`gallery image version ${VERSION}`] });
    expect(mutating()).toEqual([`DELETE ${VERSION}${q}`, `DELETE ${VERSION}${q}`]);
    const t = at.map((a) => Number(a.split("@")[1]));
    expect(at.map((a) => a.split("@")[0])).toEqual(["get", "get", "delete", "delete"]);
    expect(t[1]! - t[0]!).toBeGreaterThanOrEqual(3_000);
    expect(t[3]! - t[2]!).toBeGreaterThanOrEqual(3_000);
    s.done();
  });

  it("gives up on throttling after its retries, saying so", async () => {
    const s = arm();
    s.get(VERSION)
      .query(API)
      .times(3)
      .reply(429, { error: { code: "TooManyRequests", message: "slow down" } });
    await expect(store({ retries: 2 }).remove(image)).rejects.toMatchObject({
      kind: "throttled",
      message: expect.stringMatching(/Azure is throttling requests \(429\)/),
    });
    expect(log).toHaveLength(3);
    s.done();
  });

  it("a DELETE refused halfway fails with Azure's reason, and nothing after it is sent", async () => {
    const s = arm();
    s.get(VERSION).query(API).reply(200, version());
    s.delete(VERSION)
      .query(API)
      .reply(403, { error: { code: "AuthorizationFailed", message: "no permission to delete" } });
    await expect(store().remove(image)).rejects.toMatchObject({
      kind: "other",
      exitCode: 3,
      message:
        "Azure denied it for image version lab-head/2026.102.30405 of gallery formations_westeurope (403): the identity lacks the role or permission (AuthorizationFailed)",
    });
    expect(mutating()).toEqual([`DELETE ${VERSION}${q}`]);
    s.done();
  });

  it("a deletion that fails in Azure's operation is reported, and the definition is left alone", async () => {
    const s = arm();
    s.get(VERSION).query(API).reply(200, version());
    const path = `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/capsOperations/op-f`;
    s.delete(VERSION)
      .query(API)
      .reply(202, "", { "azure-asyncoperation": `${ARM}${path}?api-version=2025-03-03` });
    s.get(path)
      .query(API)
      .reply(200, { status: "Failed", error: { code: "OperationNotAllowed", message: "the version is replicating" } });
    await expect(store().remove(image)).rejects.toMatchObject({ message: expect.stringMatching(/the version is replicating/) });
    expect(mutating()).toEqual([`DELETE ${VERSION}${q}`]);
    expect(log.some((l) => l.startsWith(`GET ${DEF}${q}`))).toBe(false);
    s.done();
  });

  it("a deletion outlasting the bound fails as a timeout, saying the entry stays for a later try", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const s = arm();
    s.get(VERSION).query(API).reply(200, version());
    const path = `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/capsOperations/op-slow`;
    s.delete(VERSION)
      .query(API)
      .reply(202, "", { "azure-asyncoperation": `${ARM}${path}?api-version=2025-03-03` });
    s.get(path).query(API).times(50).reply(200, { status: "InProgress" });
    const err = await drive(store({ pollMs: 1_000, waitMs: 5_000 }).remove(image)).catch((e: unknown) => e);
    expect(err).toMatchObject({
      kind: "timeout",
      message:
        "Azure is still deleting image version lab-head/2026.102.30405 of gallery formations_westeurope after 5 s: run images delete again later (the catalog keeps the entry until then)",
    });
    expect(mutating()).toEqual([`DELETE ${VERSION}${q}`]);
  });

  it("says the version was deleted when only its empty definition could not be", async () => {
    const s = arm();
    s.get(VERSION).query(API).reply(200, version());
    s.delete(VERSION).query(API).reply(204);
    s.get(DEF).query(API).reply(200, { id: DEF, tags: TAGS, properties: {} });
    s.get(`${DEF}/versions`).query(API).reply(200, { value: [] });
    s.delete(DEF)
      .query(API)
      .reply(409, { error: { code: "Conflict", message: "a version is being created" } });
    await expect(store().remove(image)).rejects.toMatchObject({
      kind: "invalid-state",
      message: expect.stringMatching(
        new RegExp(
          `^deleted gallery image version ${VERSION}, but not its image definition lab-head, now empty \\(it costs nothing; .*a version is being created`,
        ),
      ),
    });
    s.done();
  });
});

describe("sizeGb", () => {
  it("adds the version's OS and data disk images; unknown while Azure has not said", async () => {
    const s = arm();
    s.get(VERSION)
      .query(API)
      .reply(200, version(TAGS, { osDiskImage: { sizeInGB: 30 }, dataDiskImages: [{ lun: 0, sizeInGB: 100 }] }));
    s.get(VERSION).query(API).reply(200, version(TAGS, {}));
    expect(await store().sizeGb(image)).toBe(130);
    expect(await store().sizeGb(image)).toBeUndefined();
    s.done();
  });
});

describe("the CLI's images delete on an Azure image, through this store", () => {
  it("--yes --json deletes the version and forgets the entry", async () => {
    const h = await harness();
    try {
      const entry: ImageEntry = {
        id: catalogId("azure", "westeurope", VERSION),
        provider: "azure",
        region: "westeurope",
        imageId: VERSION,
        name: "2026.102.30405",
        image: VERSION,
        session: "lab",
        machine: "head",
        formation: "lab",
        kind: "Pool",
        labels: {},
        at: "2026-01-02T03:04:05.000Z",
      };
      await recordImage(h.engine, entry, "apiVersion: formations/v1\n");
      const s = arm();
      s.get(VERSION).query(API).reply(200, version());
      s.delete(VERSION).query(API).reply(202, "", lro(s, "op-v"));
      s.get(DEF).query(API).reply(200, { id: DEF, tags: TAGS, properties: {} });
      s.get(`${DEF}/versions`)
        .query(API)
        .reply(200, { value: [{ id: "other", properties: {} }] });
      const out: string[] = [];
      const io: Output = { out: (l) => out.push(l), err: () => {}, color: false };
      const code = await imagesDeleteCommand(entry.id, { yes: true, json: true }, io, {
        interactive: false,
        live: false,
        signals: new EventEmitter(),
        makeSessions: (o: SessionsOptions) => h.another({ ...o, imageStores: async () => store() }),
      });
      expect(code).toBe(0);
      expect(JSON.parse(out.join("\n"))).toEqual({ image: entry, deleted: [`gallery image version ${VERSION}`], gone: false });
      expect((await h.sessions.images()).images).toEqual([]);
      s.done();
    } finally {
      await h.cleanup();
    }
  });
});

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
