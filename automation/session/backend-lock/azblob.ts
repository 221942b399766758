/**
 * The session lock of an azblob:// backend: the blob `<prefix>.formations/locks/<project>/<session>.json`
 * in the backend's container, beside Pulumi's `.pulumi/`. Three REST calls of the Blob service,
 * each conditional: Put Blob with `If-None-Match: *` creates it only when absent, Put Blob with
 * `If-Match: <etag>` refreshes the heartbeat of our version only, Delete Blob with `If-Match`
 * removes our version only. The account, endpoint and credentials are found as Pulumi's gocloud
 * azblob driver finds them, so whatever opens the state opens the lock:
 *
 * - the URL: `azblob://container[/prefix]?storage_account=..&domain=..&protocol=..&localemu=..&cdn=..`
 *   over AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_DOMAIN, AZURE_STORAGE_PROTOCOL, AZURE_STORAGE_IS_LOCAL_EMULATOR, AZURE_STORAGE_IS_CDN;
 * - the credential: AZURE_STORAGE_ACCOUNT + AZURE_STORAGE_KEY (Shared Key), else AZURE_STORAGE_SAS_TOKEN,
 *   else AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGEBLOB_CONNECTIONSTRING), else Microsoft
 *   Entra ID through @azure/identity's DefaultAzureCredential (loaded only then).
 *
 * Requests go through @azure/core-rest-pipeline (retries, proxies); the Shared Key signature is
 * computed here. No credential is ever part of a message.
 */
import { createHmac } from "node:crypto";
import type { Pipeline, PipelinePolicy, PipelineRequest, PipelineResponse } from "@azure/core-rest-pipeline";
import { SessionError } from "../errors.js";
import type { LockBackend, LockStore } from "./index.js";

const VERSION = "2021-08-06";

/** How requests are authorised. */
type Credential = { kind: "key"; account: string; key: string } | { kind: "sas"; token: string } | { kind: "entra" };

/** Where the container is and how to reach it, as gocloud's azblob opener derives it. */
export interface AzblobTarget {
  /** `https://account.blob.core.windows.net/container` (no query). */
  containerUrl: string;
  account: string;
  container: string;
  /** Blob name prefix from the URL's path (`team/` for azblob://state/team). */
  prefix: string;
  credential: Credential;
}

/** Resolves an azblob:// backend URL and the environment into a container and a credential. */
export function azblobTarget(url: string, env: NodeJS.ProcessEnv): AzblobTarget {
  const u = new URL(url);
  const container = decodeURIComponent(u.hostname || u.host);
  const prefix = (() => {
    const p = decodeURIComponent(u.pathname).replace(/^\/+/, "");
    return p === "" || p.endsWith("/") ? p : `${p}/`;
  })();
  const bad = (why: string) => new SessionError(`cannot open the session lock of the backend azblob://${container}: ${why}`, 2);
  if (!container) throw bad("the URL names no container (azblob://<container>)");
  const q = Object.fromEntries(u.searchParams.entries());
  const connection = parseConnectionString(env.AZURE_STORAGE_CONNECTION_STRING || env.AZURE_STORAGEBLOB_CONNECTIONSTRING || "");
  const account = q.storage_account || env.AZURE_STORAGE_ACCOUNT || connection.AccountName || "";
  let protocol = q.protocol || env.AZURE_STORAGE_PROTOCOL || connection.DefaultEndpointsProtocol || "https";
  const domain = q.domain || env.AZURE_STORAGE_DOMAIN || "blob.core.windows.net";
  const localemu = truthy(q.localemu ?? env.AZURE_STORAGE_IS_LOCAL_EMULATOR);
  const cdn = truthy(q.cdn ?? env.AZURE_STORAGE_IS_CDN);
  if (protocol !== "http" && protocol !== "https") throw bad(`invalid protocol '${protocol}' (http or https)`);
  let service: string;
  let credential: Credential;
  if (env.AZURE_STORAGE_ACCOUNT && env.AZURE_STORAGE_KEY) {
    credential = { kind: "key", account: env.AZURE_STORAGE_ACCOUNT, key: env.AZURE_STORAGE_KEY };
  } else if (env.AZURE_STORAGE_SAS_TOKEN) {
    credential = { kind: "sas", token: env.AZURE_STORAGE_SAS_TOKEN.replace(/^\?/, "") };
  } else if (connection.AccountName || connection.BlobEndpoint || connection.UseDevelopmentStorage) {
    // The connection string names its own endpoint, as gocloud's NewClientFromConnectionString does.
    const dev = truthy(connection.UseDevelopmentStorage);
    const acct = dev ? "devstoreaccount1" : (connection.AccountName ?? account);
    protocol = connection.DefaultEndpointsProtocol || (dev ? "http" : "https");
    const endpoint = dev
      ? `http://127.0.0.1:10000/${acct}`
      : (connection.BlobEndpoint ?? `${protocol}://${acct}.blob.${connection.EndpointSuffix ?? "core.windows.net"}`);
    const containerUrl = `${endpoint.replace(/\/+$/, "")}/${encodeURIComponent(container)}`;
    if (connection.SharedAccessSignature)
      return { containerUrl, account: acct, container, prefix, credential: { kind: "sas", token: connection.SharedAccessSignature } };
    const key = dev ? AZURITE_WELL_KNOWN_KEY : connection.AccountKey;
    if (!key) throw bad("the connection string has neither AccountKey nor SharedAccessSignature");
    return { containerUrl, account: acct, container, prefix, credential: { kind: "key", account: acct, key } };
  } else {
    credential = { kind: "entra" };
  }
  if (!account) throw bad("no storage account: set AZURE_STORAGE_ACCOUNT, or storage_account=... in the URL");
  if (/^(127\.0\.0\.1|localhost)/.test(domain) || localemu) service = `${protocol}://${domain}/${account}`;
  else if (cdn) service = `${protocol}://${domain}`;
  else service = `${protocol}://${account}.${domain}`;
  return { containerUrl: `${service}/${encodeURIComponent(container)}`, account, container, prefix, credential };
}

/** Azurite's published development key (UseDevelopmentStorage=true): not a secret. */
const AZURITE_WELL_KNOWN_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

function truthy(v: string | undefined): boolean {
  return v !== undefined && ["1", "t", "true"].includes(v.toLowerCase());
}

function parseConnectionString(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

export class AzblobLockBackend implements LockBackend {
  private readonly target: AzblobTarget;
  private pipeline?: Promise<Pipeline>;

  constructor(url: string, env: NodeJS.ProcessEnv) {
    this.target = azblobTarget(url, env);
  }

  store(project: string, session: string): LockStore {
    const blob = `${this.target.prefix}.formations/locks/${project}/${session}.json`;
    return new AzblobLockStore(this.target, blob, () => (this.pipeline ??= makePipeline(this.target.credential)));
  }
}

async function makePipeline(credential: Credential): Promise<Pipeline> {
  const { createPipelineFromOptions, bearerTokenAuthenticationPolicy } = await import("@azure/core-rest-pipeline");
  const pipeline = createPipelineFromOptions({ userAgentOptions: { userAgentPrefix: "formations-lock" } });
  if (credential.kind === "key") pipeline.addPolicy(sharedKeyPolicy(credential.account, credential.key), { phase: "Sign" });
  if (credential.kind === "entra") {
    const { DefaultAzureCredential } = await import("@azure/identity");
    pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: new DefaultAzureCredential(), scopes: "https://storage.azure.com/.default" }), {
      phase: "Sign",
    });
  }
  return pipeline;
}

/** The Blob service's Shared Key scheme: an HMAC-SHA256 of the request's canonical form, keyed by the account key. */
export function sharedKeyPolicy(account: string, key: string): PipelinePolicy {
  return {
    name: "formationsSharedKey",
    sendRequest(request, next) {
      request.headers.set("x-ms-date", new Date().toUTCString());
      request.headers.set("Authorization", `SharedKey ${account}:${sharedKeySignature(account, key, request)}`);
      return next(request);
    },
  };
}

/** The signature of a request (exported for tests: it must match what the service computes). */
export function sharedKeySignature(account: string, key: string, request: Pick<PipelineRequest, "method" | "url" | "headers" | "body">): string {
  const h = (name: string) => request.headers.get(name) ?? "";
  const length = typeof request.body === "string" ? Buffer.byteLength(request.body) : 0;
  const canonHeaders = [...request.headers]
    .map(([k, v]) => [k.toLowerCase(), v.trim()] as const)
    .filter(([k]) => k.startsWith("x-ms-"))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}:${v}\n`)
    .join("");
  const u = new URL(request.url);
  const params = [...u.searchParams.keys()].map((k) => k.toLowerCase()).sort();
  const canonResource = `/${account}${u.pathname}` + [...new Set(params)].map((k) => `\n${k}:${u.searchParams.getAll(k).sort().join(",")}`).join("");
  const toSign = [
    request.method,
    h("Content-Encoding"),
    h("Content-Language"),
    length ? String(length) : "",
    h("Content-MD5"),
    h("Content-Type"),
    "",
    h("If-Modified-Since"),
    h("If-Match"),
    h("If-None-Match"),
    h("If-Unmodified-Since"),
    h("Range"),
  ].join("\n");
  return createHmac("sha256", Buffer.from(key, "base64")).update(`${toSign}\n${canonHeaders}${canonResource}`, "utf8").digest("base64");
}

export class AzblobLockStore implements LockStore {
  constructor(
    private readonly target: AzblobTarget,
    private readonly blob: string,
    private readonly pipeline: () => Promise<Pipeline>,
  ) {}

  get where(): string {
    return `azblob://${this.target.container}/${this.blob}`;
  }

  async create(body: string): Promise<string | undefined> {
    const r = await this.send("PUT", { "If-None-Match": "*", "x-ms-blob-type": "BlockBlob", "Content-Type": "application/json" }, body);
    if (r.status === 201) return etag(r);
    if (r.status === 409 || r.status === 412) return undefined;
    throw this.failed("create", r);
  }

  async read(): Promise<{ body: string; tag: string } | undefined> {
    const r = await this.send("GET", {});
    if (r.status === 404) return undefined;
    if (r.status === 200) return { body: r.bodyAsText ?? "", tag: etag(r) };
    throw this.failed("read", r);
  }

  async replace(tag: string, body: string): Promise<string | undefined> {
    const r = await this.send("PUT", { "If-Match": tag, "x-ms-blob-type": "BlockBlob", "Content-Type": "application/json" }, body);
    if (r.status === 201) return etag(r);
    if (r.status === 412 || r.status === 404) return undefined;
    throw this.failed("refresh", r);
  }

  async remove(tag: string): Promise<boolean> {
    const r = await this.send("DELETE", { "If-Match": tag });
    if (r.status === 202) return true;
    if (r.status === 412 || r.status === 404) return false;
    throw this.failed("remove", r);
  }

  private async send(method: "GET" | "PUT" | "DELETE", headers: Record<string, string>, body?: string): Promise<PipelineResponse> {
    const { createDefaultHttpClient, createHttpHeaders, createPipelineRequest } = await import("@azure/core-rest-pipeline");
    const path = this.blob.split("/").map(encodeURIComponent).join("/");
    const sas = this.target.credential.kind === "sas" ? `?${this.target.credential.token}` : "";
    const request = createPipelineRequest({
      url: `${this.target.containerUrl}/${path}${sas}`,
      method,
      headers: createHttpHeaders({ ...headers, "x-ms-version": VERSION }),
      ...(body !== undefined ? { body } : {}),
      timeout: 60_000,
      // protocol=http is the user's choice (an emulator, a private endpoint): as gocloud honours it.
      allowInsecureConnection: this.target.containerUrl.startsWith("http:"),
    });
    try {
      return await (await this.pipeline()).sendRequest(createDefaultHttpClient(), request);
    } catch (err) {
      throw new SessionError(`cannot reach the session lock at ${this.where}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`, 3);
    }
  }

  private failed(doing: string, r: PipelineResponse): SessionError {
    const code = r.headers.get("x-ms-error-code") ?? /<Code>([^<]+)<\/Code>/.exec(r.bodyAsText ?? "")?.[1] ?? "";
    const hint =
      r.status === 403 || r.status === 401
        ? ": check the storage credentials (AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_CONNECTION_STRING, or an Entra ID login with Storage Blob Data Contributor)"
        : r.status === 404
          ? ": does the container exist?"
          : "";
    return new SessionError(`cannot ${doing} the session lock at ${this.where}: the Blob service answered ${r.status}${code ? ` ${code}` : ""}${hint}`, 3);
  }
}

function etag(r: PipelineResponse): string {
  const tag = r.headers.get("etag");
  if (!tag) throw new SessionError("the Blob service answered without an ETag: cannot hold the session lock", 3);
  return tag;
}
