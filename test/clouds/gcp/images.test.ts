/**
 * Layer 4: the GCP image store (clouds/gcp/actions/images.ts) on the exact Compute REST requests
 * it sends, answered by a scripted API on undici's MockAgent: a machine image sized by its stored
 * bytes, deleted with machineImages.delete when it carries the labels formations' snapshot sets,
 * refused (exit 1, no DELETE sent) when it does not, and one GCE no longer knows reported gone.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MockAgent } from "undici";
import { GcpImages } from "../../../clouds/gcp/actions/images.js";
import { UserError } from "../../../user-error.js";
import { FakeApi, mockHttp } from "../../automation/actions/rest-mock.js";

const PATH = "/compute/v1/projects/p1/global/machineImages/s1-head-20300102";
const image = { imageId: "projects/p1/global/machineImages/s1-head-20300102", name: "s1-head-20300102" };
/** The labels the driver's snapshot puts on the machine image (clouds/gcp/actions/driver.ts). */
const labels = { "formations-session": "s1", "formations-machine": "head" };
const store = () => new GcpImages({ auth: { accessToken: async () => "tok-1" } });
let http: { agent: MockAgent; restore: () => Promise<void> };
let api: FakeApi;

beforeEach(() => {
  http = mockHttp();
  api = new FakeApi(http.agent, "https://compute.googleapis.com");
});
afterEach(() => http.restore());

describe("GcpImages", () => {
  it("sizes a machine image by its totalStorageBytes", async () => {
    api.on("GET", PATH, { status: 200, body: { name: image.name, status: "READY", totalStorageBytes: "2500000000" } });
    expect(await store().sizeGb(image)).toBe(2.5);
    expect(api.calls()).toEqual([`GET ${PATH}`]);
    expect(api.log[0]!.headers.authorization).toBe("Bearer tok-1");
  });

  it("deletes it with machineImages.delete", async () => {
    api.on("GET", PATH, { status: 200, body: { name: image.name, status: "READY", labels } });
    api.on("DELETE", PATH, { status: 200, body: { name: "delete-1", status: "RUNNING" } });
    expect(await store().remove(image)).toEqual({ deleted: [`machine image ${image.imageId}`] });
    expect(api.calls()).toEqual([`GET ${PATH}`, `DELETE ${PATH}`]);
  });

  it("refuses a machine image without formations' labels: exit 1, the image and the missing labels named, no DELETE sent", async () => {
    api.on("GET", PATH, { status: 200, body: { name: image.name, status: "READY", labels: { team: "bio" } } });
    const err = await store()
      .remove(image)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({
      exitCode: 1,
      message: `GCE machine image ${image.imageId} lacks the labels formations-session and formations-machine: formations' snapshot labels every machine image it takes with formations-session and formations-machine, and deletes only those, so nothing was deleted`,
      hint: "if it is yours to delete: gcloud compute machine-images delete s1-head-20300102 --project p1",
    });
    expect(api.calls()).toEqual([`GET ${PATH}`]);
  });

  it("names the one label missing, and sends no DELETE", async () => {
    api.on("GET", PATH, { status: 200, body: { name: image.name, status: "READY", labels: { "formations-session": "s1" } } });
    await expect(store().remove(image)).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/ lacks the label formations-machine: /) });
    expect(api.mutating()).toEqual([]);
  });

  it("one deleted by someone else between the read and the DELETE is gone all the same", async () => {
    api.on("GET", PATH, { status: 200, body: { name: image.name, status: "READY", labels } });
    api.on("DELETE", PATH, { status: 404, body: { error: { code: 404, message: "not found", errors: [{ reason: "notFound" }] } } });
    expect(await store().remove(image)).toEqual({ deleted: [], gone: true });
    expect(api.calls()).toEqual([`GET ${PATH}`, `DELETE ${PATH}`]);
  });

  it("reports one GCE no longer knows as gone, deleting nothing", async () => {
    api.on("GET", PATH, { status: 404, body: { error: { code: 404, message: "not found", errors: [{ reason: "notFound" }] } } });
    expect(await store().remove(image)).toEqual({ deleted: [], gone: true });
    expect(api.mutating()).toEqual([]);
  });
});
