/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * Where sessions live and how their secrets are protected (automation/backend.ts): unit tests on
 * real temporary folders, no engine.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHomePassphrase, fileBackendDir, loadBackend, prepareBackend, resolveBackend } from "../../../automation/session/backend.js";
import { exitCodeOf, MissingPassphraseError } from "../../../automation/session/errors.js";

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "formations-backend-"));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe("resolving the backend", () => {
  it("defaults to a file backend under FORMATIONS_HOME", () => {
    const b = resolveBackend({}, { FORMATIONS_HOME: home, PULUMI_CONFIG_PASSPHRASE: "pw" }, false);
    expect(b.url).toBe(`file://${home}/state`);
    expect(b.localDefault).toBe(true);
    expect(fileBackendDir(b.url)).toBe(join(home, "state"));
    expect(b.env.PULUMI_BACKEND_URL).toBe(b.url);
  });

  it("uses PULUMI_BACKEND_URL when set, and the option over both", () => {
    expect(resolveBackend({}, { PULUMI_BACKEND_URL: "s3://bucket/state", PULUMI_CONFIG_PASSPHRASE: "pw" }, false)).toMatchObject({
      url: "s3://bucket/state",
      localDefault: false,
    });
    expect(resolveBackend({ backendUrl: "gs://b" }, { PULUMI_BACKEND_URL: "s3://x", PULUMI_CONFIG_PASSPHRASE: "pw" }, false).url).toBe("gs://b");
  });

  it("expands file://~ to the home directory", () => {
    expect(fileBackendDir("file://~/.formations/state")).toMatch(/\/\.formations\/state$/);
    expect(fileBackendDir("s3://bucket")).toBeUndefined();
  });
});

describe("secrets", () => {
  it("fails up front without a passphrase, saying every way to give one (exit 2)", () => {
    let err: unknown;
    try {
      resolveBackend({}, { FORMATIONS_HOME: home }, false);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MissingPassphraseError);
    expect(exitCodeOf(err)).toBe(2);
    const msg = (err as Error).message;
    expect(msg).toContain("PULUMI_CONFIG_PASSPHRASE");
    expect(msg).toContain("PULUMI_CONFIG_PASSPHRASE_FILE");
    expect(msg).toContain("--create-passphrase");
    expect(msg).toContain(`${home}/passphrase`);
  });

  it("does not offer to create one for a remote backend (it must be the passphrase the sessions use)", () => {
    expect(() => resolveBackend({}, { PULUMI_BACKEND_URL: "s3://b" }, false)).toThrow(/the same passphrase the session was created with/);
  });

  it("passes the passphrase to the engine by environment, and a file by path", () => {
    expect(resolveBackend({}, { PULUMI_CONFIG_PASSPHRASE: "s3cret" }, false)).toMatchObject({
      passphraseSource: "PULUMI_CONFIG_PASSPHRASE",
      env: { PULUMI_CONFIG_PASSPHRASE: "s3cret" },
    });
    expect(resolveBackend({}, { PULUMI_CONFIG_PASSPHRASE_FILE: "/run/pw" }, false)).toMatchObject({
      passphraseSource: "PULUMI_CONFIG_PASSPHRASE_FILE",
      env: { PULUMI_CONFIG_PASSPHRASE_FILE: "/run/pw" },
    });
    expect(resolveBackend({ passphrase: "opt" }, { PULUMI_CONFIG_PASSPHRASE: "env" }, false).env.PULUMI_CONFIG_PASSPHRASE).toBe("opt");
  });

  it("uses the home passphrase file for the local default backend", () => {
    const b = resolveBackend({}, { FORMATIONS_HOME: home }, true);
    expect(b.passphraseSource).toBe("home file");
    expect(b.env.PULUMI_CONFIG_PASSPHRASE_FILE).toBe(join(home, "passphrase"));
  });

  it("needs no passphrase with another secrets provider", () => {
    const b = resolveBackend({ secretsProvider: "awskms://alias/formations" }, {}, false);
    expect(b).toMatchObject({ secretsProvider: "awskms://alias/formations", passphraseSource: "not needed" });
    expect(b.env.PULUMI_CONFIG_PASSPHRASE).toBeUndefined();
  });

  it("lets a fresh workspace use the secrets provider recorded in the state", () => {
    expect(resolveBackend({}, { PULUMI_CONFIG_PASSPHRASE: "x" }, false).env.PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER).toBe("true");
  });

  it("creates a passphrase in the home with mode 0600 (dir 0700), never overwriting one", async () => {
    const file = await createHomePassphrase(join(home, "h"));
    expect(await mode(file)).toBe(0o600);
    expect(await mode(join(home, "h"))).toBe(0o700);
    const first = await readFile(file, "utf8");
    expect(first.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect(createHomePassphrase(join(home, "h"))).rejects.toThrow(/EEXIST/);
    expect(await readFile(file, "utf8")).toBe(first);
    const b = await loadBackend({}, { FORMATIONS_HOME: join(home, "h") });
    expect(b.passphraseSource).toBe("home file");
  });

  it("creates the local state directory private (0700), and its missing parents too", async () => {
    const b = resolveBackend({}, { FORMATIONS_HOME: join(home, "new", "home"), PULUMI_CONFIG_PASSPHRASE: "" }, false);
    await prepareBackend(b);
    expect(await mode(join(home, "new", "home", "state"))).toBe(0o700);
    expect(await mode(join(home, "new", "home"))).toBe(0o700);
    expect(await mode(join(home, "new"))).toBe(0o700);
  });

  it("never changes the mode of a directory it did not create: a team's shared folder keeps 2775 (issue 12)", async () => {
    const shared = join(home, "team-state");
    await mkdir(shared);
    await chmod(shared, 0o2775);
    const b = resolveBackend({ backendUrl: pathToFileURL(shared).href }, { PULUMI_CONFIG_PASSPHRASE: "pw" }, false);
    await prepareBackend(b);
    expect((await stat(shared)).mode & 0o7777).toBe(0o2775);
    // The default state folder, loosened by its owner after formations made it: left as it is.
    const own = resolveBackend({}, { FORMATIONS_HOME: home, PULUMI_CONFIG_PASSPHRASE: "pw" }, false);
    await prepareBackend(own);
    await chmod(join(home, "state"), 0o750);
    await prepareBackend(own);
    expect(await mode(join(home, "state"))).toBe(0o750);
  });

  it("an empty passphrase file is no passphrase (a write that failed): refused, and --create-passphrase replaces it", async () => {
    await writeFile(join(home, "passphrase"), "", { mode: 0o600 });
    const err = await loadBackend({}, { FORMATIONS_HOME: home }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingPassphraseError);
    expect((err as MissingPassphraseError).localDefault).toBe(true);
    expect((err as Error).message).toContain(`no secrets passphrase: ${home}/passphrase is empty`);
    await createHomePassphrase(home);
    expect((await readFile(join(home, "passphrase"), "utf8")).trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await loadBackend({}, { FORMATIONS_HOME: home })).passphraseSource).toBe("home file");
    // A PULUMI_CONFIG_PASSPHRASE_FILE that is empty is refused the same way.
    await writeFile(join(home, "other"), "\n");
    await expect(loadBackend({}, { FORMATIONS_HOME: home, PULUMI_CONFIG_PASSPHRASE_FILE: join(home, "other") })).rejects.toThrow(`${home}/other is empty`);
  });
});

describe("backend URLs", () => {
  it.each([
    ["file://relative", /a file backend needs an absolute path/],
    ["file:relative", /expected scheme:\/\//],
    ["./state", /expected scheme:\/\//],
    ["file://host/state", /a file backend needs an absolute path/],
  ])("%s is a usage error (exit 2), before anything runs (issue 12)", (url, why) => {
    const err = (() => {
      try {
        resolveBackend({ backendUrl: url }, { PULUMI_CONFIG_PASSPHRASE: "pw" }, false);
      } catch (e) {
        return e;
      }
    })();
    expect(exitCodeOf(err)).toBe(2);
    expect((err as Error).message).toMatch(new RegExp(`^invalid backend URL '${url.replace(/[./]/g, "\\$&")}' \\(--backend-url\\): `));
    expect((err as Error).message).toMatch(why);
  });

  it("accepts absolute file URLs, the home shorthand and object stores; PULUMI_BACKEND_URL is checked too", () => {
    for (const url of [
      "file:///srv/state",
      "file://~/state",
      "file://~",
      "file://localhost/srv/state",
      "s3://bucket/prefix",
      "azblob://c",
      "gs://b",
      "https://api.pulumi.com",
    ]) {
      expect(resolveBackend({ backendUrl: url }, { PULUMI_CONFIG_PASSPHRASE: "pw" }, false).url).toBe(url);
    }
    expect(() => resolveBackend({}, { PULUMI_BACKEND_URL: "file://relative", PULUMI_CONFIG_PASSPHRASE: "pw" }, false)).toThrow(/\(PULUMI_BACKEND_URL\)/);
  });
});
