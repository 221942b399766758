/**
 * Layer: unit, on FakeEngine (a test double of the engine), TestDoubleDriver (of a provider's
 * API) and an in-memory image store (of a cloud's images). The image catalog (automation/images/):
 * a snapshot is recorded in a stack of its own, listed by every Sessions on the same backend,
 * kept after its session is destroyed, filtered by label, deleted through the cloud's image
 * store, forgotten (its entry only, the store never asked), and turned into a formation at any
 * time; `images delete` and `images forget` on the CLI (confirmation, --yes, --json) alike on
 * every provider, a refused delete naming `images forget`; and `delete --machine` (one machine
 * out of a session for good, its name not reused, Slurm drained first, essential roles refused).
 */
import { EventEmitter } from "node:events";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLOUDS } from "../../clouds/index.js";
import { imagesDeleteCommand, imagesForgetCommand } from "../../cli/images.js";
import type { Output } from "../../cli/output.js";
import type { SessionDeps } from "../../cli/session-runtime.js";
import type { SessionsOptions } from "../../automation/sessions.js";
import type { Provider } from "../../format/types.js";
import { UserError } from "../../user-error.js";
import { catalogId, findImage, listingOf, type ImageEntry } from "../../automation/images/catalog.js";
import { ImageError } from "../../automation/images/images.js";
import { SessionError } from "../../automation/session/errors.js";
import type { ActionTarget, CommandResult } from "../../automation/actions/types.js";
import { MemoryImages } from "./memory-images.js";
import { validateText } from "../../format/load.js";
import { harness, type Harness } from "./helpers.js";
import { hpc, lab, pool } from "./actions/formations.js";
import { mirrorInto, TestDoubleDriver } from "./actions/test-double-driver.js";

/** A driver that also runs commands, as Docker's does (`docker exec`): Slurm on the head answers from a script. */
class RunningDriver extends TestDoubleDriver {
  readonly commands: string[] = [];
  sinfo: string[] = ["draining", "drained"];
  async run(t: ActionTarget, argv: readonly string[]): Promise<CommandResult> {
    this.commands.push(`${t.machine}: ${argv.join(" ")}`);
    if (argv[0] === "sinfo") return { exitCode: 0, output: `${this.sinfo.shift() ?? "drained"}\n` };
    return { exitCode: 0, output: "" };
  }
}

let h: Harness;
let driver: TestDoubleDriver;
let store: MemoryImages;

async function setup(d: TestDoubleDriver = new TestDoubleDriver()): Promise<void> {
  driver = d;
  store = new MemoryImages();
  h = await harness({ drivers: () => driver, imageStores: async () => store });
  mirrorInto(driver, h.engine);
}

async function up(text: string, session = "lab"): Promise<void> {
  await h.sessions.up(await h.file(`${session}.yaml`, text), { session });
}

afterEach(() => h?.cleanup());

describe("the image catalog", () => {
  beforeEach(() => setup());

  it("records a snapshot in a stack of its own, with where it came from, its size and monthly cost, and lists it", async () => {
    await up(pool(2, { provider: "aws" }));
    store.sizes.set("img-1", 12);
    const r = await h.sessions.snapshot("lab", { machine: "machine-2" });
    const id = catalogId("aws", "eu-west-1", "img-1");
    expect(r.catalogId).toBe(id);
    expect([...h.engine.stacks.keys()]).toContain(`images.${id}`);
    const { images, unreadable } = await h.sessions.images();
    expect(unreadable).toEqual([]);
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({
      id,
      provider: "aws",
      region: "eu-west-1",
      imageId: "img-1",
      session: "lab",
      machine: "machine-2",
      formation: "lab",
      kind: "Pool",
      labels: { team: "bio" },
      sizeGb: 12,
      sizeFrom: "provider",
      actor: "tester@host",
    });
    // 12 GB at the catalog's EBS snapshot price (0.05 per GB-month).
    expect(images[0]!.monthlyUsd).toBeCloseTo(0.6, 6);
    // The source formation is kept as a secret, not in the plain entry.
    expect(h.engine.state(`images.${id}`).outputs.formationsImageFormation).toMatchObject({ secret: true });
    expect(JSON.stringify(h.engine.state(`images.${id}`).deployment)).not.toContain("kind: Pool");
  });

  it("sizes an image by the machine's disk (an upper bound) when the provider does not say", async () => {
    await up(pool(2, { provider: "aws", machine: ["diskGb: 40"] }));
    await h.sessions.snapshot("lab", { machine: "machine-1" });
    const [i] = (await h.sessions.images()).images;
    expect(i).toMatchObject({ sizeGb: 40, sizeFrom: "disk", monthlyUsd: 2 });
  });

  it("also records an image a driver took on its own (a one-time spot machine imaged before termination)", async () => {
    await up(pool(2, { provider: "aws", machine: ["spot: true"], interruption: "terminate" }));
    driver.oneTimeSpot.add("lab/machine-1");
    await h.sessions.stop("lab", { machine: "machine-1" });
    const { images } = await h.sessions.images();
    expect(images.map((i) => [i.imageId, i.session, i.machine, i.provider, i.region])).toEqual([["img-spot", "lab", "machine-1", "aws", "eu-west-1"]]);
  });

  it("is not a session: sessions, cost and batches never see the catalog's stacks", async () => {
    await up(pool(2));
    await h.sessions.snapshot("lab", { machine: "machine-1" });
    expect((await h.sessions.list()).map((s) => s.session)).toEqual(["lab"]);
  });

  it("keeps the image after its session is destroyed, and another machine on the backend lists it", async () => {
    await up(pool(2));
    await h.sessions.snapshot("lab", { machine: "machine-1" });
    await h.sessions.destroy("lab");
    expect(await h.sessions.list()).toEqual([]);
    const elsewhere = h.another();
    const { images } = await elsewhere.images();
    expect(images.map((i) => [i.session, i.machine, i.provider])).toEqual([["lab", "machine-1", "docker"]]);
    // Docker images cost nothing in the catalog's prices.
    expect(images[0]!.monthlyUsd ?? 0).toBe(0);
  });

  it("filters by the source formation's labels, newest first", async () => {
    await up(pool(2, { labels: { team: "bio" } }), "bio");
    await up(pool(2, { labels: { team: "chem" } }), "chem");
    await h.sessions.snapshot("bio", { machine: "machine-1" });
    await h.sessions.snapshot("chem", { machine: "machine-2" });
    await h.sessions.snapshot("bio", { machine: "machine-2" });
    expect((await h.sessions.images({ labels: ["team=bio"] })).images.map((i) => `${i.session}/${i.machine}`)).toEqual(["bio/machine-2", "bio/machine-1"]);
    expect((await h.sessions.images({ labels: { team: "chem" } })).images.map((i) => `${i.session}/${i.machine}`)).toEqual(["chem/machine-2"]);
    expect((await h.sessions.images()).images).toHaveLength(3);
  });

  it("deletes the image through the cloud's store after confirmation, then forgets it; a declined confirm changes nothing", async () => {
    await up(pool(2, { provider: "aws" }));
    const { catalogId: id } = await h.sessions.snapshot("lab", { machine: "machine-1" });
    expect(await h.sessions.deleteImage(id!, { confirm: () => false })).toBeUndefined();
    expect(store.removed).toEqual([]);
    expect((await h.sessions.images()).images).toHaveLength(1);
    let asked: string | undefined;
    const r = await h.sessions.deleteImage(id!, { confirm: (i) => ((asked = `${i.session}/${i.machine}`), true) });
    expect(asked).toBe("lab/machine-1");
    expect(r).toMatchObject({ gone: false, deleted: ["image img-1", "snapshot snap-of-img-1"], image: { id, imageId: "img-1" } });
    expect(store.removed).toEqual(["img-1"]);
    expect((await h.sessions.images()).images).toEqual([]);
    expect(h.engine.stacks.has(`images.${id}`)).toBe(false);
  });

  it("forgets an image the provider no longer has, saying so", async () => {
    await up(pool(2, { provider: "aws" }));
    await h.sessions.snapshot("lab", { machine: "machine-1" });
    store.gone.add("img-1");
    const r = await h.sessions.deleteImage("img-1");
    expect(r).toMatchObject({ gone: true, deleted: [] });
    expect((await h.sessions.images()).images).toEqual([]);
  });

  it("forgets an entry without asking the cloud's store anything; a declined confirm changes nothing", async () => {
    const asked: string[] = [];
    h = await harness({ drivers: () => driver, imageStores: async (provider) => (asked.push(provider), store) });
    mirrorInto(driver, h.engine);
    await up(pool(2, { provider: "aws" }));
    const { catalogId: id } = await h.sessions.snapshot("lab", { machine: "machine-1" });
    const { catalogId: other } = await h.sessions.snapshot("lab", { machine: "machine-2" });
    asked.length = 0; // the snapshot sized the images through the store: from here, nothing may reach it
    expect(await h.sessions.forgetImage(id!, { confirm: () => false })).toBeUndefined();
    expect((await h.sessions.images()).images).toHaveLength(2);
    const r = await h.sessions.forgetImage(id!, { confirm: () => true });
    expect(r).toMatchObject({ forgotten: true, image: { id, imageId: "img-1", session: "lab", machine: "machine-1" } });
    expect(h.engine.stacks.has(`images.${id}`)).toBe(false);
    expect((await h.sessions.images()).images.map((i) => i.id)).toEqual([other]);
    expect([asked, store.removed]).toEqual([[], []]);
    await expect(h.sessions.forgetImage(id!)).rejects.toMatchObject({ exitCode: 1, message: `no image '${id}' in the catalog` });
  });

  it("names an image by catalog id, provider id or name; unknown is exit 1, ambiguous exit 2", async () => {
    await up(pool(2, { provider: "aws" }));
    await h.sessions.snapshot("lab", { machine: "machine-1", name: "golden" });
    await h.sessions.snapshot("lab", { machine: "machine-2", name: "golden" });
    const err = await h.sessions.deleteImage("nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect(err).toMatchObject({ exitCode: 1 });
    // The test double names images img-<n>-<name>; both were asked for as 'golden'.
    const byName = await h.sessions.saveImageFormation("img-1-golden", join(h.home, "one.yaml"));
    expect(byName.image.machine).toBe("machine-1");
    const entries: ImageEntry[] = [
      {
        id: "img-a",
        provider: "docker",
        imageId: "sha256:0123456789abcdef",
        name: "x:1",
        image: "x:1",
        session: "s",
        machine: "m",
        formation: "f",
        kind: "Pool",
        labels: {},
        at: "2026-01-01T00:00:00Z",
      },
      {
        id: "img-b",
        provider: "docker",
        imageId: "sha256:fedcba9876543210",
        name: "x:1",
        image: "x:1",
        session: "s",
        machine: "m",
        formation: "f",
        kind: "Pool",
        labels: {},
        at: "2026-01-01T00:00:00Z",
      },
    ];
    expect(findImage(entries, "0123456789ab").map((e) => e.id)).toEqual(["img-a"]);
    expect(findImage(entries, "x:1")).toHaveLength(2);
    expect(listingOf(entries[0]!, new Date("2026-01-03T12:00:00Z")).ageDays).toBe(2.5);
  });

  it("every cloud has an image store: no provider is left to delete its images by hand", async () => {
    for (const cloud of Object.values(CLOUDS)) {
      const store = await cloud.actions.images({ region: "somewhere" });
      expect([cloud.provider, typeof store.sizeGb, typeof store.remove]).toEqual([cloud.provider, "function", "function"]);
    }
  });

  it("writes the formation that launches from any image, after the session is gone, never over a file", async () => {
    await up(pool(3));
    const { catalogId: id } = await h.sessions.snapshot("lab", { machine: "machine-2" });
    await h.sessions.destroy("lab");
    const out = join(h.home, "from-image.yaml");
    const r = await h.sessions.saveImageFormation(id!, out, { name: "lab-restored" });
    expect(r).toMatchObject({ file: out, name: "lab-restored" });
    const text = await readFile(out, "utf8");
    const v = validateText(text, out);
    expect(v.valid).toBe(true);
    if (!v.valid) return;
    expect(v.formation.metadata.name).toBe("lab-restored");
    expect(v.formation.kind === "Pool" && v.formation.spec.machine?.image).toBe(r.image.image);
    expect(r.image.image).toMatch(/^lab-machine-2-snapshot:/);
    const again = await h.sessions.saveImageFormation(id!, out).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(SessionError);
    expect((again as SessionError).message).toContain("already exists");
  });
});

describe("images delete on the CLI: the same confirmation, --yes and --json on every provider", () => {
  let out: string[];
  let err: string[];
  const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), color: false };
  const deps = (more: Partial<SessionDeps> = {}): SessionDeps => ({
    interactive: false,
    live: false,
    signals: new EventEmitter(),
    makeSessions: (o: SessionsOptions) => h.another({ ...o, drivers: () => driver, imageStores: async () => store }),
    ...more,
  });
  const snapshotOn = async (provider: Provider) => {
    await setup();
    out = [];
    err = [];
    await up(pool(2, { provider }));
    return (await h.sessions.snapshot("lab", { machine: "machine-1" })).catalogId!;
  };

  it.each(["azure", "openstack", "ovh"] as const)("%s: asks first, and a no changes nothing; a yes deletes and says what", async (provider) => {
    const id = await snapshotOn(provider);
    const asked: string[] = [];
    const answer = (a: string) => deps({ interactive: true, ask: async (q) => (asked.push(q), a) });
    expect(await imagesDeleteCommand(id, {}, io, answer("n"))).toBe(0);
    expect(asked).toEqual([`Delete ${provider} image img-1 (img-1), taken from lab/machine-1 0m ago? It cannot be undone. [y/N] `]);
    expect(err).toEqual(["formations: not confirmed; nothing changed"]);
    expect(store.removed).toEqual([]);
    expect(await imagesDeleteCommand(id, {}, io, answer("y"))).toBe(0);
    expect(store.removed).toEqual(["img-1"]);
    expect(out).toEqual([`image ${id}: deleted img-1 (image img-1, snapshot snap-of-img-1); removed from the catalog`]);
    expect((await h.sessions.images()).images).toEqual([]);
  });

  it("--yes --json prints the same document on Azure and OpenStack as on AWS", async () => {
    const docs: Record<string, Record<string, unknown>> = {};
    for (const provider of ["aws", "azure", "openstack"] as const) {
      const id = await snapshotOn(provider);
      expect(await imagesDeleteCommand(id, { yes: true, json: true }, io, deps())).toBe(0);
      docs[provider] = JSON.parse(out.join("\n")) as Record<string, unknown>;
      expect(docs[provider]).toMatchObject({
        image: { id, provider, imageId: "img-1", session: "lab", machine: "machine-1" },
        deleted: ["image img-1", "snapshot snap-of-img-1"],
        gone: false,
      });
    }
    const shape = (d: Record<string, unknown>) => [Object.keys(d), Object.keys(d.image as object).filter((k) => !["region", "zone", "project"].includes(k))];
    expect(shape(docs.azure!)).toEqual(shape(docs.aws!));
    expect(shape(docs.openstack!)).toEqual(shape(docs.aws!));
  });

  it("without a terminal and without --yes: a usage error, nothing deleted", async () => {
    const id = await snapshotOn("azure");
    await expect(imagesDeleteCommand(id, {}, io, deps())).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/pass --yes/) });
    expect(store.removed).toEqual([]);
  });

  it("an image the store refuses (not one formations took) exits 1 with the reason, and its entry stays", async () => {
    const id = await snapshotOn("openstack");
    store.refusals.set("img-1", new UserError("Glance image img-1 (img-1) has no 'formations-snapshot-of' property", 1, "openstack image delete img-1"));
    expect(await imagesDeleteCommand(id, { yes: true }, io, deps())).toBe(1);
    expect(err).toEqual([
      "formations: Glance image img-1 (img-1) has no 'formations-snapshot-of' property",
      `hint: openstack image delete img-1; 'formations images forget ${id}' drops the catalog entry without touching the image`,
    ]);
    expect((await h.sessions.images()).images.map((i) => i.id)).toEqual([id]);
    expect(store.removed).toEqual([]);
  });
});

describe("images forget on the CLI: the catalog entry only, the cloud never touched", () => {
  let out: string[];
  let err: string[];
  const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), color: false };
  const deps = (more: Partial<SessionDeps> = {}): SessionDeps => ({
    interactive: false,
    live: false,
    signals: new EventEmitter(),
    makeSessions: (o: SessionsOptions) => h.another({ ...o, drivers: () => driver, imageStores: async () => store }),
    ...more,
  });
  const snapshotOn = async (provider: Provider) => {
    await setup();
    out = [];
    err = [];
    await up(pool(2, { provider }));
    return (await h.sessions.snapshot("lab", { machine: "machine-1" })).catalogId!;
  };

  it("after a refused delete: the entry goes, the image is never deleted", async () => {
    const id = await snapshotOn("aws");
    store.refusals.set("img-1", new UserError("AMI img-1 (img-1) lacks the tag formations-snapshot-of", 1));
    expect(await imagesDeleteCommand(id, { yes: true }, io, deps())).toBe(1);
    expect(err).toEqual([
      "formations: AMI img-1 (img-1) lacks the tag formations-snapshot-of",
      `hint: 'formations images forget ${id}' drops the catalog entry without touching the image`,
    ]);
    expect(await imagesForgetCommand(id, { yes: true }, io, deps())).toBe(0);
    expect(out).toEqual([`image ${id}: removed img-1 from the catalog; aws was not asked to delete anything (img-1 stays if it exists)`]);
    expect((await h.sessions.images()).images).toEqual([]);
    expect(store.removed).toEqual([]);
  });

  it("asks first, and a no changes nothing; --yes --json prints the entry, forgotten", async () => {
    const id = await snapshotOn("gcp");
    const asked: string[] = [];
    const answer = (a: string) => deps({ interactive: true, ask: async (q) => (asked.push(q), a) });
    expect(await imagesForgetCommand(id, {}, io, answer("n"))).toBe(0);
    expect(asked).toEqual([
      "Forget gcp image img-1 (img-1), taken from lab/machine-1 0m ago? Only its catalog entry goes: the image, if it still exists, stays in gcp (and is billed) until deleted there. [y/N] ",
    ]);
    expect(err).toEqual(["formations: not confirmed; nothing changed"]);
    expect((await h.sessions.images()).images.map((i) => i.id)).toEqual([id]);
    expect(await imagesForgetCommand(id, { yes: true, json: true }, io, deps())).toBe(0);
    expect(JSON.parse(out.join("\n"))).toMatchObject({
      image: { id, provider: "gcp", imageId: "img-1", session: "lab", machine: "machine-1" },
      forgotten: true,
    });
    expect((await h.sessions.images()).images).toEqual([]);
    expect(store.removed).toEqual([]);
  });

  it("without a terminal and without --yes: a usage error, nothing forgotten; an unknown ID is exit 1", async () => {
    const id = await snapshotOn("docker");
    await expect(imagesForgetCommand(id, {}, io, deps())).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/pass --yes/) });
    expect((await h.sessions.images()).images.map((i) => i.id)).toEqual([id]);
    expect(await imagesForgetCommand("img-nope", { yes: true }, io, deps())).toBe(1);
    expect(err[0]).toBe("formations: no image 'img-nope' in the catalog");
    expect((await h.sessions.images()).images.map((i) => i.id)).toEqual([id]);
  });
});

describe("delete one machine", () => {
  it("removes a Pool member: recorded as deleted, the update drops it, the name is not reused, the next up keeps 2", async () => {
    await setup();
    await up(pool(3));
    const r = await h.sessions.deleteMachine("lab", { machine: "machine-2" });
    expect(r).toMatchObject({ result: "ok", role: "member", remaining: ["machine-1", "machine-3"], scheduler: { outcome: "not-needed" } });
    expect(r.changes.delete).toBe(1);
    expect((await h.sessions.show("lab")).machines.map((m) => m.name)).toEqual(["machine-1", "machine-3"]);
    // The same file again (count: 3): still two, and machine-2 does not come back.
    const again = await h.sessions.up(join(h.home, "lab.yaml"), { session: "lab" });
    expect(again.machines.map((m) => m.name)).toEqual(["machine-1", "machine-3"]);
    // A higher count adds a new name after the others.
    await h.sessions.up(await h.file("lab4.yaml", pool(4)), { session: "lab" });
    expect((await h.sessions.show("lab")).machines.map((m) => m.name)).toEqual(["machine-1", "machine-3", "machine-4"]);
    const journal = await h.sessions.journal("lab");
    expect(journal.find((e) => e.action === "delete")).toMatchObject({
      machine: "machine-2",
      from: "running",
      to: "terminated",
      result: "ok",
      actor: "tester@host",
    });
    const again2 = (await h.sessions.deleteMachine("lab", { machine: "machine-2" }).catch((e: unknown) => e)) as SessionError;
    expect(again2.exitCode).toBe(1);
    expect(again2.message).toContain("was deleted already");
  });

  it("refuses the roles a session cannot live without, with the reason, changing nothing", async () => {
    await setup();
    await up(hpc(2), "hpc");
    await up(lab(), "vlab");
    await up(pool(1), "one");
    const refused = async (session: string, machine: string) => (await h.sessions.deleteMachine(session, { machine }).catch((e: unknown) => e)) as SessionError;
    expect((await refused("hpc", "head")).message).toMatch(/cannot delete hpc\/head: head is the cluster's head node .*formations destroy hpc/);
    expect((await refused("vlab", "proxy")).message).toContain("the session's proxy");
    expect((await refused("vlab", "target")).message).toContain("the lab's desktop");
    expect((await refused("one", "machine-1")).message).toContain("the pool's last machine");
    expect((await refused("hpc", "compute-9")).exitCode).toBe(1);
    expect((await h.sessions.show("hpc")).machines.map((m) => m.name)).toEqual(["head", "compute-1", "compute-2"]);
  });

  it("drains a compute node in Slurm on the head first, waiting until it is drained", async () => {
    const d = new RunningDriver();
    await setup(d);
    await up(hpc(3), "hpc");
    const r = await h.sessions.deleteMachine("hpc", { machine: "compute-2", pollMs: 1 });
    expect(d.commands).toEqual([
      "head: scontrol update NodeName=compute-2 State=DRAIN Reason=formations delete",
      "head: sinfo -h -N -n compute-2 -o %T",
      "head: sinfo -h -N -n compute-2 -o %T",
    ]);
    expect(r.scheduler).toEqual({ outcome: "drained", detail: "Slurm drained compute-2 (drained)" });
    expect(r.remaining).toEqual(["head", "compute-1", "compute-3"]);
  });

  it("says Slurm was not told where the driver cannot run a command", async () => {
    await setup();
    await up(hpc(2), "hpc");
    const r = await h.sessions.deleteMachine("hpc", { machine: "compute-1" });
    expect(r.scheduler.outcome).toBe("unsupported");
    expect(r.notes.join("\n")).toContain("cannot run a command on the head node, so Slurm was not told");
  });

  it("a declined confirmation changes nothing", async () => {
    await setup();
    await up(pool(3));
    const r = await h.sessions.deleteMachine("lab", { machine: "machine-1", confirm: () => false });
    expect(r.result).toBe("declined");
    expect((await h.sessions.show("lab")).machines).toHaveLength(3);
  });
});
