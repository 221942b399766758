/**
 * Where Azure credentials would come from, in DefaultAzureCredential's order, read from the
 * environment and files only (no token is asked for): a service principal or workload identity
 * in AZURE_* variables, a managed identity endpoint, then the Azure CLI's login (~/.azure).
 */
import { join } from "node:path";
import type { CredentialFinding, CredentialProbe } from "../cloud.js";

export async function azureCredentials(p: CredentialProbe): Promise<CredentialFinding> {
  const e = p.env;
  const subscription = e.AZURE_SUBSCRIPTION_ID || e.ARM_SUBSCRIPTION_ID;
  const sub = subscription ? {} : { fix: "set AZURE_SUBSCRIPTION_ID (or 'az account set --subscription ...') so the session knows which subscription to use" };
  if (e.AZURE_TENANT_ID && e.AZURE_CLIENT_ID) {
    if (e.AZURE_CLIENT_SECRET) return { found: true, source: "environment (service principal: AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)", ...sub };
    if (e.AZURE_CLIENT_CERTIFICATE_PATH) return { found: true, source: "environment (service principal certificate: AZURE_CLIENT_CERTIFICATE_PATH)", ...sub };
    if (e.AZURE_FEDERATED_TOKEN_FILE) return { found: true, source: "workload identity (AZURE_FEDERATED_TOKEN_FILE)", ...sub };
  }
  if (e.IDENTITY_ENDPOINT || e.MSI_ENDPOINT)
    return { found: true, source: `managed identity (${e.IDENTITY_ENDPOINT ? "IDENTITY_ENDPOINT" : "MSI_ENDPOINT"})`, ...sub };
  const dir = e.AZURE_CONFIG_DIR || join(p.home, ".azure");
  const profile = await p.read(join(dir, "azureProfile.json"));
  if (profile !== undefined) {
    try {
      const subs = (JSON.parse(profile.replace(/^\uFEFF/, "")) as { subscriptions?: { isDefault?: boolean }[] }).subscriptions ?? [];
      if (subs.length)
        return {
          found: true,
          source: `Azure CLI login (${e.AZURE_CONFIG_DIR ? "$AZURE_CONFIG_DIR" : "~/.azure"}, ${subs.length} subscription(s)${subs.some((s) => s.isDefault) ? ", a default set" : ""})`,
          ...(subscription || subs.some((s) => s.isDefault) ? {} : sub),
        };
    } catch {
      // an unreadable profile is the same as none
    }
  }
  return {
    found: false,
    fix: "no Azure credentials: run 'az login', or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (on an Azure VM, a managed identity is used and not checked here)",
  };
}
