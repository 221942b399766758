/**
 * Test layer 4: cloud SDK calls on their exact requests (the SDK's mock library or HTTP interception); no cloud is reached.
 * OpenStack's image store (`images delete`, the catalog's sizes) on the exact requests it sends
 * to Keystone, Glance and Cinder, answered by scripted APIs on undici's MockAgent: the endpoints
 * from the token's catalog, the token on every call, a volume-backed snapshot's Cinder snapshots
 * deleted and waited for before its Glance image, an image without formations' property refused
 * with no mutating request, 404 as already gone, 413/429 retried after Retry-After, and a failure
 * halfway said with what was and was not deleted, nothing sent after it. The last case runs the
 * CLI's `images delete --yes --json` on a catalog held by FakeEngine (a test double of the
 * engine) through this store.
 */
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MockAgent } from "undici";
import { OpenStackImages, snapshotsOf, type OpenStackImagesOptions } from "../../../clouds/openstack/actions/images.js";
import { Keystone, type CatalogService, type OpenStackCloud } from "../../../clouds/openstack/actions/keystone.js";
import { catalogId, type ImageEntry } from "../../../automation/images/catalog.js";
import { recordImage } from "../../../automation/images/store.js";
import type { SessionsOptions } from "../../../automation/sessions.js";
import { imagesDeleteCommand } from "../../../cli/images.js";
import type { Output } from "../../../cli/output.js";
import { UserError } from "../../../user-error.js";
import { harness } from "../../automation/helpers.js";
import { drive, FAKE_TIMERS, FakeApi, mockHttp, type Recorded, type Reply } from "../../automation/actions/rest-mock.js";
import { TEST_CLOUD } from "./cloud.js";

const IMG = "4b1f7c3e-0a6d-4e8b-9a51-6c2d1e0f9a77";
const SNAP1 = "snap-1111";
const SNAP2 = "snap-2222";
const PROJECT = "proj-1";
const IMAGE = `/v2/images/${IMG}`;
const snap = (id: string) => `/v3/${PROJECT}/snapshots/${id}`;
const catalog = (
  volume: CatalogService = { type: "volumev3", endpoints: [{ interface: "public", region_id: "RegionOne", url: `https://cinder.test:8776/v3/${PROJECT}` }] },
): CatalogService[] => [
  { type: "compute", endpoints: [{ interface: "public", region_id: "RegionOne", url: "https://nova.test:8774/v2.1" }] },
  { type: "image", endpoints: [{ interface: "public", region_id: "RegionOne", url: "https://glance.test:9292/" }] },
  volume,
];
const cloud: OpenStackCloud = TEST_CLOUD;
const issued = (cat = catalog()): Reply => ({
  status: 201,
  headers: { "x-subject-token": "tok-1" },
  body: { token: { expires_at: "2099-01-01T00:00:00Z", catalog: cat, project: { id: PROJECT, name: "lab" } } },
});
/** A Glance image as GET /v2/images/{id} answers: properties are top-level keys. */
const glanceImage = (props: Record<string, unknown> = { "formations-snapshot-of": "s1/head" }, more: Record<string, unknown> = {}): Reply => ({
  status: 200,
  body: { id: IMG, name: "s1-head-20300102030405", status: "active", size: 0, visibility: "private", ...props, ...more },
});
/** The block_device_mapping property Nova sets on a snapshot of a volume-backed server (JSON text). */
const bdm = (...ids: string[]) =>
  JSON.stringify(
    ids.map((id, n) => ({
      source_type: "snapshot",
      destination_type: "volume",
      snapshot_id: id,
      volume_size: 20,
      boot_index: n === 0 ? 0 : null,
      device_name: `/dev/vd${"ab"[n]}`,
    })),
  );
const volumeBacked = glanceImage({ "formations-snapshot-of": "s1/head", block_device_mapping: bdm(SNAP1, SNAP2), root_device_name: "/dev/vda" });
const deleting: Reply = { status: 200, body: { snapshot: { id: SNAP1, status: "deleting" } } };
const noSnapshot: Reply = { status: 404, body: { itemNotFound: { code: 404, message: "Snapshot could not be found." } } };
const noImage: Reply = { status: 404, body: { message: "No image found with ID", code: "404 Not Found", title: "Not Found" } };
const image = { imageId: IMG, name: "s1-head-20300102030405", region: "RegionOne" };

let http: { agent: MockAgent; restore: () => Promise<void> };
let keystone: FakeApi;
let glance: FakeApi;
let cinder: FakeApi;
/** Every Glance and Cinder request, in the order sent. */
let order: string[];
const store = (o: OpenStackImagesOptions = {}) =>
  new OpenStackImages({ keystone: new Keystone(async () => cloud), pollMs: 0, waitMs: 60_000, random: () => 0, ...o });
const mutating = () => order.filter((c) => !c.startsWith("GET "));

function recording(api: FakeApi, service: string): FakeApi {
  const push = api.log.push.bind(api.log);
  api.log.push = (...r: Recorded[]) => (order.push(...r.map((c) => `${c.method} ${service} ${c.path}`)), push(...r));
  return api;
}

beforeEach(() => {
  order = [];
  http = mockHttp();
  keystone = new FakeApi(http.agent, "https://keystone.test:5000").on("POST", "/v3/auth/tokens", issued());
  glance = recording(new FakeApi(http.agent, "https://glance.test:9292"), "glance");
  cinder = recording(new FakeApi(http.agent, "https://cinder.test:8776"), "cinder");
});
afterEach(async () => {
  vi.useRealTimers();
  await http.restore();
});

describe("remove", () => {
  it("a snapshot of an image-backed server is one Glance image: read, then DELETE, with the token", async () => {
    glance.on("GET", IMAGE, glanceImage());
    glance.on("DELETE", IMAGE, { status: 204 });
    expect(await store().remove(image)).toEqual({ deleted: [`Glance image ${IMG}`] });
    expect(order).toEqual([`GET glance ${IMAGE}`, `DELETE glance ${IMAGE}`]);
    expect(glance.log.every((c) => c.headers["x-auth-token"] === "tok-1")).toBe(true);
    expect(keystone.calls()).toEqual(["POST /v3/auth/tokens"]);
  });

  it("a volume-backed one: each Cinder snapshot deleted and waited for until Cinder has none, then the image", async () => {
    glance.on("GET", IMAGE, volumeBacked);
    glance.on("DELETE", IMAGE, { status: 204 });
    cinder.on("DELETE", snap(SNAP1), { status: 202 });
    cinder.on("GET", snap(SNAP1), deleting, deleting, noSnapshot);
    cinder.on("DELETE", snap(SNAP2), { status: 202 });
    cinder.on("GET", snap(SNAP2), noSnapshot);
    expect(await store().remove(image)).toEqual({ deleted: [`Cinder snapshot ${SNAP1}`, `Cinder snapshot ${SNAP2}`, `Glance image ${IMG}`] });
    expect(order).toEqual([
      `GET glance ${IMAGE}`,
      `DELETE cinder ${snap(SNAP1)}`,
      `GET cinder ${snap(SNAP1)}`,
      `GET cinder ${snap(SNAP1)}`,
      `GET cinder ${snap(SNAP1)}`,
      `DELETE cinder ${snap(SNAP2)}`,
      `GET cinder ${snap(SNAP2)}`,
      `DELETE glance ${IMAGE}`,
    ]);
    expect(cinder.log.every((c) => c.headers["x-auth-token"] === "tok-1")).toBe(true);
  });

  it("an image Glance no longer has is gone: only the read is sent", async () => {
    glance.on("GET", IMAGE, noImage);
    expect(await store().remove(image)).toEqual({ deleted: [], gone: true });
    expect(order).toEqual([`GET glance ${IMAGE}`]);
  });

  it("a snapshot already deleted is skipped, not reported; the image still goes", async () => {
    glance.on("GET", IMAGE, volumeBacked);
    glance.on("DELETE", IMAGE, { status: 204 });
    cinder.on("DELETE", snap(SNAP1), noSnapshot);
    cinder.on("DELETE", snap(SNAP2), { status: 202 });
    cinder.on("GET", snap(SNAP2), noSnapshot);
    expect(await store().remove(image)).toEqual({ deleted: [`Cinder snapshot ${SNAP2}`, `Glance image ${IMG}`] });
    expect(mutating()).toEqual([`DELETE cinder ${snap(SNAP1)}`, `DELETE cinder ${snap(SNAP2)}`, `DELETE glance ${IMAGE}`]);
  });

  it("refuses an image without formations' property (exit 1, the openstack command in the hint), sending nothing that changes", async () => {
    glance.on("GET", IMAGE, glanceImage({ block_device_mapping: bdm(SNAP1) }));
    const err = (await store()
      .remove(image)
      .catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toBe(
      `Glance image ${IMG} (s1-head-20300102030405) has no 'formations-snapshot-of' property, which formations' snapshot sets: formations deletes only images it took, so nothing was deleted`,
    );
    expect(err.hint).toBe(`if it is yours to delete: openstack image delete ${IMG}`);
    expect(mutating()).toEqual([]);
  });

  it("retries 429 and 413 after Retry-After, on Cinder and on Glance", async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const over = (status: number): Reply => ({
      status,
      headers: { "retry-after": "2" },
      body: { overLimit: { code: status, message: "This request was rate-limited." } },
    });
    glance.on("GET", IMAGE, glanceImage({ "formations-snapshot-of": "s1/head", block_device_mapping: bdm(SNAP1) }));
    glance.on("DELETE", IMAGE, over(429), { status: 204 });
    cinder.on("DELETE", snap(SNAP1), over(413), { status: 202 });
    cinder.on("GET", snap(SNAP1), noSnapshot);
    expect(await drive(store().remove(image))).toEqual({ deleted: [`Cinder snapshot ${SNAP1}`, `Glance image ${IMG}`] });
    expect(mutating()).toEqual([`DELETE cinder ${snap(SNAP1)}`, `DELETE cinder ${snap(SNAP1)}`, `DELETE glance ${IMAGE}`, `DELETE glance ${IMAGE}`]);
    const at = (api: FakeApi) => api.log.filter((c) => c.method === "DELETE").map((c) => c.at);
    const [c1, c2] = at(cinder);
    const [g1, g2] = at(glance);
    expect(c2! - c1!).toBeGreaterThanOrEqual(2_000);
    expect(g2! - g1!).toBeGreaterThanOrEqual(2_000);
  });

  it("a snapshot Cinder refuses halfway: the error says what was deleted and what is still there, and nothing after it is sent", async () => {
    glance.on("GET", IMAGE, volumeBacked);
    cinder.on("DELETE", snap(SNAP1), { status: 202 });
    cinder.on("GET", snap(SNAP1), noSnapshot);
    cinder.on("DELETE", snap(SNAP2), {
      status: 400,
      body: { badRequest: { code: 400, message: "Invalid snapshot: Snapshot status must be available or error." } },
    });
    const err = await store()
      .remove(image)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      kind: "other",
      exitCode: 3,
      message: `Cinder snapshot ${SNAP2}: Cinder refused it (400: Invalid snapshot: Snapshot status must be available or error.); deleted Cinder snapshot ${SNAP1}; still there: Cinder snapshot ${SNAP2}, Glance image ${IMG} (images delete again finishes the job once that is fixed)`,
    });
    expect(mutating()).toEqual([`DELETE cinder ${snap(SNAP1)}`, `DELETE cinder ${snap(SNAP2)}`]);
  });

  it("a snapshot that ends in error_deleting fails before the image is touched", async () => {
    glance.on("GET", IMAGE, glanceImage({ "formations-snapshot-of": "s1/head", block_device_mapping: bdm(SNAP1) }));
    cinder.on("DELETE", snap(SNAP1), { status: 202 });
    cinder.on("GET", snap(SNAP1), deleting, { status: 200, body: { snapshot: { id: SNAP1, status: "error_deleting" } } });
    await expect(store().remove(image)).rejects.toMatchObject({
      message: expect.stringMatching(
        new RegExp(
          `^Cinder snapshot ${SNAP1}: Cinder failed to delete it \\(status error_deleting\\).*nothing was deleted; still there: Cinder snapshot ${SNAP1}, Glance image ${IMG}`,
        ),
      ),
    });
    expect(mutating()).toEqual([`DELETE cinder ${snap(SNAP1)}`]);
  });

  it("a protected image Glance refuses after its snapshots went: said so, the image named as still there", async () => {
    glance.on("GET", IMAGE, glanceImage({ "formations-snapshot-of": "s1/head", block_device_mapping: bdm(SNAP1) }));
    glance.on("DELETE", IMAGE, { status: 403, body: { message: "Image is protected", code: "403 Forbidden", title: "Forbidden" } });
    cinder.on("DELETE", snap(SNAP1), { status: 202 });
    cinder.on("GET", snap(SNAP1), noSnapshot);
    await expect(store().remove(image)).rejects.toMatchObject({
      message: `Glance image ${IMG}: the cloud's policy forbids it (Image is protected); deleted Cinder snapshot ${SNAP1}; still there: Glance image ${IMG} (images delete again finishes the job once that is fixed)`,
    });
  });

  it("finds block storage as block-storage with a project-less URL, and Glance behind a /v2 URL", async () => {
    keystone.on(
      "POST",
      "/v3/auth/tokens",
      issued([
        { type: "image", endpoints: [{ interface: "public", region_id: "RegionOne", url: "https://glance.test:9292/v2" }] },
        { type: "block-storage", endpoints: [{ interface: "public", region_id: "RegionOne", url: "https://cinder.test:8776/v3/" }] },
      ]),
    );
    glance.on("GET", IMAGE, glanceImage({ "formations-snapshot-of": "s1/head", block_device_mapping: bdm(SNAP1) }));
    glance.on("DELETE", IMAGE, { status: 204 });
    cinder.on("DELETE", snap(SNAP1), { status: 202 });
    cinder.on("GET", snap(SNAP1), noSnapshot);
    expect(await store().remove(image)).toMatchObject({ deleted: [`Cinder snapshot ${SNAP1}`, `Glance image ${IMG}`] });
    expect(order).toEqual([`GET glance ${IMAGE}`, `DELETE cinder ${snap(SNAP1)}`, `GET cinder ${snap(SNAP1)}`, `DELETE glance ${IMAGE}`]);
  });
});

describe("sizeGb and the snapshots an image names", () => {
  it("adds the image's bytes and its volume snapshots' sizes; unknown when neither is said", async () => {
    glance.on("GET", IMAGE, glanceImage({ "formations-snapshot-of": "s1/head" }, { size: 2_500_000_000 }), volumeBacked, glanceImage({}, { size: null }));
    expect(await store().sizeGb(image)).toBe(2.5);
    expect(await store().sizeGb(image)).toBe(40);
    expect(await store().sizeGb(image)).toBeUndefined();
  });

  it("reads block_device_mapping as Nova writes it (JSON text), or as a list; ignores what is not a snapshot", () => {
    expect(snapshotsOf({ id: "i", block_device_mapping: bdm(SNAP1, SNAP1, SNAP2) })).toEqual([SNAP1, SNAP2]);
    expect(snapshotsOf({ id: "i", block_device_mapping: [{ source_type: "image", snapshot_id: null }, { snapshot_id: SNAP2 }] as unknown as string })).toEqual([
      SNAP2,
    ]);
    expect(snapshotsOf({ id: "i", block_device_mapping: "not json" })).toEqual([]);
    expect(snapshotsOf({ id: "i" })).toEqual([]);
  });
});

describe("the CLI's images delete on an OpenStack image, through this store", () => {
  it("--yes --json deletes the snapshots and the image, and forgets the entry", async () => {
    const h = await harness();
    try {
      const entry: ImageEntry = {
        id: catalogId("openstack", "RegionOne", IMG),
        provider: "openstack",
        region: "RegionOne",
        imageId: IMG,
        name: "s1-head-20300102030405",
        image: IMG,
        session: "s1",
        machine: "head",
        formation: "s1",
        kind: "Pool",
        labels: {},
        at: "2030-01-02T03:04:05.000Z",
      };
      await recordImage(h.engine, entry, "apiVersion: formations/v1\n");
      glance.on("GET", IMAGE, glanceImage({ "formations-snapshot-of": "s1/head", block_device_mapping: bdm(SNAP1) }));
      glance.on("DELETE", IMAGE, { status: 204 });
      cinder.on("DELETE", snap(SNAP1), { status: 202 });
      cinder.on("GET", snap(SNAP1), noSnapshot);
      const out: string[] = [];
      const io: Output = { out: (l) => out.push(l), err: () => {}, color: false };
      const code = await imagesDeleteCommand(entry.id, { yes: true, json: true }, io, {
        interactive: false,
        live: false,
        signals: new EventEmitter(),
        makeSessions: (o: SessionsOptions) => h.another({ ...o, imageStores: async () => store() }),
      });
      expect(code).toBe(0);
      expect(JSON.parse(out.join("\n"))).toEqual({ image: entry, deleted: [`Cinder snapshot ${SNAP1}`, `Glance image ${IMG}`], gone: false });
      expect((await h.sessions.images()).images).toEqual([]);
    } finally {
      await h.cleanup();
    }
  });
});
