/**
 * Keystone v3 for the OpenStack driver: credentials from the standard OS_* variables or from
 * clouds.yaml (OS_CLOUD, merged with secure.yaml as the openstack CLI does), a password or an
 * application credential, one token shared by every call until shortly before it expires, and
 * the compute endpoint taken from the token's catalog for the region. Secrets are sent to
 * Keystone only, never put in a message.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { honourRetryAfter, send } from "../../../automation/actions/rest.js";
import { ActionError } from "../../../automation/actions/types.js";

/** What Keystone needs, with the names of clouds.yaml's `auth` section. */
export interface OpenStackAuth {
  auth_url: string;
  username?: string;
  user_id?: string;
  password?: string;
  user_domain_name?: string;
  user_domain_id?: string;
  project_name?: string;
  project_id?: string;
  project_domain_name?: string;
  project_domain_id?: string;
  application_credential_id?: string;
  application_credential_name?: string;
  application_credential_secret?: string;
}

/** A cloud: its auth plus where to find the compute service. */
export interface OpenStackCloud {
  auth: OpenStackAuth;
  region_name?: string;
  /** Catalog interface: public (default), internal or admin. */
  interface?: string;
}

/** The cloud the standard OS_* variables describe (what `openstack` reads without OS_CLOUD). */
export function cloudFromEnv(env: NodeJS.ProcessEnv = process.env): OpenStackCloud {
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v !== "");
  const auth: Record<string, string | undefined> = {
    auth_url: pick("OS_AUTH_URL") ?? "",
    username: pick("OS_USERNAME"),
    user_id: pick("OS_USER_ID"),
    password: pick("OS_PASSWORD"),
    user_domain_name: pick("OS_USER_DOMAIN_NAME"),
    user_domain_id: pick("OS_USER_DOMAIN_ID"),
    project_name: pick("OS_PROJECT_NAME", "OS_TENANT_NAME"),
    project_id: pick("OS_PROJECT_ID", "OS_TENANT_ID"),
    project_domain_name: pick("OS_PROJECT_DOMAIN_NAME"),
    project_domain_id: pick("OS_PROJECT_DOMAIN_ID"),
    application_credential_id: pick("OS_APPLICATION_CREDENTIAL_ID"),
    application_credential_name: pick("OS_APPLICATION_CREDENTIAL_NAME"),
    application_credential_secret: pick("OS_APPLICATION_CREDENTIAL_SECRET"),
  };
  const clean = Object.fromEntries(Object.entries(auth).filter(([, v]) => v !== undefined)) as unknown as OpenStackAuth;
  const region = pick("OS_REGION_NAME");
  const iface = pick("OS_INTERFACE", "OS_ENDPOINT_TYPE");
  return { auth: clean, ...(region ? { region_name: region } : {}), ...(iface ? { interface: iface.replace(/URL$/, "") } : {}) };
}

/** Where clouds.yaml and secure.yaml are looked for, in the openstack CLI's order. */
export function configDirs(): string[] {
  return [process.cwd(), join(homedir(), ".config", "openstack"), "/etc/openstack"];
}

/** `clouds.<name>` from the first clouds.yaml found (OS_CLIENT_CONFIG_FILE first), secure.yaml merged over it. */
export async function cloudFromFile(name: string, dirs: readonly string[] = configDirs(), env: NodeJS.ProcessEnv = process.env): Promise<OpenStackCloud> {
  const { parse } = await import("yaml");
  const first = async (files: string[]) => {
    for (const f of files) {
      const text = await readFile(f, "utf8").catch(() => undefined);
      if (text !== undefined) return { file: f, doc: (parse(text) ?? {}) as { clouds?: Record<string, Partial<OpenStackCloud>> } };
    }
    return undefined;
  };
  const clouds = await first([...(env.OS_CLIENT_CONFIG_FILE ? [env.OS_CLIENT_CONFIG_FILE] : []), ...dirs.map((d) => join(d, "clouds.yaml"))]);
  const entry = clouds?.doc.clouds?.[name];
  if (!entry) {
    const where = clouds ? `${clouds.file} has no cloud '${name}'` : `no clouds.yaml in ${dirs.join(", ")}`;
    throw new ActionError("other", `OS_CLOUD=${name}, but ${where}: add it, or unset OS_CLOUD and use OS_* variables`);
  }
  const secret = (await first(dirs.map((d) => join(d, "secure.yaml"))))?.doc.clouds?.[name];
  return { ...entry, ...secret, auth: { ...entry.auth, ...secret?.auth } as OpenStackAuth };
}

/** The cloud to use: OS_CLOUD's entry in clouds.yaml when set, else the OS_* variables. */
export async function resolveCloud(env: NodeJS.ProcessEnv = process.env): Promise<OpenStackCloud> {
  return env.OS_CLOUD ? cloudFromFile(env.OS_CLOUD, configDirs(), env) : cloudFromEnv(env);
}

/** Keystone v3's POST /auth/tokens body for a password or an application credential. */
export function tokenRequest(a: OpenStackAuth): object {
  const domain = (name?: string, id?: string) => (id ? { id } : name ? { name } : { id: "default" }); // Keystone's built-in domain
  if (a.application_credential_secret) {
    const cred = a.application_credential_id
      ? { id: a.application_credential_id, secret: a.application_credential_secret }
      : {
          name: a.application_credential_name,
          secret: a.application_credential_secret,
          user: a.user_id ? { id: a.user_id } : { name: a.username, domain: domain(a.user_domain_name, a.user_domain_id) },
        };
    // An application credential carries its own project: a scope would be refused.
    return { auth: { identity: { methods: ["application_credential"], application_credential: cred } } };
  }
  const user = a.user_id
    ? { id: a.user_id, password: a.password }
    : { name: a.username, domain: domain(a.user_domain_name, a.user_domain_id), password: a.password };
  const project = a.project_id
    ? { id: a.project_id }
    : a.project_name
      ? { name: a.project_name, domain: domain(a.project_domain_name, a.project_domain_id) }
      : undefined;
  return { auth: { identity: { methods: ["password"], password: { user } }, ...(project ? { scope: { project } } : {}) } };
}

/** A catalog entry of a Keystone token. */
export interface CatalogService {
  type: string;
  endpoints: { interface: string; region?: string; region_id?: string; url: string }[];
}

/** The compute endpoint of the catalog for the interface and region (the only region when none is named). */
export function computeEndpoint(catalog: readonly CatalogService[], iface: string, region?: string): string {
  return serviceEndpoint(catalog, ["compute"], iface, region);
}

/**
 * The endpoint of a service of the catalog for the interface and region: the first of `types`
 * the catalog has (block storage is `volumev3` or, on newer clouds, `block-storage`).
 */
export function serviceEndpoint(catalog: readonly CatalogService[], types: readonly string[], iface: string, region?: string): string {
  const type = types.find((t) => catalog.some((s) => s.type === t)) ?? types[0]!;
  const endpoints = catalog.filter((s) => s.type === type).flatMap((s) => s.endpoints.filter((e) => e.interface === iface));
  const regions = [...new Set(endpoints.map((e) => e.region_id ?? e.region ?? ""))];
  if (endpoints.length === 0)
    throw new ActionError("other", `the token's catalog has no ${iface} ${type} endpoint: is the project scoped (OS_PROJECT_NAME / OS_PROJECT_ID)?`);
  const chosen = region ? endpoints.find((e) => e.region_id === region || e.region === region) : regions.length === 1 ? endpoints[0] : undefined;
  if (!chosen) {
    const why = region ? `no ${type} endpoint in region '${region}'` : `${type} endpoints in several regions`;
    throw new ActionError("other", `${why} (regions: ${regions.join(", ")}): set cloud.region or OS_REGION_NAME`);
  }
  return chosen.url.replace(/\/+$/, "");
}

interface Token {
  value: string;
  expiresAt: number;
  catalog: CatalogService[];
  /** The project the token is scoped to (block storage URLs may need it). */
  project?: string;
}

/** Tokens and endpoints for one cloud; the token is shared by concurrent calls and renewed a minute before it expires. */
export class Keystone {
  private token?: Promise<Token>;
  /** The token `token` resolved to, so a refused one can be dropped at once. */
  private current?: string;
  private cloud?: Promise<OpenStackCloud>;

  constructor(
    private readonly source: () => Promise<OpenStackCloud> = () => resolveCloud(),
    private readonly opts: { maxRetryAfterMs?: number } = {},
  ) {}

  /** A valid token and the compute endpoint for `region` (default: the cloud's region_name). */
  async session(region?: string): Promise<{ token: string; computeUrl: string }> {
    const { token, url } = await this.endpoint(["compute"], region);
    return { token, computeUrl: url };
  }

  /** A valid token, the endpoint of the first of `types` the catalog has for `region`, and the token's project. */
  async endpoint(types: readonly string[], region?: string): Promise<{ token: string; url: string; project?: string }> {
    const cloud = await (this.cloud ??= this.source());
    let tok = await (this.token ??= this.issue(cloud));
    if (tok.expiresAt - 60_000 <= Date.now()) {
      this.token = undefined;
      tok = await (this.token ??= this.issue(cloud));
    }
    const url = serviceEndpoint(tok.catalog, types, cloud.interface ?? "public", region ?? cloud.region_name);
    return { token: tok.value, url, ...(tok.project ? { project: tok.project } : {}) };
  }

  /** Forgets a token the cloud refused (revoked, or expired early), so the next call authenticates again. */
  invalidate(token: string): void {
    if (this.current === token) {
      this.token = undefined;
      this.current = undefined;
    }
  }

  private issue(cloud: OpenStackCloud): Promise<Token> {
    const p = this.request(cloud);
    p.then(
      (t) => (this.current = t.value),
      () => {
        if (this.token === p) this.token = undefined; // a failed attempt is not cached
      },
    );
    return p;
  }

  private async request(cloud: OpenStackCloud): Promise<Token> {
    if (!cloud.auth.auth_url)
      throw new ActionError("other", "no OpenStack credentials: set OS_CLOUD (clouds.yaml) or OS_AUTH_URL and the other OS_* variables");
    const base = cloud.auth.auth_url.replace(/\/+$/, "");
    const url = `${/\/v3$/.test(base) ? base : `${base}/v3`}/auth/tokens`;
    const res = await send({ method: "POST", url, body: tokenRequest(cloud.auth) }, `Keystone at ${new URL(url).host}`);
    const value = res.headers.get("x-subject-token");
    const body = res.body as { token?: { expires_at?: string; catalog?: CatalogService[]; project?: { id?: string } } } | undefined;
    if (res.status === 201 && value && body?.token) {
      const project = body.token.project?.id;
      return {
        value,
        expiresAt: Date.parse(body.token.expires_at ?? "") || Date.now() + 3_600_000,
        catalog: body.token.catalog ?? [],
        ...(project ? { project } : {}),
      };
    }
    if (res.status === 429 || res.status === 413) {
      await honourRetryAfter(res.headers, this.opts.maxRetryAfterMs ?? 30_000);
      throw new ActionError("throttled", `Keystone is throttling requests (${res.status})`);
    }
    if (res.status >= 500) throw new ActionError("transient", `Keystone answered ${res.status}`);
    // The body may echo the user name but never the secret; keep only Keystone's own message.
    const msg = (res.body as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${res.status}`;
    throw new ActionError("other", `Keystone refused the credentials (${res.status}: ${msg}): check OS_CLOUD / the OS_* variables`);
  }
}
