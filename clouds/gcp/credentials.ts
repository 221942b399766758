/**
 * Where Google credentials would come from, as Application Default Credentials looks for them,
 * read from the environment and files only (no token is asked for, the metadata server is not
 * called): GOOGLE_APPLICATION_CREDENTIALS, then the gcloud application-default login.
 */
import { join } from "node:path";
import type { CredentialFinding, CredentialProbe } from "../cloud.js";

const TYPES: Record<string, string> = {
  service_account: "service-account key",
  authorized_user: "user login",
  external_account: "workload identity federation",
  impersonated_service_account: "impersonated service account",
};

function kindOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const type = (JSON.parse(text) as { type?: unknown }).type;
    return typeof type === "string" ? (TYPES[type] ?? type) : undefined;
  } catch {
    return undefined;
  }
}

export async function gcpCredentials(p: CredentialProbe): Promise<CredentialFinding> {
  const e = p.env;
  if (e.GOOGLE_APPLICATION_CREDENTIALS) {
    const kind = kindOf(await p.read(e.GOOGLE_APPLICATION_CREDENTIALS));
    if (kind) return { found: true, source: `GOOGLE_APPLICATION_CREDENTIALS (${kind})` };
    return {
      found: false,
      fix: "GOOGLE_APPLICATION_CREDENTIALS names a file that cannot be read as a credentials JSON: point it at a service-account key, or unset it and run 'gcloud auth application-default login'",
    };
  }
  const config = e.CLOUDSDK_CONFIG || join(p.home, ".config", "gcloud");
  const kind = kindOf(await p.read(join(config, "application_default_credentials.json")));
  if (kind)
    return {
      found: true,
      source: `gcloud application-default login (${e.CLOUDSDK_CONFIG ? "$CLOUDSDK_CONFIG" : "~/.config/gcloud"}/application_default_credentials.json, ${kind})`,
    };
  return {
    found: false,
    fix: "no Google credentials: run 'gcloud auth application-default login', or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file (on GCE, the VM's service account is used and not checked here)",
  };
}
