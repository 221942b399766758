/**
 * The few Compute Engine REST calls the GCP driver makes, over Node's `fetch`, with every failure
 * classified once. Only the access token comes from google-auth-library (Application Default
 * Credentials), imported on first use: @google-cloud/compute would load gRPC, protobufs and
 * 144 MB of generated clients (about 1.1 s to import) for seven calls.
 */
import { honourRetryAfter, send, sleep, type WaitOptions } from "../../../automation/actions/rest.js";
import { ActionError, type ErrorKind, type ObservedState } from "../../../automation/actions/types.js";

/** Where the access token (and, failing all else, the project) comes from. */
export interface GceAuth {
  /** An OAuth 2 access token with the compute scope. Never logged, never put in a message. */
  accessToken(): Promise<string>;
  /** The credentials' project, used when neither the target, the options nor the environment name one. */
  projectId?(): Promise<string | undefined>;
}

/** The instance a target names. */
export interface InstanceRef {
  project: string;
  zone: string;
  /** Instance name (or numeric id: GCE accepts either in the URL). */
  name: string;
}

/** The fields of a GCE instance the driver reads. */
export interface GceInstance {
  id?: string;
  name?: string;
  status?: string;
  scheduling?: { provisioningModel?: string; preemptible?: boolean; instanceTerminationAction?: string };
  guestAccelerators?: { acceleratorType?: string; acceleratorCount?: number }[];
  /** `type: SCRATCH` marks a local SSD, which a stop or suspend must be told to discard. */
  disks?: { type?: string }[];
  confidentialInstanceConfig?: { enableConfidentialCompute?: boolean };
  lastStartTimestamp?: string;
  lastStopTimestamp?: string;
}

/** A zonal or global long-running operation. */
export interface GceOperation {
  name: string;
  status?: "PENDING" | "RUNNING" | "DONE";
  operationType?: string;
  targetLink?: string;
  insertTime?: string;
  httpErrorStatusCode?: number;
  error?: { errors?: { code?: string; message?: string }[] };
}

/** Where an operation lives: instance operations are zonal, machine-image ones global. */
export type OperationScope = { project: string; zone?: string };

export interface GceApiOptions {
  /** Token source; default Application Default Credentials through google-auth-library. */
  auth?: GceAuth;
  /** API root; default https://compute.googleapis.com/compute/v1. */
  endpoint?: string;
  /** Longest Retry-After honoured before a throttle is returned to the batch, in ms; default 30 000. */
  maxRetryAfterMs?: number;
}

const SERVICE = "the Compute Engine API";

/** Application Default Credentials, loaded on first use so nothing else pays for google-auth-library. */
async function applicationDefault(): Promise<GceAuth> {
  const { GoogleAuth } = await import("google-auth-library");
  const auth = new GoogleAuth({ scopes: ["https://www.googleapis.com/auth/compute"] });
  return {
    async accessToken() {
      try {
        const token = await auth.getAccessToken();
        if (token) return token;
      } catch (err) {
        throw noCredentials(err);
      }
      throw noCredentials(undefined);
    },
    projectId: () => auth.getProjectId().catch(() => undefined),
  };
}

function noCredentials(cause: unknown): ActionError {
  const why = cause instanceof Error ? ` (${cause.message.split("\n")[0]})` : "";
  return new ActionError(
    "other",
    `no usable Google credentials${why}: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or run \`gcloud auth application-default login\``,
    {},
    { cause },
  );
}

export class GceApi {
  private authP?: Promise<GceAuth>;
  private readonly endpoint: string;
  private readonly maxRetryAfterMs: number;

  constructor(private readonly opts: GceApiOptions = {}) {
    this.endpoint = (opts.endpoint ?? "https://compute.googleapis.com/compute/v1").replace(/\/$/, "");
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 30_000;
  }

  private auth(): Promise<GceAuth> {
    this.authP ??= this.opts.auth ? Promise.resolve(this.opts.auth) : applicationDefault();
    return this.authP;
  }

  /** The credentials' own project, when nothing else names one. */
  async defaultProject(): Promise<string | undefined> {
    const auth = await this.auth();
    return auth.projectId?.();
  }

  /** One call; any status but 2xx becomes a classified ActionError naming `what`. */
  async call<T>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    what: string,
    extra: { query?: Record<string, string>; body?: unknown; from?: ObservedState } = {},
  ): Promise<T> {
    const token = await (await this.auth()).accessToken();
    const qs = extra.query && Object.keys(extra.query).length ? `?${new URLSearchParams(extra.query).toString()}` : "";
    const states = extra.from ? { from: extra.from } : {};
    const res = await send({ method, url: `${this.endpoint}${path}${qs}`, headers: { authorization: `Bearer ${token}` }, body: extra.body }, SERVICE, states);
    if (res.status >= 200 && res.status < 300) return res.body as T;
    const err = classifyGceError(res.status, res.body, what, states);
    if (err.kind === "throttled") await honourRetryAfter(res.headers, this.maxRetryAfterMs);
    throw err;
  }

  /** The instance, or undefined when GCE says it does not exist. */
  async instance(ref: InstanceRef): Promise<GceInstance | undefined> {
    try {
      return await this.call<GceInstance>("GET", instancePath(ref), describe(ref));
    } catch (err) {
      if (err instanceof ActionError && err.kind === "not-found") return undefined;
      throw err;
    }
  }

  /** POST .../instances/{name}/{verb} (start, stop, suspend, resume, reset). */
  act(ref: InstanceRef, verb: "start" | "stop" | "suspend" | "resume" | "reset", from: ObservedState, query?: Record<string, string>): Promise<GceOperation> {
    return this.call<GceOperation>("POST", `${instancePath(ref)}/${verb}`, describe(ref), { from, ...(query ? { query } : {}) });
  }

  delete(ref: InstanceRef, from: ObservedState): Promise<GceOperation> {
    return this.call<GceOperation>("DELETE", instancePath(ref), describe(ref), { from });
  }

  /** machineImages.insert: a global operation; the image exists by name as soon as it is accepted. */
  insertMachineImage(
    ref: InstanceRef,
    body: { name: string; description: string; labels: Record<string, string> },
    from: ObservedState,
  ): Promise<GceOperation> {
    const sourceInstance = `projects/${ref.project}/zones/${ref.zone}/instances/${ref.name}`;
    return this.call<GceOperation>("POST", `/projects/${ref.project}/global/machineImages`, describe(ref), { from, body: { ...body, sourceInstance } });
  }

  /**
   * Waits for an operation with zoneOperations.wait / globalOperations.wait (each call returns
   * when it is done or after up to two minutes), within `wait.deadline`. A finished operation
   * that failed throws its classified error; `done: false` means the deadline came first.
   */
  async wait(op: GceOperation, scope: OperationScope, what: string, wait: WaitOptions, from: ObservedState): Promise<{ op: GceOperation; done: boolean }> {
    const base = scope.zone ? `/projects/${scope.project}/zones/${scope.zone}/operations` : `/projects/${scope.project}/global/operations`;
    let cur = op;
    for (;;) {
      if (cur.status === "DONE") {
        const failure = operationError(cur, what, from);
        if (failure) throw failure;
        return { op: cur, done: true };
      }
      if (Date.now() + wait.pollMs > wait.deadline) return { op: cur, done: false };
      cur = await this.call<GceOperation>("POST", `${base}/${cur.name}/wait`, what, { from });
      if (cur.status !== "DONE") await sleep(wait.pollMs);
    }
  }

  /**
   * Whether GCE preempted the instance since it last started: the zone's operation log keeps a
   * `compute.instances.preempted` entry per reclaim (the instance itself only says TERMINATED).
   */
  async preemptedSinceStart(ref: InstanceRef, inst: GceInstance): Promise<boolean> {
    if (!inst.id) return false;
    const filter = `(operationType = "compute.instances.preempted") AND (targetId = "${inst.id}")`;
    const list = await this.call<{ items?: GceOperation[] }>("GET", `/projects/${ref.project}/zones/${ref.zone}/operations`, describe(ref), {
      query: { filter },
    });
    const since = inst.lastStartTimestamp ? Date.parse(inst.lastStartTimestamp) : Number.NEGATIVE_INFINITY;
    return (list.items ?? []).some((o) => o.insertTime !== undefined && Date.parse(o.insertTime) >= since);
  }
}

export const instancePath = (r: InstanceRef) => `/projects/${r.project}/zones/${r.zone}/instances/${r.name}`;
export const describe = (r: InstanceRef) => `GCE instance ${r.name} (${r.project}, ${r.zone})`;

interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string; errors?: { reason?: string; message?: string }[] };
}

/** Reasons Google sends for rate limits, under 403 as well as 429. */
const RATE_REASONS = new Set(["rateLimitExceeded", "userRateLimitExceeded", "RESOURCE_OPERATION_RATE_EXCEEDED"]);

/** A failed HTTP answer of the Compute API as an ActionError (the body is Google's JSON error). */
export function classifyGceError(status: number, body: unknown, what: string, states: { from?: ObservedState } = {}): ActionError {
  const e = (body as GoogleErrorBody | undefined)?.error;
  const reasons = (e?.errors ?? []).map((x) => x.reason ?? "");
  const msg = (e?.message ?? `HTTP ${status}`).replace(/\s+/g, " ").trim();
  const fail = (kind: ErrorKind, text: string) => new ActionError(kind, text, kind === "not-found" ? { from: "terminated", to: "terminated" } : states);
  if (status === 429 || reasons.some((r) => RATE_REASONS.has(r))) return fail("throttled", `${what}: the Compute API is throttling requests (${msg})`);
  if (status === 404) return fail("not-found", `${what} does not exist (deleted outside formations?)`);
  if (status === 401) return fail("other", `${what}: the credentials were refused (${msg}): renew them (gcloud auth application-default login)`);
  if (status === 403) return fail("other", `${what}: permission denied (${msg}): the account needs the Compute Instance Admin role on the project`);
  if (reasons.includes("alreadyExists")) return fail("other", `${what}: ${msg}: choose another name`);
  if (status === 409) return fail("invalid-state", `${what}: ${msg}`);
  // Another operation is still running on the instance: it settles by itself.
  if (reasons.includes("resourceNotReady") || status === 412 || status >= 500) return fail("transient", `${what}: ${msg}`);
  return fail("other", `${what}: ${msg}`);
}

/** Operation error codes and what they mean for a retry. */
const OPERATION_KINDS: Readonly<Record<string, ErrorKind>> = {
  RATE_LIMIT_EXCEEDED: "throttled",
  RESOURCE_OPERATION_RATE_EXCEEDED: "throttled",
  RESOURCE_NOT_READY: "transient",
  RESOURCE_NOT_FOUND: "not-found",
  UNSUPPORTED_OPERATION: "invalid-state",
};

/** The error of a finished operation, or undefined when it succeeded. */
export function operationError(op: GceOperation, what: string, from: ObservedState): ActionError | undefined {
  const first = op.error?.errors?.[0];
  if (!first) return undefined;
  const code = first.code ?? "UNKNOWN";
  const msg = `${what}: ${op.operationType ?? "operation"} failed: ${code}: ${(first.message ?? "").replace(/\s+/g, " ").trim()}`;
  if (/ZONE_RESOURCE_POOL_EXHAUSTED/.test(code)) return new ActionError("other", `${msg} (no capacity in the zone now: try later, or another zone)`, { from });
  return new ActionError(OPERATION_KINDS[code] ?? "other", msg, { from });
}
