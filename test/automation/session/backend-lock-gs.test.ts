/**
 * Test layer: 4 (a cloud's storage API), against fake-gcs-server (an implementation of Cloud
 * Storage's JSON API nobody here wrote, built from the Go module proxy by scripts/fake-gcs.sh and
 * started here on 127.0.0.1), reached through STORAGE_EMULATOR_HOST as Google's clients reach an
 * emulator. The session lock of a gs:// backend (automation/session/backend-lock/gs.ts): the
 * shared contract (eight contenders, exactly one wins; a stale lock replaced with a note), a
 * create over a lock or a replace with an outdated generation refused by the service, a removal's
 * precondition on its exact request (fake-gcs-server ignores it), a prefix in the URL
 * kept, a missing bucket a clear exit 3, and throttling (429, 503) answered by trying again
 * through a proxy that throttles the first calls.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exitCodeOf } from "../../../automation/session/errors.js";
import { SessionLock, type SessionLockOptions } from "../../../automation/session/backend-lock/index.js";
import { GsLockBackend, gsTarget } from "../../../automation/session/backend-lock/gs.js";
import { lockContract, lockKey } from "./lock-contract.js";

const BUCKET = `locks-${randomBytes(3).toString("hex")}`;

/** The fake-gcs-server binary, or why there is none (then the tests skip, and fail under CI). */
function binary(): { path?: string; missing?: string } {
  const r = spawnSync("bash", ["scripts/fake-gcs.sh", "install"], { encoding: "utf8", timeout: 1_800_000 });
  if (r.status === 0) return { path: r.stdout.trim().split("\n").pop()! };
  return { missing: `fake-gcs-server could not be built (scripts/fake-gcs.sh install): ${(r.stderr || r.error?.message || "").trim().split("\n").pop()}` };
}
const built = binary();
if (built.missing && process.env.CI) throw new Error(built.missing);
if (built.missing) console.warn(`${built.missing}: the gs:// lock tests are skipped`);

let server: ChildProcess | undefined;
let host = "";

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a === "object" ? ok(a.port) : fail(new Error("no port"))));
    });
  });
}

async function createBucket(name: string): Promise<void> {
  const r = await fetch(`http://${host}/storage/v1/b?project=test`, {
    method: "POST",
    body: JSON.stringify({ name }),
    headers: { "content-type": "application/json" },
  });
  if (!r.ok) throw new Error(`create bucket ${name}: ${r.status} ${await r.text()}`);
}

async function list(prefix: string): Promise<string[]> {
  const r = await fetch(`http://${host}/storage/v1/b/${BUCKET}/o?prefix=${encodeURIComponent(prefix)}`);
  return (((await r.json()) as { items?: { name: string }[] }).items ?? []).map((i) => i.name);
}

beforeAll(async () => {
  if (!built.path) return;
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  server = spawn(
    built.path,
    ["-scheme", "http", "-host", "127.0.0.1", "-port", String(port), "-backend", "memory", "-public-host", host, "-log-level", "error"],
    {
      stdio: "ignore",
    },
  );
  // Ready when it answers (an event: its answer), within two minutes on a loaded machine.
  const until = Date.now() + 120_000;
  for (;;) {
    const up = await fetch(`http://${host}/storage/v1/b?project=test`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > until || server.exitCode !== null) throw new Error(`fake-gcs-server did not answer on ${host}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await createBucket(BUCKET);
}, 1_800_000);

afterAll(() => {
  server?.kill();
});

const env = () => ({ STORAGE_EMULATOR_HOST: host });
const url = (path = "") => `gs://${BUCKET}${path}`;
const locks = (opts: Partial<SessionLockOptions> = {}, u = url(), e: NodeJS.ProcessEnv = env()) =>
  new SessionLock(new GsLockBackend(u, e), { actor: "tester@here", project: "formations", ...opts });
const store = (session: string) => new GsLockBackend(url(), env()).store("formations", session);

describe.skipIf(!built.path)("the session lock of a gs:// backend (fake-gcs-server)", () => {
  lockContract(() => ({ locks: (opts) => locks(opts), store, list }));

  it("a create over an existing lock or a replace with an outdated generation is refused by the service; the current version is kept", async () => {
    const s = store("versions");
    const first = await s.create(JSON.stringify({ v: 1 }));
    expect(first).toMatch(/^\d+$/);
    expect(await s.create(JSON.stringify({ v: "again" }))).toBeUndefined();
    const second = await s.replace(first!, JSON.stringify({ v: 2 }));
    expect(second).toMatch(/^\d+$/);
    expect(second).not.toBe(first);
    expect(await s.replace(first!, JSON.stringify({ v: "stale" }))).toBeUndefined();
    expect(await s.read()).toEqual({ body: JSON.stringify({ v: 2 }), tag: second });
    expect(await s.remove(second!)).toBe(true);
    expect(await s.read()).toBeUndefined();
    expect(await s.remove(second!)).toBe(false);
  });

  it("a removal names the generation it removes (ifGenerationMatch), and the service's 412 for another one leaves the lock", async () => {
    // fake-gcs-server 1.56 ignores a delete's precondition (Cloud Storage honours it), so this one
    // is checked on the exact request, against a stub that answers as Cloud Storage does.
    const seen: string[] = [];
    const stub: Server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(412, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: 412, message: "At least one of the pre-conditions you specified did not hold." } }));
    });
    await new Promise<void>((r) => stub.listen(0, "127.0.0.1", r));
    try {
      const s = new GsLockBackend(url("/team b"), { STORAGE_EMULATOR_HOST: `127.0.0.1:${(stub.address() as { port: number }).port}` }).store(
        "formations",
        "s1",
      );
      expect(await s.remove("1733140000000001")).toBe(false);
      expect(seen).toEqual([`DELETE /storage/v1/b/${BUCKET}/o/team%20b%2F.formations%2Flocks%2Fformations%2Fs1.json?ifGenerationMatch=1733140000000001`]);
    } finally {
      stub.close();
    }
  });

  it("a prefix in the URL puts the lock under it, as Pulumi puts the state", async () => {
    const held = await locks({}, url("/team-a")).acquire("prefixed", "up", () => undefined);
    expect(await list("team-a/")).toEqual([`team-a/${lockKey("prefixed")}`]);
    await held.release();
    expect(await list("team-a/")).toEqual([]);
  });

  it("a bucket that does not exist is exit 3 naming the lock and what to check", async () => {
    const err = await locks({}, `gs://${BUCKET}-missing`)
      .acquire("nowhere", "up", () => undefined)
      .catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(3);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^cannot create the session lock at gs://${BUCKET}-missing/\\.formations/locks/formations/nowhere\\.json: Cloud Storage answered 404.*does the bucket exist\\?$`,
      ),
    );
  });

  it("throttled (429, then 503): each call is tried again and the lock is taken and released as usual", async () => {
    // A proxy in front of the service: the first two requests are throttled, the rest forwarded.
    let throttled = 0;
    const proxy: Server = createServer((req, res) => {
      if (throttled < 2) {
        res.writeHead(throttled++ === 0 ? 429 : 503, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: 429, message: "rate limit" } }));
        return;
      }
      const [h, p] = host.split(":");
      const fwd = httpRequest({ host: h, port: Number(p), method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(fwd);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const port = (proxy.address() as { port: number }).port;
    try {
      const held = await locks({}, url(), { STORAGE_EMULATOR_HOST: `127.0.0.1:${port}` }).acquire("throttled", "up", () => undefined);
      expect(throttled).toBe(2);
      expect(await list(lockKey("throttled"))).toEqual([lockKey("throttled")]);
      await held.release();
      expect(await list(lockKey("throttled"))).toEqual([]);
    } finally {
      proxy.close();
    }
  });
});

describe("the bucket of a gs:// URL", () => {
  it("bucket and prefix from the URL; no bucket is a usage error (exit 2)", () => {
    expect(gsTarget("gs://state")).toEqual({ bucket: "state", prefix: "" });
    expect(gsTarget("gs://state/team/a")).toEqual({ bucket: "state", prefix: "team/a/" });
    expect(gsTarget("gs://state/x/")).toEqual({ bucket: "state", prefix: "x/" });
    let err: unknown;
    try {
      gsTarget("gs:///nothing");
    } catch (e) {
      err = e;
    }
    expect(exitCodeOf(err)).toBe(2);
    expect((err as Error).message).toMatch(/the URL names no bucket \(gs:\/\/<bucket>\)/);
  });
});
