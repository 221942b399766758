/**
 * Test layer: 4 (a cloud's storage API), against Azurite: Microsoft's Blob service emulator (npm
 * `azurite`) started on 127.0.0.1, reached through an azblob:// URL as the Pulumi CLI reaches it.
 * The session lock of an azblob:// backend (automation/session/backend-lock/azblob.ts): its
 * conditional create decides a race (exactly one of eight contenders wins, each other fails at
 * once with exit 3 naming the winner), release deletes only our version, a stale lock is replaced
 * with a note while a fresh one is refused, the heartbeat is a conditional replace (a holder whose
 * lock was taken over notes it and leaves the new holder's alone), wrong credentials are a clear
 * exit 3 that never shows the key; and how a URL and the environment name the account.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { exitCodeOf } from "../../../automation/session/errors.js";
import { parseLock, SessionLock, type SessionLockOptions } from "../../../automation/session/backend-lock/index.js";
import { AzblobLockBackend, azblobTarget } from "../../../automation/session/backend-lock/azblob.js";
import { lockContract, lockKey } from "./lock-contract.js";
import { Azurite } from "../../e2e/harness.js";

const CONTAINER = `locks-${randomBytes(3).toString("hex")}`;

let azurite: Azurite;
let url: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  azurite = await Azurite.start();
  await azurite.createContainer(CONTAINER);
  url = azurite.url(CONTAINER);
  env = { ...azurite.env() };
}, 180_000);
afterAll(async () => {
  await azurite?.stop();
});

const locks = (opts: Partial<SessionLockOptions> = {}, e: NodeJS.ProcessEnv = env, u = url) =>
  new SessionLock(new AzblobLockBackend(u, e), { actor: "tester@here", project: "formations", ...opts });
const store = (session: string) => new AzblobLockBackend(url, env).store("formations", session);
const stored = async (session: string) => parseLock((await store(session).read())!.body)!;

describe("the session lock of an azblob:// backend (Azurite)", () => {
  lockContract(() => ({ locks: (opts) => locks(opts), store, list: (prefix) => azurite.list(CONTAINER, prefix) }));

  it("the heartbeat replaces only our version: a holder whose lock was taken over notes it, and its release leaves the new holder's lock", async () => {
    const t0 = Date.now();
    const notes: string[] = [];
    const slow = await locks({ host: "workspace-c", pid: 5, heartbeatMs: 250, now: () => new Date(t0) }).acquire("taken", "stop", (m) => notes.push(m));
    const first = (await store("taken").read())!;
    // Its heartbeat rewrites the blob (a new ETag each time) while it holds it; slow enough that taking the lock over wins its race.
    await vi.waitFor(async () => expect((await store("taken").read())!.tag).not.toBe(first.tag), { timeout: 30_000, interval: 25 });
    const later = new Date(t0 + 3_600_000);
    const other = await locks({ now: () => later }).acquire("taken", "up", (m) => notes.push(m));
    await vi.waitFor(() => expect(notes).toContainEqual(expect.stringMatching(/lock of session 'taken' at azblob:\/\/.* was taken over/)), {
      timeout: 30_000,
      interval: 25,
    });
    await slow.release();
    expect(await stored("taken")).toMatchObject({ host: hostname(), action: "up" });
    // A removal or a replace with an outdated ETag is refused by the service.
    expect(await store("taken").remove(first.tag)).toBe(false);
    expect(await store("taken").replace(first.tag, "{}")).toBeUndefined();
    await other.release();
    expect(await azurite.list(CONTAINER, ".formations/locks/formations/taken")).toEqual([]);
  });

  it("a prefix in the URL puts the lock under it, as Pulumi puts the state", async () => {
    const prefixed = url.replace(`azblob://${CONTAINER}?`, `azblob://${CONTAINER}/team-a?`);
    const held = await locks({}, env, prefixed).acquire("prefixed", "up", () => undefined);
    expect(await azurite.list(CONTAINER, "team-a/")).toEqual([`team-a/${lockKey("prefixed")}`]);
    await held.release();
    expect(await azurite.list(CONTAINER, "team-a/")).toEqual([]);
  });

  it("a wrong storage key is exit 3 naming the lock and what to check, never the key", async () => {
    const wrongKey = Buffer.from("not the key of this account").toString("base64");
    const err = await locks({}, { AZURE_STORAGE_ACCOUNT: env.AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY: wrongKey })
      .acquire("denied", "up", () => undefined)
      .catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(3);
    expect((err as Error).message).toMatch(
      /cannot create the session lock at azblob:\/\/locks-\w+\/\.formations\/locks\/formations\/denied\.json: the Blob service answered 403/,
    );
    expect((err as Error).message).toMatch(/check the storage credentials/);
    expect((err as Error).message).not.toContain(wrongKey);
  });
});

describe("the account and credential of an azblob:// URL, as gocloud's azblob opener finds them", () => {
  it("the URL's options over the environment; Azure's public endpoint by default; a prefix from the path", () => {
    expect(azblobTarget("azblob://state", { AZURE_STORAGE_ACCOUNT: "acct", AZURE_STORAGE_KEY: "a2V5" })).toMatchObject({
      containerUrl: "https://acct.blob.core.windows.net/state",
      prefix: "",
      credential: { kind: "key", account: "acct" },
    });
    expect(
      azblobTarget("azblob://state/team/a?storage_account=other&domain=localhost:10000&protocol=http", { AZURE_STORAGE_SAS_TOKEN: "?sv=1&sig=x" }),
    ).toMatchObject({
      containerUrl: "http://localhost:10000/other/state",
      prefix: "team/a/",
      credential: { kind: "sas", token: "sv=1&sig=x" },
    });
    expect(azblobTarget("azblob://state", { AZURE_STORAGE_ACCOUNT: "acct", AZURE_STORAGE_DOMAIN: "blob.core.chinacloudapi.cn" }).credential).toEqual({
      kind: "entra",
    });
    expect(azblobTarget("azblob://state", { AZURE_STORAGE_ACCOUNT: "acct", AZURE_STORAGE_DOMAIN: "blob.core.chinacloudapi.cn" }).containerUrl).toBe(
      "https://acct.blob.core.chinacloudapi.cn/state",
    );
    expect(
      azblobTarget("azblob://state", {
        AZURE_STORAGE_CONNECTION_STRING: "DefaultEndpointsProtocol=https;AccountName=cs;AccountKey=a2V5;EndpointSuffix=core.windows.net",
      }),
    ).toMatchObject({ containerUrl: "https://cs.blob.core.windows.net/state", credential: { kind: "key", account: "cs" } });
  });

  it("no account anywhere is a usage error (exit 2) saying where to set one", () => {
    expect(() => azblobTarget("azblob://state", {})).toThrow(/no storage account: set AZURE_STORAGE_ACCOUNT, or storage_account=\.\.\. in the URL/);
    let err: unknown;
    try {
      azblobTarget("azblob://state", {});
    } catch (e) {
      err = e;
    }
    expect(exitCodeOf(err)).toBe(2);
  });
});
