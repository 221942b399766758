/**
 * Layer: unit, plus layer 4 (HTTP interception) for the installer. Where the Pulumi CLI comes
 * from for a user who has none on PATH: FORMATIONS_PULUMI, PATH, the pinned CLI installed into
 * the formations home, the engine built by scripts/pulumi-engine.sh. The installer is the
 * Automation API's own (it fetches get.pulumi.com/install.sh and runs it); undici's MockAgent
 * answers that request with a script that lays out a stand-in CLI, so the exact request and the
 * install-root and version arguments are checked without the internet.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher, type Dispatcher } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineCacheDir, homeInstallRoot, installPulumi, locatePulumi, pinnedPulumiVersion } from "../../../automation/session/pulumi-cli.js";

let dir: string;
const version = pinnedPulumiVersion();

async function fakeCli(path: string): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, `#!/bin/sh\necho v${version}\n`);
  await chmod(path, 0o755);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "formations-pulumi-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("finding the Pulumi CLI", () => {
  it("pins the version of the installed @pulumi/pulumi", async () => {
    const pkg = JSON.parse(await readFile(join("node_modules", "@pulumi", "pulumi", "package.json"), "utf8")) as { version: string };
    expect(version).toBe(pkg.version);
  });

  it("looks in FORMATIONS_PULUMI, then PATH, then the home, then the engine cache", async () => {
    const home = join(dir, "home");
    const cache = join(dir, "cache");
    const env = (extra: Record<string, string>) => ({ PATH: join(dir, "empty"), FORMATIONS_ENGINE_CACHE: cache, ...extra });
    expect(await locatePulumi(env({}), home)).toBeUndefined();

    await fakeCli(join(cache, "abc123", "bin", "pulumi"));
    expect(await locatePulumi(env({}), home)).toEqual({ root: join(cache, "abc123"), source: "engine cache", path: join(cache, "abc123", "bin", "pulumi") });

    await fakeCli(join(homeInstallRoot(home), "bin", "pulumi"));
    expect(await locatePulumi(env({}), home)).toMatchObject({ root: homeInstallRoot(home), source: "formations home" });

    await fakeCli(join(dir, "path", "pulumi"));
    expect(await locatePulumi(env({ PATH: `${join(dir, "empty")}:${join(dir, "path")}` }), home)).toEqual({
      source: "PATH",
      path: join(dir, "path", "pulumi"),
    });

    await fakeCli(join(dir, "mine", "bin", "pulumi"));
    expect(await locatePulumi(env({ PATH: join(dir, "path"), FORMATIONS_PULUMI: join(dir, "mine", "bin", "pulumi") }), home)).toEqual({
      root: join(dir, "mine"),
      source: "FORMATIONS_PULUMI",
      path: join(dir, "mine", "bin", "pulumi"),
    });
  });

  it("a FORMATIONS_PULUMI that names no .../bin/pulumi finds nothing rather than another CLI", async () => {
    await fakeCli(join(dir, "path2", "pulumi"));
    const env = { PATH: join(dir, "path2"), FORMATIONS_PULUMI: join(dir, "nowhere", "bin", "pulumi") };
    expect(await locatePulumi(env, join(dir, "home2"))).toBeUndefined();
    expect(await locatePulumi({ ...env, FORMATIONS_PULUMI: join(dir, "path2", "pulumi") }, join(dir, "home2"))).toBeUndefined();
  });

  it("the engine cache defaults under XDG_CACHE_HOME", () => {
    expect(engineCacheDir({ XDG_CACHE_HOME: "/c" })).toBe("/c/formations/pulumi-engine");
    expect(engineCacheDir({ FORMATIONS_ENGINE_CACHE: "/e", XDG_CACHE_HOME: "/c" })).toBe("/e");
  });
});

describe("--install-pulumi: the Automation API's installer, into the formations home", () => {
  let saved: Dispatcher;
  let agent: MockAgent;
  beforeAll(() => {
    saved = getGlobalDispatcher();
    agent = new MockAgent();
    agent.disableNetConnect();
    setGlobalDispatcher(agent);
  });
  afterAll(async () => {
    setGlobalDispatcher(saved);
    await agent.close();
  });

  it("fetches get.pulumi.com/install.sh and runs it with the home's root and the pinned version", async () => {
    const home = join(dir, "install-home");
    const argsFile = join(dir, "install-args");
    // What the real script does, in one line: lay out <install-root>/bin/pulumi.
    const script = `echo "$@" > ${argsFile}\nwhile [ $# -gt 0 ]; do case $1 in --install-root) root=$2; shift;; esac; shift; done\nmkdir -p "$root/bin"\nprintf '#!/bin/sh\\necho v${version}\\n' > "$root/bin/pulumi"\nchmod +x "$root/bin/pulumi"\n`;
    agent.get("https://get.pulumi.com").intercept({ path: "/install.sh", method: "GET" }).reply(200, script);
    const cli = await installPulumi(home);
    expect(cli).toEqual({ root: homeInstallRoot(home), source: "formations home", path: join(homeInstallRoot(home), "bin", "pulumi") });
    expect((await readFile(argsFile, "utf8")).trim()).toBe(`--no-edit-path --install-root ${homeInstallRoot(home)} --version ${version}`);
    expect(await locatePulumi({ PATH: join(dir, "empty") }, home)).toMatchObject({ source: "formations home" });
  });

  it("no internet: the installer's failure says which download failed", async () => {
    agent.get("https://get.pulumi.com").intercept({ path: "/install.sh", method: "GET" }).reply(503, "unavailable");
    await expect(installPulumi(join(dir, "offline-home"))).rejects.toThrow(/Failed to download https:\/\/get\.pulumi\.com\/install\.sh: 503/);
  });
});
