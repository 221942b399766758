/**
 * `formations doctor [--provider P] [--json]`: every prerequisite of a session at once (the
 * Pulumi CLI and plugins, the state backend and passphrase, each provider's credentials, the
 * Docker engine), where each was found or the one-line fix. Exit 0 when everything the named
 * providers need is there, 3 when something required is missing. Never prints a secret.
 */
import { doctor, type DoctorCheck, type DoctorOptions, type DoctorReport } from "../automation/doctor.js";
import { PROVIDERS, type Provider } from "../format/types.js";
import { EXIT, UsageError } from "./exit.js";
import type { Output } from "./output.js";
import { table } from "./session-runtime.js";

export interface DoctorFlags {
  provider?: string[];
  json?: boolean;
  backendUrl?: string;
  secretsProvider?: string;
}

/** `--provider aws --provider gcp` or `--provider aws,gcp`; an unknown name is a usage error. */
export function parseProviders(values: readonly string[] = []): Provider[] {
  const names = values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const n of names) if (!(PROVIDERS as readonly string[]).includes(n)) throw new UsageError(`unknown provider '${n}'`, `one of ${PROVIDERS.join(", ")}`);
  return names as Provider[];
}

const mark = (c: DoctorCheck) => (c.ok ? "ok" : c.required ? "MISSING" : "missing");

/** The report as text: one line per check, then the fixes of what is missing. */
export function renderDoctor(r: DoctorReport): string {
  const rows = r.checks.map((c) => [mark(c), c.name, c.detail]);
  const fixes = r.checks.filter((c) => !c.ok && c.fix).map((c) => `  ${c.name}: ${c.fix}`);
  const notes = r.checks.filter((c) => c.ok && c.fix).map((c) => `  ${c.name}: ${c.fix}`);
  const scope = r.providers.length ? `for ${r.providers.join(", ")}` : "for every provider (name one with --provider to make its checks required)";
  const verdict = r.ok
    ? `ready ${scope}`
    : `not ready ${scope}: ${r.checks
        .filter((c) => !c.ok && c.required)
        .map((c) => c.name)
        .join(", ")} missing`;
  return [
    table(["", "CHECK", "FOUND"], rows),
    ...(fixes.length ? ["", "to fix", ...fixes] : []),
    ...(notes.length ? ["", "also", ...notes] : []),
    "",
    verdict,
  ].join("\n");
}

export async function doctorCommand(
  flags: DoctorFlags,
  io: Output,
  opts: Omit<DoctorOptions, "providers" | "backendUrl" | "secretsProvider"> = {},
): Promise<number> {
  let providers: Provider[];
  try {
    providers = parseProviders(flags.provider);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`formations: ${err.message}${err.hint ? `\nhint: ${err.hint}` : ""}`);
    return EXIT.usage;
  }
  const report = await doctor({
    ...opts,
    providers,
    ...(flags.backendUrl ? { backendUrl: flags.backendUrl } : {}),
    ...(flags.secretsProvider ? { secretsProvider: flags.secretsProvider } : {}),
  });
  io.out(flags.json ? JSON.stringify(report, null, 2) : renderDoctor(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}
