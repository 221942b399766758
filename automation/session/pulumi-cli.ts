/**
 * Where the Pulumi CLI comes from, for users who have none on PATH.
 *
 * Looked for, in order: `FORMATIONS_PULUMI` (the path of an executable `.../bin/pulumi`; when it
 * names none, nothing else is tried, so a typo is not hidden by another CLI), `pulumi` on PATH,
 * the pinned CLI that `--install-pulumi` put in the formations home (`<home>/pulumi/v<version>`),
 * and the engine `scripts/pulumi-engine.sh` built from source (its cache, newest first). The
 * pinned version is the one of the `@pulumi/pulumi` this package was installed with, so the
 * Automation API and the CLI match.
 */
import { constants } from "node:fs";
import { access, readdir, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { basename, delimiter, dirname, join } from "node:path";

/** A CLI found: `root` holds `bin/pulumi` (the Automation API's PulumiCommand root), or undefined for `pulumi` on PATH. */
export interface FoundCli {
  root?: string;
  /** Where it was found, for messages and `doctor`. */
  source: "FORMATIONS_PULUMI" | "PATH" | "formations home" | "engine cache";
  path: string;
}

/** The @pulumi/pulumi version this package runs (read from its package.json, no Pulumi loaded). */
export function pinnedPulumiVersion(): string {
  const require = createRequire(import.meta.url);
  return (require("@pulumi/pulumi/package.json") as { version: string }).version;
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function onPath(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && (await executable(join(dir, "pulumi")))) return join(dir, "pulumi");
  }
  return undefined;
}

/** Where `--install-pulumi` puts the pinned CLI. */
export function homeInstallRoot(home: string, version = pinnedPulumiVersion()): string {
  return join(home, "pulumi", `v${version}`);
}

/** The engine cache of scripts/pulumi-engine.sh (FORMATIONS_ENGINE_CACHE, else ~/.cache/formations/pulumi-engine). */
export function engineCacheDir(env: NodeJS.ProcessEnv): string {
  return env.FORMATIONS_ENGINE_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "formations", "pulumi-engine");
}

async function fromEngineCache(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const cache = engineCacheDir(env);
  let builds: string[];
  try {
    builds = await readdir(cache);
  } catch {
    return undefined;
  }
  const found: { root: string; at: number }[] = [];
  for (const b of builds) {
    const bin = join(cache, b, "bin", "pulumi");
    if (await executable(bin)) found.push({ root: join(cache, b), at: (await stat(bin)).mtimeMs });
  }
  return found.sort((x, y) => y.at - x.at)[0]?.root;
}

/** Finds a Pulumi CLI, or undefined when there is none anywhere formations looks. */
export async function locatePulumi(env: NodeJS.ProcessEnv, home: string): Promise<FoundCli | undefined> {
  const explicit = env.FORMATIONS_PULUMI;
  if (explicit) {
    // The Automation API runs <root>/bin/pulumi: the variable must name a binary laid out so.
    const dir = dirname(explicit);
    if (basename(explicit) !== "pulumi" || basename(dir) !== "bin" || !(await executable(explicit))) return undefined;
    return { root: dirname(dir), source: "FORMATIONS_PULUMI", path: explicit };
  }
  const path = await onPath(env);
  if (path) return { source: "PATH", path };
  const installed = homeInstallRoot(home);
  if (await executable(join(installed, "bin", "pulumi"))) return { root: installed, source: "formations home", path: join(installed, "bin", "pulumi") };
  const built = await fromEngineCache(env);
  if (built) return { root: built, source: "engine cache", path: join(built, "bin", "pulumi") };
  return undefined;
}

/**
 * Downloads the pinned CLI into the formations home with the Automation API's installer
 * (get.pulumi.com's install script). Needs the internet; where there is none, build it instead:
 * scripts/pulumi-engine.sh build.
 */
export async function installPulumi(home: string): Promise<FoundCli> {
  const version = pinnedPulumiVersion();
  const root = homeInstallRoot(home, version);
  const [{ PulumiCommand }, { SemVer }] = await Promise.all([import("@pulumi/pulumi/automation/index.js"), import("semver")]);
  await PulumiCommand.install({ root, version: new SemVer(version) });
  return { root, source: "formations home", path: join(root, "bin", "pulumi") };
}
