/**
 * When `up` fails for want of credentials (the provider's plugin could not sign in), the engine's
 * words are rarely enough: `doctor` for the formation's provider then says where credentials were
 * looked for and the fix, printed under the error. Nothing is printed for any other failure.
 */
import type { Provider } from "../format/types.js";
import type { Output } from "./output.js";

/** Words the providers' plugins and SDKs use when no credentials work (AWS, Google, Azure, OpenStack, Docker). */
const CREDENTIALS =
  /no valid credential sources|NoCredentialProviders|Unable to locate credentials|InvalidClientTokenId|ExpiredToken|security token included in the request is (invalid|expired)|could not find default credentials|Application Default Credentials|invalid_grant|DefaultAzureCredential|AADSTS\d+|run 'az login'|az login|failed to acquire (a )?token|OS_AUTH_URL|clouds\.yaml|requires authentication|Authentication failed|Cannot connect to the Docker daemon|credentials? (were )?refused|no usable .* credentials/i;

export function isCredentialsFailure(err: unknown): boolean {
  const e = err as { message?: string; details?: string } | undefined;
  return CREDENTIALS.test(`${e?.message ?? String(err)}\n${e?.details ?? ""}`);
}

/** The formation's provider, read from the file without failing (a file that does not load has no credentials to explain). */
async function providerOf(file: string): Promise<Provider | undefined> {
  try {
    const { loadFormation } = await import("../format/load.js");
    return (await loadFormation(file)).cloud.provider;
  } catch {
    return undefined;
  }
}

/** Prints what `doctor` finds for the formation's provider when `err` is a credentials failure; returns whether it did. */
export async function explainCredentials(err: unknown, file: string, io: Output, run?: (p: Provider) => Promise<string>): Promise<boolean> {
  if (!isCredentialsFailure(err)) return false;
  const provider = await providerOf(file);
  if (!provider) return false;
  const text = await (run ?? defaultRun)(provider);
  io.err(`formations: this looks like a credentials problem; what 'formations doctor --provider ${provider}' finds:\n${text}`);
  return true;
}

async function defaultRun(provider: Provider): Promise<string> {
  const [{ doctor }, { renderDoctor }] = await Promise.all([import("../automation/doctor.js"), import("./doctor.js")]);
  const r = await doctor({ providers: [provider] });
  // Only what concerns signing in: the provider's own row (its credentials; docker's engine).
  return renderDoctor({ ...r, checks: r.checks.filter((c) => c.provider === provider) });
}
