/**
 * Test layer 4: cloud SDK calls on their exact requests (the SDK's mock library or HTTP interception); no cloud is reached.
 * OVHcloud's image store: its instances' snapshots are Glance images (with Cinder snapshots for a
 * volume-backed instance), so the ovh descriptor's store is clouds/openstack's, made from the
 * OS_* variables of OVHcloud's openrc.sh. undici's MockAgent answers for OVHcloud's Keystone and
 * its regional image and volume endpoints: the image's region picks them from the token's
 * catalog, and `images delete` sends the same requests as on any OpenStack.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MockAgent } from "undici";
import { ovh } from "../../../clouds/ovh/index.js";
import { OpenStackImages } from "../../../clouds/openstack/actions/images.js";
import { FakeApi, mockHttp, type Reply } from "../../automation/actions/rest-mock.js";

const PROJECT = "0123456789abcdef0123456789abcdef";
const IMG = "8d6e2f1a-3b4c-4d5e-8f90-a1b2c3d4e5f6";
const SNAP = "c0ffee00-1111-2222-3333-444455556666";
const region = (r: string) => ({ interface: "public", region: r, region_id: r });
// OVHcloud's catalog: image and volume endpoints per region, the project id in the volume path.
const catalog = [
  {
    type: "image",
    endpoints: [
      { ...region("GRA11"), url: "https://image.compute.gra11.cloud.ovh.net/" },
      { ...region("SBG5"), url: "https://image.compute.sbg5.cloud.ovh.net/" },
    ],
  },
  {
    type: "volumev3",
    endpoints: [
      { ...region("GRA11"), url: `https://volume.compute.gra11.cloud.ovh.net/v3/${PROJECT}` },
      { ...region("SBG5"), url: `https://volume.compute.sbg5.cloud.ovh.net/v3/${PROJECT}` },
    ],
  },
];
const issued: Reply = { status: 201, headers: { "x-subject-token": "ovh-tok" }, body: { token: { expires_at: "2099-01-01T00:00:00Z", catalog } } };
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

beforeEach(() => {
  for (const [k, v] of Object.entries(OPENRC)) vi.stubEnv(k, v);
  vi.stubEnv("OS_CLOUD", "");
  http = mockHttp();
  keystone = new FakeApi(http.agent, "https://auth.cloud.ovh.net").on("POST", "/v3/auth/tokens", issued);
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await http.restore();
});

/** The store the ovh descriptor makes, reading between polls at once (its waits are private fields). */
async function store(): Promise<OpenStackImages> {
  const s = await ovh.actions.images({ region: "GRA11" });
  expect(s).toBeInstanceOf(OpenStackImages);
  return Object.assign(s as OpenStackImages, { pollMs: 0 });
}

describe("the ovh descriptor's image store", () => {
  it("deletes an SBG5 instance's snapshot at SBG5's endpoints: the Cinder snapshot, waited for, then the Glance image", async () => {
    const glance = new FakeApi(http.agent, "https://image.compute.sbg5.cloud.ovh.net")
      .on("GET", `/v2/images/${IMG}`, {
        status: 200,
        body: {
          id: IMG,
          name: "lab-head-20300102030405",
          status: "active",
          "formations-snapshot-of": "lab/head",
          block_device_mapping: JSON.stringify([{ source_type: "snapshot", destination_type: "volume", snapshot_id: SNAP, volume_size: 50, boot_index: 0 }]),
        },
      })
      .on("DELETE", `/v2/images/${IMG}`, { status: 204 });
    const cinder = new FakeApi(http.agent, "https://volume.compute.sbg5.cloud.ovh.net")
      .on("DELETE", `/v3/${PROJECT}/snapshots/${SNAP}`, { status: 202 })
      .on("GET", `/v3/${PROJECT}/snapshots/${SNAP}`, { status: 200, body: { snapshot: { id: SNAP, status: "deleting" } } }, { status: 404, body: {} });
    const s = await store();
    expect(await s.remove({ imageId: IMG, name: "lab-head-20300102030405", region: "SBG5" })).toEqual({
      deleted: [`Cinder snapshot ${SNAP}`, `Glance image ${IMG}`],
    });
    expect(glance.calls()).toEqual([`GET /v2/images/${IMG}`, `DELETE /v2/images/${IMG}`]);
    expect(cinder.calls()).toEqual([`DELETE /v3/${PROJECT}/snapshots/${SNAP}`, `GET /v3/${PROJECT}/snapshots/${SNAP}`, `GET /v3/${PROJECT}/snapshots/${SNAP}`]);
    expect([...glance.log, ...cinder.log].every((c) => c.headers["x-auth-token"] === "ovh-tok")).toBe(true);
    expect(keystone.calls()).toEqual(["POST /v3/auth/tokens"]);
  });

  it("an image gone from GRA11 (the context's region) is gone: nothing else is sent", async () => {
    const glance = new FakeApi(http.agent, "https://image.compute.gra11.cloud.ovh.net").on("GET", `/v2/images/${IMG}`, { status: 404, body: {} });
    expect(await (await store()).remove({ imageId: IMG, name: "x" })).toEqual({ deleted: [], gone: true });
    expect(glance.calls()).toEqual([`GET /v2/images/${IMG}`]);
  });
});
