/**
 * Test layer: 4 (a cloud's storage API), against moto's S3 server (an implementation of the S3 API
 * nobody here wrote), reached through an s3:// URL with `endpoint=` and `s3ForcePathStyle=true`,
 * as the Pulumi CLI reaches an S3-compatible store. The session lock of an s3:// backend
 * (automation/session/backend-lock/s3.ts): its conditional create (If-None-Match) decides a race
 * (exactly one of eight contenders wins, each other fails at once with exit 3 naming the
 * winner), release deletes only our version, a stale lock is replaced with a note while a fresh
 * one is refused, a replace or a removal with an outdated ETag is refused by the service, a
 * prefix in the URL is kept, and a missing bucket is a clear exit 3; and how a URL names the
 * bucket and the client's settings.
 */
import { randomBytes } from "node:crypto";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { exitCodeOf } from "../../automation/session/errors.js";
import { SessionLock, type SessionLockOptions } from "../../automation/session/backend-lock/index.js";
import { S3LockBackend, s3Target } from "../../automation/session/backend-lock/s3.js";
import { lockContract, lockKey } from "../automation/session/lock-contract.js";

const BUCKET = `locks-${randomBytes(3).toString("hex")}`;
const endpoint = inject("motoEndpoint");
const url = `s3://${BUCKET}?region=eu-west-1&endpoint=${encodeURIComponent(endpoint)}&s3ForcePathStyle=true`;
const s3 = new S3Client({ endpoint, region: "eu-west-1", forcePathStyle: true });

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
});

const list = async (prefix: string) => ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
const locks = (opts: Partial<SessionLockOptions> = {}, u = url) =>
  new SessionLock(new S3LockBackend(u), { actor: "tester@here", project: "formations", ...opts });
const store = (session: string) => new S3LockBackend(url).store("formations", session);

describe("the session lock of an s3:// backend (moto)", () => {
  lockContract(() => ({ locks: (opts) => locks(opts), store, list }));

  it("a replace or a removal with an outdated ETag is refused by the service; the current version is kept", async () => {
    const s = store("versions");
    const first = await s.create(JSON.stringify({ v: 1 }));
    expect(first).toEqual(expect.any(String));
    expect(await s.create(JSON.stringify({ v: "again" }))).toBeUndefined();
    const second = await s.replace(first!, JSON.stringify({ v: 2 }));
    expect(second).toEqual(expect.any(String));
    expect(second).not.toBe(first);
    expect(await s.replace(first!, JSON.stringify({ v: "stale" }))).toBeUndefined();
    expect(await s.remove(first!)).toBe(false);
    expect(JSON.parse((await s.read())!.body)).toEqual({ v: 2 });
    expect(await s.remove(second!)).toBe(true);
    expect(await s.read()).toBeUndefined();
    expect(await s.remove(second!)).toBe(false);
  });

  it("a prefix in the URL puts the lock under it, as Pulumi puts the state", async () => {
    const prefixed = url.replace(`s3://${BUCKET}?`, `s3://${BUCKET}/team-a?`);
    const held = await locks({}, prefixed).acquire("prefixed", "up", () => undefined);
    expect(await list("team-a/")).toEqual([`team-a/${lockKey("prefixed")}`]);
    await held.release();
    expect(await list("team-a/")).toEqual([]);
  });

  it("a bucket that does not exist is exit 3 naming the lock and what to check", async () => {
    const missing = url.replace(`s3://${BUCKET}?`, `s3://${BUCKET}-missing?`);
    const err = await locks({}, missing)
      .acquire("nowhere", "up", () => undefined)
      .catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(3);
    expect((err as Error).message).toMatch(
      new RegExp(
        `cannot create the session lock at s3://${BUCKET}-missing/\\.formations/locks/formations/nowhere\\.json: S3 answered 404 NoSuchBucket: does the bucket exist\\?`,
      ),
    );
    expect((err as Error).message).not.toContain(process.env.AWS_SECRET_ACCESS_KEY);
  });
});

describe("the bucket and settings of an s3:// URL, as gocloud's s3blob opener reads them", () => {
  it("bucket, prefix, region, endpoint (http when SSL is off), profile, path style", () => {
    expect(s3Target("s3://state")).toEqual({ bucket: "state", prefix: "", forcePathStyle: false, dualstack: false, fips: false });
    expect(s3Target("s3://state/team/a?region=us-east-2&endpoint=minio.local:9000&disableSSL=true&s3ForcePathStyle=true&profile=ci")).toEqual({
      bucket: "state",
      prefix: "team/a/",
      region: "us-east-2",
      endpoint: "http://minio.local:9000",
      profile: "ci",
      forcePathStyle: true,
      dualstack: false,
      fips: false,
    });
    expect(s3Target("s3://state/x/?endpoint=https://s3.example.org&use_path_style=true&fips=true")).toMatchObject({
      prefix: "x/",
      endpoint: "https://s3.example.org",
      forcePathStyle: true,
      fips: true,
    });
  });
});
