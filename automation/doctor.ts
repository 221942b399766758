/**
 * `formations doctor`: every prerequisite of a session, checked at once and offline, each with
 * where it was found or the one-line fix: the Pulumi CLI and the resource plugins the providers
 * need, the state backend and the secrets passphrase, each provider's credentials (where from,
 * never what) and the Docker engine. Reads the environment and files; the only call it makes is a
 * ping of the Docker engine. `required` marks what the providers asked for cannot do without.
 */
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import { access, constants, readFile } from "node:fs/promises";
import { cloudOf } from "../clouds/index.js";
import type { CredentialFinding, CredentialProbe } from "../clouds/cloud.js";
import { PROVIDERS, type Provider } from "../format/types.js";
import { formationsHome, loadBackend } from "./session/backend.js";
import { MissingPassphraseError, SessionError } from "./session/errors.js";
import { locatePulumi, pinnedPulumiVersion, type FoundCli } from "./session/pulumi-cli.js";

export interface DoctorCheck {
  /** What is checked: `pulumi CLI`, `credentials aws`, `docker engine`... */
  name: string;
  ok: boolean;
  /** Needed for what was asked: a missing one makes the exit code nonzero. */
  required: boolean;
  /** The provider a credentials row is about (absent on the shared rows: CLI, plugins, backend). */
  provider?: Provider;
  /** Where it was found, or what is wrong (never a secret). */
  detail: string;
  /** The fix, in one line (when not ok, or something worth doing). */
  fix?: string;
}

export interface DoctorReport {
  /** The providers checked as required (`--provider`), or [] when none was named. */
  providers: Provider[];
  checks: DoctorCheck[];
  /** Every required check passed. */
  ok: boolean;
}

export interface DoctorOptions {
  /** Providers the formations need: their credentials and plugins are required. Default: none (all listed, none required). */
  providers?: readonly Provider[];
  backendUrl?: string;
  secretsProvider?: string;
  env?: NodeJS.ProcessEnv;
  /** The user's home (default: os.homedir()). */
  home?: string;
  cwd?: string;
  /** Reads a file (tests pass their own); undefined when it cannot be read. */
  read?: (path: string) => Promise<string | undefined>;
  /** Finds the Pulumi CLI (tests pass their own). */
  locate?: (env: NodeJS.ProcessEnv, home: string) => Promise<FoundCli | undefined>;
  /** Whether a resource plugin is installed (tests pass their own). */
  hasPlugin?: (dir: string) => Promise<boolean>;
  /** A cloud's credential check (tests pass their own, e.g. for the Docker engine's ping). */
  credentials?: (provider: Provider, probe: CredentialProbe) => Promise<CredentialFinding>;
}

function pluginVersion(pkg: string): string | undefined {
  try {
    return (createRequire(import.meta.url)(`${pkg}/package.json`) as { version: string }).version.replace(/^v/, "");
  } catch {
    return undefined;
  }
}

const readText = (path: string) => readFile(path, "utf8").catch(() => undefined);
const exists = (path: string) =>
  access(path, constants.R_OK).then(
    () => true,
    () => false,
  );

async function pulumiCheck(o: Required<Pick<DoctorOptions, "locate">>, env: NodeJS.ProcessEnv, home: string): Promise<DoctorCheck> {
  const cli = await o.locate(env, home);
  const version = pinnedPulumiVersion();
  if (cli) return { name: "pulumi CLI", ok: true, required: true, detail: `${cli.path} (from ${cli.source})` };
  return {
    name: "pulumi CLI",
    ok: false,
    required: true,
    detail: env.FORMATIONS_PULUMI
      ? `FORMATIONS_PULUMI=${env.FORMATIONS_PULUMI} is not an executable .../bin/pulumi`
      : "not on PATH, not in the formations home, not built",
    fix: `install it (https://www.pulumi.com/docs/install/), or run a session verb with --install-pulumi (downloads v${version} into ${home}/pulumi), or build it offline: scripts/pulumi-engine.sh build`,
  };
}

async function pluginChecks(
  providers: readonly Provider[],
  required: ReadonlySet<Provider>,
  env: NodeJS.ProcessEnv,
  userHome: string,
  hasPlugin: (dir: string) => Promise<boolean>,
): Promise<DoctorCheck[]> {
  const pulumiHome = env.PULUMI_HOME || join(userHome, ".pulumi");
  const out: DoctorCheck[] = [];
  const seen = new Set<string>();
  for (const p of providers)
    for (const { pkg, plugin } of cloudOf(p).pulumiPackages) {
      // Two clouds may share a plugin (ovh's instances are openstack's): one row each.
      if (seen.has(plugin)) continue;
      seen.add(plugin);
      const version = pluginVersion(pkg);
      if (!version) {
        out.push({
          name: `plugin ${plugin}`,
          ok: false,
          required: required.has(p),
          detail: `${pkg} is not installed with formations`,
          fix: "reinstall formations (npm install)",
        });
        continue;
      }
      const dir = join(pulumiHome, "plugins", `resource-${plugin}-v${version}`);
      const ok = await hasPlugin(dir);
      // The engine downloads a missing plugin on the first `up`: missing is only a warning, unless offline.
      out.push(
        ok
          ? { name: `plugin ${plugin}`, ok, required: false, detail: `v${version} in ${dir}` }
          : {
              name: `plugin ${plugin}`,
              ok,
              required: false,
              detail: `v${version} not in ${join(pulumiHome, "plugins")}: the engine downloads it on the first up (needs the internet)`,
              fix: `pulumi plugin install resource ${plugin} ${version}`,
            },
      );
    }
  return out;
}

async function backendChecks(o: DoctorOptions, env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  const home = formationsHome(env);
  const url = o.backendUrl ?? (env.PULUMI_BACKEND_URL?.trim() || undefined);
  try {
    const b = await loadBackend(
      { ...(o.backendUrl ? { backendUrl: o.backendUrl } : {}), ...(o.secretsProvider ? { secretsProvider: o.secretsProvider } : {}) },
      env,
    );
    return [
      {
        name: "state backend",
        ok: true,
        required: true,
        detail: `${b.url}${b.localDefault ? " (the local default; set PULUMI_BACKEND_URL to share sessions)" : url === b.url && !o.backendUrl ? " (PULUMI_BACKEND_URL)" : " (--backend-url)"}`,
      },
      {
        name: "secrets",
        ok: true,
        required: true,
        detail: b.secretsProvider === "passphrase" ? `passphrase from ${b.passphraseSource}` : `provider ${b.secretsProvider} (no passphrase needed)`,
      },
    ];
  } catch (err) {
    if (err instanceof MissingPassphraseError) {
      return [
        { name: "state backend", ok: true, required: true, detail: url ?? `file://${home}/state (the local default)` },
        {
          name: "secrets",
          ok: false,
          required: true,
          detail: err.message.split(". Set")[0]!.replace(/^no secrets passphrase: /, "no passphrase: "),
          fix: `set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE${err.localDefault ? `, or run a session verb with --create-passphrase (writes ${home}/passphrase, mode 0600)` : " (the passphrase the sessions were created with)"}`,
        },
      ];
    }
    if (err instanceof SessionError)
      return [
        {
          name: "state backend",
          ok: false,
          required: true,
          detail: err.message,
          fix: "set PULUMI_BACKEND_URL (or --backend-url) to file:///absolute/path, s3://bucket/prefix, azblob://container, gs://bucket or https://api.pulumi.com",
        },
      ];
    throw err;
  }
}

/** Runs every check; never throws for a missing prerequisite. */
export async function doctor(o: DoctorOptions = {}): Promise<DoctorReport> {
  const env = o.env ?? process.env;
  const userHome = o.home ?? homedir();
  const probe: CredentialProbe = { env, home: userHome, cwd: o.cwd ?? process.cwd(), read: o.read ?? readText };
  const asked = [...new Set(o.providers ?? [])];
  const required = new Set<Provider>(asked);
  const listed = asked.length ? asked : [...PROVIDERS];
  const credentials = o.credentials ?? ((p: Provider, pr: CredentialProbe) => cloudOf(p).credentials(pr));
  const [pulumi, plugins, backend, creds] = await Promise.all([
    pulumiCheck({ locate: o.locate ?? locatePulumi }, env, formationsHome(env)),
    pluginChecks(listed, required, env, userHome, o.hasPlugin ?? ((dir) => exists(dir))),
    backendChecks(o, env),
    Promise.all(listed.map(async (p) => [p, await credentials(p, probe)] as const)),
  ]);
  const credentialChecks = creds.map(([p, f]): DoctorCheck => ({
    name: cloudOf(p).credentialsCheck ?? `credentials ${p}`,
    provider: p,
    ok: f.found,
    required: required.has(p),
    detail: f.found ? (f.source ?? "found") : "not found",
    ...(f.fix ? { fix: f.fix } : {}),
  }));
  const checks = [pulumi, ...plugins, ...backend, ...credentialChecks];
  return { providers: asked, checks, ok: checks.every((c) => c.ok || !c.required) };
}
