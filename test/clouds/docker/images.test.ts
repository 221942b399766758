/**
 * Test layer 3, Docker half: the real Docker engine, with no Pulumi involved (the image catalog
 * lives in FakeEngine, a test double of the Pulumi engine, for the CLI case).
 * The Docker image store (clouds/docker/actions/images.ts): an image the driver's snapshot
 * committed (it carries the `formations-snapshot-of` label) is removed; an image committed
 * without that label is refused (exit 1) and stays, with no untag or delete in the engine's
 * event log; one the engine no longer has is gone; and `formations images delete` of an
 * unmarked image exits 1 with the message, keeping the catalog entry.
 */
import type Docker from "dockerode";
import { EventEmitter } from "node:events";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { imagesDeleteCommand } from "../../../cli/images.js";
import type { Output } from "../../../cli/output.js";
import { DockerDriver } from "../../../clouds/docker/actions/driver.js";
import { DockerImages } from "../../../clouds/docker/actions/images.js";
import { catalogId, type ImageEntry } from "../../../automation/images/catalog.js";
import { recordImage } from "../../../automation/images/store.js";
import { UserError } from "../../../user-error.js";
import { cleanup, createMachine, ensureEngine, uniqueSession } from "../../automation/actions/engine.js";
import { harness, type Harness } from "../../automation/helpers.js";

/** Real containers and commits on a shared, sometimes busy machine: a bound, not a speed claim. */
const SLOW = 60_000;

let docker: Docker;
const sessions: string[] = [];
const images: string[] = [];
let h: Harness | undefined;

beforeAll(async () => {
  docker = await ensureEngine();
}, 200_000);

afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  if (!docker) return; // the engine never came up: beforeAll has already failed the suite
  await Promise.all(sessions.splice(0).map((s) => cleanup(docker, s, images.splice(0))));
}, SLOW);

/** A committed image of a fresh container: as the snapshot makes it (labelled), or a plain `docker commit` (not). */
async function committed(what: string, marked: boolean): Promise<{ name: string; id: string }> {
  const session = uniqueSession(what);
  sessions.push(session);
  const t = await createMachine(docker, session, "machine", "machine", { start: false });
  const name = `${session}-img:v1`;
  images.push(name);
  if (marked) return { name, id: (await new DockerDriver().snapshot(t, name)).imageId };
  const out = (await docker.getContainer(t.providerId!).commit({ repo: `${session}-img`, tag: "v1" })) as { Id: string };
  return { name, id: out.Id };
}

/** The engine's image events (untag, delete...) for an image id between two times: what was done to it. */
async function imageEvents(id: string, since: number): Promise<string[]> {
  // Seconds with a fraction: the engine reads them to the nanosecond, and a past `until` ends the stream at once.
  const stream = await docker.getEvents({ since: since / 1000, until: Date.now() / 1000, filters: { type: ["image"], image: [id] } });
  let text = "";
  for await (const chunk of stream as unknown as AsyncIterable<Buffer>) text += chunk.toString();
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { Action: string }).Action);
}

const inspect = (ref: string) =>
  docker
    .getImage(ref)
    .inspect()
    .catch((e: { statusCode?: number }) => (e.statusCode === 404 ? undefined : Promise.reject(e)));

describe("DockerImages.remove", { timeout: SLOW }, () => {
  it("removes an image the snapshot committed (it carries formations-snapshot-of)", async () => {
    const since = Date.now();
    const img = await committed("img-marked", true);
    expect((await inspect(img.id))?.Config.Labels?.["formations-snapshot-of"]).toMatch(/\/machine$/);
    const r = await new DockerImages().remove({ imageId: img.id, name: img.name });
    expect(r.deleted).toEqual([`untagged ${img.name}`, `deleted ${img.id}`]);
    expect(await inspect(img.id)).toBeUndefined();
    expect(await imageEvents(img.id, since)).toEqual(expect.arrayContaining(["untag", "delete"]));
  });

  it("refuses an image committed without the label: exit 1, the image named, nothing untagged or deleted", async () => {
    const since = Date.now();
    const img = await committed("img-plain", false);
    const err = await new DockerImages().remove({ imageId: img.id, name: img.name }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({
      exitCode: 1,
      message: `Docker image ${img.name} (${img.id}) has no 'formations-snapshot-of' label, which formations' snapshot commits every image with: formations deletes only images it took, so nothing was removed`,
      hint: `if it is yours to delete: docker image rm ${img.name}`,
    });
    expect((await inspect(img.id))?.RepoTags).toEqual([img.name]);
    expect((await imageEvents(img.id, since)).filter((a) => a === "untag" || a === "delete")).toEqual([]);
  });

  it("an image the engine no longer has is gone, nothing removed", async () => {
    const img = await committed("img-gone", true);
    await docker.getImage(img.name).remove();
    expect(await new DockerImages().remove({ imageId: img.id, name: img.name })).toEqual({ deleted: [], gone: true });
  });
});

describe("formations images delete of an image formations did not commit", { timeout: SLOW }, () => {
  it("exits 1 with the message and the fix, removes nothing, and keeps the catalog entry", async () => {
    const img = await committed("img-cli", false);
    h = await harness({ imageStores: async () => new DockerImages() });
    const entry: ImageEntry = {
      id: catalogId("docker", undefined, img.id),
      provider: "docker",
      imageId: img.id,
      name: img.name,
      image: img.name,
      session: "lab",
      machine: "machine-1",
      formation: "lab",
      kind: "Pool",
      labels: {},
      at: new Date().toISOString(),
    };
    await recordImage(h.engine, entry, "apiVersion: formations/v1\n");
    const out: string[] = [];
    const err: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), color: false };
    const code = await imagesDeleteCommand(entry.id, { yes: true }, io, {
      interactive: false,
      live: false,
      signals: new EventEmitter(),
      makeSessions: (o) => h!.another({ ...o, imageStores: async () => new DockerImages() }),
    });
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      `formations: Docker image ${img.name} (${img.id}) has no 'formations-snapshot-of' label, which formations' snapshot commits every image with: formations deletes only images it took, so nothing was removed`,
      `hint: if it is yours to delete: docker image rm ${img.name}; 'formations images forget ${entry.id}' drops the catalog entry without touching the image`,
    ]);
    expect((await inspect(img.id))?.RepoTags).toEqual([img.name]);
    expect((await h.sessions.images()).images.map((i) => i.id)).toEqual([entry.id]);
  });
});
