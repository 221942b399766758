/**
 * Where OVHcloud credentials would come from (`formations doctor`): OVH Public Cloud needs two
 * sets. Its instances are OpenStack (the project's openrc or clouds.yaml, as clouds/openstack
 * checks), and the project, vRack network and File Storage go through OVH's own API (an
 * application key, secret and consumer key, in the environment or ~/.ovh.conf / ./ovh.conf as the
 * OVH SDKs read them). Says where, never what.
 */
import { join } from "node:path";
import type { CredentialFinding, CredentialProbe } from "../cloud.js";
import { openstackCredentials } from "../openstack/credentials.js";

const API_KEYS = ["OVH_APPLICATION_KEY", "OVH_APPLICATION_SECRET", "OVH_CONSUMER_KEY"] as const;

async function ovhApi(p: CredentialProbe): Promise<CredentialFinding> {
  const present = API_KEYS.filter((k) => p.env[k]);
  if (present.length === API_KEYS.length) return { found: true, source: `environment (${API_KEYS.join(", ")})` };
  for (const f of [join(p.cwd, "ovh.conf"), join(p.home, ".ovh.conf"), "/etc/ovh.conf"]) {
    const text = await p.read(f);
    if (text === undefined) continue;
    const keys = ["application_key", "application_secret", "consumer_key"].filter((k) => new RegExp(`^\\s*${k}\\s*=\\s*\\S`, "m").test(text));
    if (keys.length === 3) return { found: true, source: `${f}` };
    return {
      found: false,
      fix: `${f} lacks ${["application_key", "application_secret", "consumer_key"].filter((k) => !keys.includes(k)).join(", ")}: create an API token at https://api.ovh.com/createToken/ and add it there`,
    };
  }
  const missing = API_KEYS.filter((k) => !p.env[k]);
  return {
    found: false,
    fix: `no OVH API credentials (${missing.join(", ")} unset, no ovh.conf): create a token at https://api.ovh.com/createToken/ and export OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET, OVH_CONSUMER_KEY`,
  };
}

export async function ovhCredentials(p: CredentialProbe): Promise<CredentialFinding> {
  const [compute, api] = await Promise.all([openstackCredentials(p), ovhApi(p)]);
  if (compute.found && api.found) return { found: true, source: `instances: ${compute.source ?? "?"}; OVH API: ${api.source ?? "?"}` };
  const fixes = [...(compute.found ? [] : [`instances (OpenStack): ${compute.fix ?? "missing"}`]), ...(api.found ? [] : [`OVH API: ${api.fix ?? "missing"}`])];
  return { found: false, fix: fixes.join("; ") };
}
