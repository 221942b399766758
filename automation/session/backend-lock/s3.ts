/**
 * The session lock of an s3:// backend: the object `<prefix>.formations/locks/<project>/<session>.json`
 * in the backend's bucket, beside Pulumi's `.pulumi/`. Four calls of the S3 API through
 * @aws-sdk/client-s3 (loaded only for an s3:// backend), each conditional, as S3 has offered since
 * 2024 on every bucket: PutObject with `If-None-Match: *` creates it only when absent, PutObject
 * with `If-Match: <etag>` refreshes the heartbeat of our version only, DeleteObject with
 * `If-Match` removes our version only; GetObject reads it with its ETag.
 *
 * The bucket, region, endpoint and credentials are found as Pulumi's gocloud s3blob driver finds
 * them, so whatever opens the state opens the lock: the URL
 * `s3://bucket[/prefix]?region=..&endpoint=..&profile=..&s3ForcePathStyle=true` (also
 * `use_path_style`, `disableSSL`/`disable_https`, `dualstack`, `fips`), then the AWS SDK's own
 * chain (AWS_REGION, AWS_PROFILE, environment keys, SSO, the instance's role). No credential is
 * ever part of a message.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { SessionError } from "../errors.js";
import type { LockBackend, LockStore } from "./index.js";

/** Where the bucket is and how to reach it, from an s3:// URL as gocloud reads it. */
export interface S3Target {
  bucket: string;
  /** Key prefix from the URL's path (`team/` for s3://state/team). */
  prefix: string;
  region?: string;
  endpoint?: string;
  profile?: string;
  forcePathStyle: boolean;
  dualstack: boolean;
  fips: boolean;
}

const truthy = (v: string | null): boolean => v !== null && ["1", "t", "true"].includes(v.toLowerCase());

/** Resolves an s3:// backend URL into a bucket and the client's settings. */
export function s3Target(url: string): S3Target {
  const u = new URL(url);
  const bucket = decodeURIComponent(u.hostname || u.host);
  if (!bucket) throw new SessionError(`cannot open the session lock of the backend ${url.split("?")[0]}: the URL names no bucket (s3://<bucket>)`, 2);
  const p = decodeURIComponent(u.pathname).replace(/^\/+/, "");
  const q = u.searchParams;
  let endpoint = q.get("endpoint") ?? undefined;
  const insecure = truthy(q.get("disableSSL")) || truthy(q.get("disable_https"));
  if (endpoint && !/^[a-z]+:\/\//i.test(endpoint)) endpoint = `${insecure ? "http" : "https"}://${endpoint}`;
  return {
    bucket,
    prefix: p === "" || p.endsWith("/") ? p : `${p}/`,
    ...(q.get("region") ? { region: q.get("region")! } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(q.get("profile") ? { profile: q.get("profile")! } : {}),
    forcePathStyle: truthy(q.get("s3ForcePathStyle")) || truthy(q.get("use_path_style")),
    dualstack: truthy(q.get("dualstack")),
    fips: truthy(q.get("fips")),
  };
}

export class S3LockBackend implements LockBackend {
  private readonly target: S3Target;
  private client?: Promise<S3Client>;

  constructor(url: string) {
    this.target = s3Target(url);
  }

  store(project: string, session: string): LockStore {
    const key = `${this.target.prefix}.formations/locks/${project}/${session}.json`;
    return new S3LockStore(this.target, key, () => (this.client ??= makeClient(this.target)));
  }
}

async function makeClient(t: S3Target): Promise<S3Client> {
  const { S3Client } = await import("@aws-sdk/client-s3");
  return new S3Client({
    ...(t.region ? { region: t.region } : {}),
    ...(t.endpoint ? { endpoint: t.endpoint } : {}),
    ...(t.profile ? { profile: t.profile } : {}),
    forcePathStyle: t.forcePathStyle,
    useDualstackEndpoint: t.dualstack,
    useFipsEndpoint: t.fips,
    // The lock is written on every operation: the SDK's own retries (throttling, 5xx) apply.
    maxAttempts: 5,
  });
}

/** What the SDK's errors carry: the HTTP status and S3's error code. */
interface S3Failure {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const status = (err: unknown): number | undefined => (err as S3Failure).$metadata?.httpStatusCode;

export class S3LockStore implements LockStore {
  constructor(
    private readonly target: S3Target,
    private readonly key: string,
    private readonly client: () => Promise<S3Client>,
  ) {}

  get where(): string {
    return `s3://${this.target.bucket}/${this.key}`;
  }

  async create(body: string): Promise<string | undefined> {
    const { PutObjectCommand } = await import("@aws-sdk/client-s3");
    try {
      const r = await this.send((c) =>
        c.send(new PutObjectCommand({ Bucket: this.target.bucket, Key: this.key, Body: body, ContentType: "application/json", IfNoneMatch: "*" })),
      );
      return this.etag(r.ETag);
    } catch (err) {
      // 412: it exists; 409: another conditional write to it is in flight (S3's ConditionalRequestConflict).
      if (status(err) === 412 || status(err) === 409) return undefined;
      throw this.failed("create", err);
    }
  }

  async read(): Promise<{ body: string; tag: string } | undefined> {
    const { GetObjectCommand } = await import("@aws-sdk/client-s3");
    try {
      const r = await this.send((c) => c.send(new GetObjectCommand({ Bucket: this.target.bucket, Key: this.key })));
      return { body: (await r.Body?.transformToString("utf-8")) ?? "", tag: this.etag(r.ETag) };
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw this.failed("read", err);
    }
  }

  async replace(tag: string, body: string): Promise<string | undefined> {
    const { PutObjectCommand } = await import("@aws-sdk/client-s3");
    try {
      const r = await this.send((c) =>
        c.send(new PutObjectCommand({ Bucket: this.target.bucket, Key: this.key, Body: body, ContentType: "application/json", IfMatch: tag })),
      );
      return this.etag(r.ETag);
    } catch (err) {
      if (status(err) === 412 || status(err) === 404 || status(err) === 409) return undefined;
      throw this.failed("refresh", err);
    }
  }

  async remove(tag: string): Promise<boolean> {
    const { DeleteObjectCommand } = await import("@aws-sdk/client-s3");
    try {
      await this.send((c) => c.send(new DeleteObjectCommand({ Bucket: this.target.bucket, Key: this.key, IfMatch: tag })));
      return true;
    } catch (err) {
      if (status(err) === 412 || status(err) === 404 || status(err) === 409) return false;
      throw this.failed("remove", err);
    }
  }

  private async send<T>(call: (c: S3Client) => Promise<T>): Promise<T> {
    const client = await this.client();
    try {
      return await call(client);
    } catch (err) {
      // No HTTP answer at all (no route, no credentials found): the backend cannot be reached.
      if (status(err) === undefined)
        throw new SessionError(`cannot reach the session lock at ${this.where}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`, 3);
      throw err;
    }
  }

  private etag(tag: string | undefined): string {
    if (!tag) throw new SessionError("S3 answered without an ETag: cannot hold the session lock", 3);
    return tag;
  }

  private failed(doing: string, err: unknown): SessionError {
    if (err instanceof SessionError) return err;
    const s = status(err);
    const code = (err as S3Failure).name ?? "";
    const hint =
      s === 403 || s === 401
        ? ": check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, or the instance's role) and s3:GetObject, s3:PutObject, s3:DeleteObject on the bucket"
        : s === 404
          ? ": does the bucket exist?"
          : s === 501
            ? ": this S3 service does not take conditional writes (If-None-Match, If-Match), which the lock needs"
            : "";
    return new SessionError(`cannot ${doing} the session lock at ${this.where}: S3 answered ${s ?? "nothing"}${code ? ` ${code}` : ""}${hint}`, 3);
  }
}
