/**
 * Where OpenStack credentials would come from, as the openstack CLI reads them: OS_CLOUD's entry
 * in clouds.yaml (OS_CLIENT_CONFIG_FILE, ./, ~/.config/openstack, /etc/openstack), else the
 * OS_* variables of an openrc file. Read only: Keystone is not called.
 */
import { join } from "node:path";
import type { CredentialFinding, CredentialProbe } from "../cloud.js";

export async function openstackCredentials(p: CredentialProbe): Promise<CredentialFinding> {
  const e = p.env;
  if (e.OS_CLOUD) {
    const files = [
      ...(e.OS_CLIENT_CONFIG_FILE ? [e.OS_CLIENT_CONFIG_FILE] : []),
      join(p.cwd, "clouds.yaml"),
      join(p.home, ".config", "openstack", "clouds.yaml"),
      "/etc/openstack/clouds.yaml",
    ];
    const { parse } = await import("yaml");
    for (const f of files) {
      const text = await p.read(f);
      if (text === undefined) continue;
      let clouds: Record<string, unknown>;
      try {
        clouds = ((parse(text) ?? {}) as { clouds?: Record<string, unknown> }).clouds ?? {};
      } catch {
        return { found: false, fix: `${f} is not valid YAML: fix it, or unset OS_CLOUD and use OS_* variables` };
      }
      if (clouds[e.OS_CLOUD]) return { found: true, source: `clouds.yaml (${f}, cloud '${e.OS_CLOUD}')` };
      return { found: false, fix: `OS_CLOUD=${e.OS_CLOUD}, but ${f} has no cloud '${e.OS_CLOUD}': add it, or set OS_CLOUD to one it has` };
    }
    return {
      found: false,
      fix: `OS_CLOUD=${e.OS_CLOUD}, but there is no clouds.yaml (looked in ${files.join(", ")}): download it from your cloud's dashboard (API access)`,
    };
  }
  if (e.OS_AUTH_URL && (e.OS_APPLICATION_CREDENTIAL_ID || e.OS_APPLICATION_CREDENTIAL_NAME || e.OS_USERNAME || e.OS_USER_ID || e.OS_TOKEN)) {
    const how = e.OS_APPLICATION_CREDENTIAL_ID || e.OS_APPLICATION_CREDENTIAL_NAME ? "application credential" : e.OS_TOKEN ? "token" : "password";
    return { found: true, source: `environment (OS_AUTH_URL, ${how})` };
  }
  return {
    found: false,
    fix: "no OpenStack credentials: set OS_CLOUD to a cloud of your clouds.yaml, or source your project's openrc file (OS_AUTH_URL, OS_USERNAME, ...)",
  };
}
