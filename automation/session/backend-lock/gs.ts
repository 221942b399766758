/**
 * The session lock of a gs:// backend: the object `<prefix>.formations/locks/<project>/<session>.json`
 * in the backend's bucket, beside Pulumi's `.pulumi/`. Four calls of Cloud Storage's JSON API,
 * each with a generation precondition: an upload with `ifGenerationMatch=0` creates it only when
 * absent, an upload with `ifGenerationMatch=<generation>` refreshes the heartbeat of our version
 * only, a delete with `ifGenerationMatch` removes our version only; a media download reads it with
 * its generation (`x-goog-generation`). A version's tag is its generation.
 *
 * Credentials are found as Pulumi's gocloud gcsblob driver finds them: Application Default
 * Credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, the
 * machine's service account) through google-auth-library, loaded only for a gs:// backend; with
 * STORAGE_EMULATOR_HOST set (an emulator), requests go there without credentials, as Google's
 * clients do. A throttled or failed call (429, 5xx, a dropped connection) is tried again: each
 * call is conditional, so a repeat cannot take a lock twice. No token is ever part of a message.
 */
import { SessionError } from "../errors.js";
import type { LockBackend, LockStore } from "./index.js";

/** Where the bucket is, from a gs:// URL. */
export interface GsTarget {
  bucket: string;
  /** Object name prefix from the URL's path (`team/` for gs://state/team). */
  prefix: string;
}

export function gsTarget(url: string): GsTarget {
  const u = new URL(url);
  const bucket = decodeURIComponent(u.hostname || u.host);
  if (!bucket) throw new SessionError(`cannot open the session lock of the backend ${url.split("?")[0]}: the URL names no bucket (gs://<bucket>)`, 2);
  const p = decodeURIComponent(u.pathname).replace(/^\/+/, "");
  return { bucket, prefix: p === "" || p.endsWith("/") ? p : `${p}/` };
}

/** Where requests go and how they are authorised. */
interface GsService {
  /** `https://storage.googleapis.com`, or the emulator's root. */
  root: string;
  /** Authorization headers (none for an emulator). */
  headers(): Promise<Record<string, string>>;
}

/** Cloud Storage, or the emulator STORAGE_EMULATOR_HOST names. */
async function service(env: NodeJS.ProcessEnv): Promise<GsService> {
  const emulator = env.STORAGE_EMULATOR_HOST;
  if (emulator) return { root: (/^https?:\/\//.test(emulator) ? emulator : `http://${emulator}`).replace(/\/+$/, ""), headers: async () => ({}) };
  const { GoogleAuth } = await import("google-auth-library");
  const auth = new GoogleAuth({ scopes: ["https://www.googleapis.com/auth/devstorage.read_write"] });
  return {
    root: "https://storage.googleapis.com",
    headers: async () => {
      let token: string | null | undefined;
      try {
        token = await auth.getAccessToken();
      } catch (err) {
        throw noCredentials(err);
      }
      if (!token) throw noCredentials(undefined);
      return { authorization: `Bearer ${token}` };
    },
  };
}

function noCredentials(cause: unknown): SessionError {
  const why = cause instanceof Error ? ` (${cause.message.split("\n")[0]})` : "";
  return new SessionError(
    `cannot take the session lock of a gs:// backend: no usable Google credentials${why}: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or run \`gcloud auth application-default login\``,
    3,
  );
}

export class GsLockBackend implements LockBackend {
  private readonly target: GsTarget;
  private service?: Promise<GsService>;

  constructor(
    url: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.target = gsTarget(url);
  }

  store(project: string, session: string): LockStore {
    const name = `${this.target.prefix}.formations/locks/${project}/${session}.json`;
    return new GsLockStore(this.target.bucket, name, () => (this.service ??= service(this.env)));
  }
}

/** Statuses a repeat may cure; anything else is the answer. */
const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);
const ATTEMPTS = 5;

export class GsLockStore implements LockStore {
  constructor(
    private readonly bucket: string,
    private readonly name: string,
    private readonly service: () => Promise<GsService>,
    /** Waits between attempts (tests pass a shorter one). */
    private readonly pause: (attempt: number) => Promise<void> = (n) => new Promise((r) => setTimeout(r, 250 * 2 ** n)),
  ) {}

  get where(): string {
    return `gs://${this.bucket}/${this.name}`;
  }

  async create(body: string): Promise<string | undefined> {
    const r = await this.upload(body, "0");
    if (r.status === 200) return this.generation(r);
    if (r.status === 412) return undefined;
    throw this.failed("create", r);
  }

  async read(): Promise<{ body: string; tag: string } | undefined> {
    const r = await this.send("GET", `/storage/v1/b/${enc(this.bucket)}/o/${enc(this.name)}?alt=media`);
    if (r.status === 404) return undefined;
    if (r.status === 200) {
      const tag = r.headers.get("x-goog-generation");
      if (!tag) throw new SessionError(`Cloud Storage answered without the object's generation: cannot hold the session lock at ${this.where}`, 3);
      return { body: r.text, tag };
    }
    throw this.failed("read", r);
  }

  async replace(tag: string, body: string): Promise<string | undefined> {
    const r = await this.upload(body, tag);
    if (r.status === 200) return this.generation(r);
    if (r.status === 412 || r.status === 404) return undefined;
    throw this.failed("refresh", r);
  }

  async remove(tag: string): Promise<boolean> {
    const r = await this.send("DELETE", `/storage/v1/b/${enc(this.bucket)}/o/${enc(this.name)}?ifGenerationMatch=${enc(tag)}`);
    if (r.status === 204 || r.status === 200) return true;
    if (r.status === 412 || r.status === 404) return false;
    throw this.failed("remove", r);
  }

  private upload(body: string, ifGeneration: string) {
    return this.send("POST", `/upload/storage/v1/b/${enc(this.bucket)}/o?uploadType=media&name=${enc(this.name)}&ifGenerationMatch=${enc(ifGeneration)}`, body);
  }

  private generation(r: { text: string }): string {
    const generation = (JSON.parse(r.text) as { generation?: string | number }).generation;
    if (generation === undefined)
      throw new SessionError(`Cloud Storage answered without the object's generation: cannot hold the session lock at ${this.where}`, 3);
    return String(generation);
  }

  private async send(method: "GET" | "POST" | "DELETE", path: string, body?: string): Promise<{ status: number; headers: Headers; text: string }> {
    const svc = await this.service();
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${svc.root}${path}`, {
          method,
          headers: { ...(await svc.headers()), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
          ...(body !== undefined ? { body } : {}),
          signal: AbortSignal.timeout(60_000),
        });
      } catch (err) {
        if (err instanceof SessionError) throw err;
        if (attempt < ATTEMPTS) {
          await this.pause(attempt);
          continue;
        }
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        throw new SessionError(
          `cannot reach the session lock at ${this.where}: ${cause ?? (err instanceof Error ? err.message.split("\n")[0] : String(err))}`,
          3,
        );
      }
      const text = await res.text();
      if (TRANSIENT.has(res.status) && attempt < ATTEMPTS) {
        await this.pause(attempt);
        continue;
      }
      return { status: res.status, headers: res.headers, text };
    }
  }

  private failed(doing: string, r: { status: number; text: string }): SessionError {
    let reason = "";
    try {
      reason = (JSON.parse(r.text) as { error?: { message?: string } }).error?.message ?? "";
    } catch {
      // not JSON: the status says enough
    }
    const hint =
      r.status === 401 || r.status === 403
        ? ": check the Google credentials (GOOGLE_APPLICATION_CREDENTIALS or gcloud auth application-default login) and storage.objects.create, get and delete on the bucket"
        : r.status === 404
          ? ": does the bucket exist?"
          : "";
    return new SessionError(
      `cannot ${doing} the session lock at ${this.where}: Cloud Storage answered ${r.status}${reason ? ` (${reason.split("\n")[0]})` : ""}${hint}`,
      3,
    );
  }
}

const enc = encodeURIComponent;
