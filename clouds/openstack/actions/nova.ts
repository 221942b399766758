/**
 * The Nova (compute) calls the OpenStack driver makes, over Node's `fetch`: the Keystone token in
 * X-Auth-Token, a pinned microversion in OpenStack-API-Version, a token the cloud refuses renewed
 * once, Retry-After honoured on 413/429, and every failure classified once.
 */
import { Keystone } from "./keystone.js";
import { honourRetryAfter, send, type RestResponse } from "../../../automation/actions/rest.js";
import { ActionError, type ErrorKind, type ObservedState } from "../../../automation/actions/types.js";

/** The fields of a Nova server the driver reads. */
export interface NovaServer {
  id: string;
  name?: string;
  status?: string;
  /** Set while Nova works on the server (powering-off, shelving, rebooting...); null when idle. */
  "OS-EXT-STS:task_state"?: string | null;
  /** Why the server is in ERROR, when Nova knows. */
  fault?: { message?: string; code?: number; details?: string };
}

export interface NovaApiOptions {
  /** Keystone session; default: OS_CLOUD / OS_* credentials. */
  keystone?: Keystone;
  /**
   * Compute microversion sent with every call; default 2.45, the first where createImage
   * returns the image id in its body (Pike, 2017: clouds older than that take "2.1").
   */
  microversion?: string;
  /** Longest Retry-After honoured before a throttle is returned to the batch, in ms; default 30 000. */
  maxRetryAfterMs?: number;
}

export type ServerAction =
  | { "os-start": null }
  | { "os-stop": null }
  | { reboot: { type: "SOFT" | "HARD" } }
  | { shelve: null }
  | { unshelve: null }
  | { resume: null }
  | { unpause: null }
  | { createImage: { name: string; metadata: Record<string, string> } };

export class NovaApi {
  readonly keystone: Keystone;
  private readonly microversion: string;
  private readonly maxRetryAfterMs: number;

  constructor(opts: NovaApiOptions = {}) {
    this.keystone = opts.keystone ?? new Keystone(undefined, opts);
    this.microversion = opts.microversion ?? "2.45";
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 30_000;
  }

  /** One call on the compute endpoint of `region`; 2xx answers are returned, the rest thrown classified. */
  async call(
    method: "GET" | "POST" | "DELETE",
    path: string,
    region: string | undefined,
    what: string,
    extra: { body?: unknown; from?: ObservedState } = {},
  ): Promise<RestResponse> {
    const states = extra.from ? { from: extra.from } : {};
    for (let renewed = false; ; renewed = true) {
      const { token, computeUrl } = await this.keystone.session(region);
      const headers = { "x-auth-token": token, "openstack-api-version": `compute ${this.microversion}` };
      const res = await send({ method, url: `${computeUrl}${path}`, headers, body: extra.body }, `Nova at ${new URL(computeUrl).host}`, states);
      if (res.status >= 200 && res.status < 300) return res;
      // A token revoked or expired early: authenticate again, once.
      if (res.status === 401 && !renewed) {
        this.keystone.invalidate(token);
        continue;
      }
      const err = classifyNovaError(res.status, res.body, what, states);
      if (err.kind === "throttled") await honourRetryAfter(res.headers, this.maxRetryAfterMs);
      throw err;
    }
  }

  /** The server, or undefined when Nova no longer has it. */
  async server(id: string, region: string | undefined, what: string): Promise<NovaServer | undefined> {
    try {
      return ((await this.call("GET", `/servers/${encodeURIComponent(id)}`, region, what)).body as { server: NovaServer }).server;
    } catch (err) {
      if (err instanceof ActionError && err.kind === "not-found") return undefined;
      throw err;
    }
  }

  /** The id of the one server with exactly this name (Nova's name filter is a regular expression). */
  async findByName(name: string, region: string | undefined): Promise<string | undefined> {
    const pattern = `^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;
    const res = await this.call("GET", `/servers?name=${encodeURIComponent(pattern)}`, region, `server ${name}`);
    const found = ((res.body as { servers?: { id: string; name?: string }[] }).servers ?? []).filter((s) => s.name === name);
    if (found.length > 1) throw new ActionError("other", `${found.length} servers are named ${name}: give the machine's server id`);
    return found[0]?.id;
  }

  /** POST /servers/{id}/action; createImage's answer carries the image id. */
  action(id: string, region: string | undefined, body: ServerAction, what: string, from: ObservedState): Promise<RestResponse> {
    return this.call("POST", `/servers/${encodeURIComponent(id)}/action`, region, what, { body, from });
  }

  delete(id: string, region: string | undefined, what: string, from: ObservedState): Promise<RestResponse> {
    return this.call("DELETE", `/servers/${encodeURIComponent(id)}`, region, what, { from });
  }
}

/** The image id of a createImage answer: the body from microversion 2.45, else the Location header. */
export function imageIdOf(res: RestResponse): string | undefined {
  const fromBody = (res.body as { image_id?: string } | undefined)?.image_id;
  if (fromBody) return fromBody;
  const location = res.headers.get("location");
  return location ? location.replace(/\/+$/, "").split("/").pop() : undefined;
}

/** Nova's error message: its body is `{ "<kind>": { "code": n, "message": "..." } }`. */
function novaMessage(body: unknown, status: number): string {
  if (body && typeof body === "object") {
    for (const v of Object.values(body)) {
      const m = (v as { message?: unknown } | null)?.message;
      if (typeof m === "string") return m.replace(/\s+/g, " ").trim();
    }
  }
  return `HTTP ${status}`;
}

/** A failed Nova answer as an ActionError. */
export function classifyNovaError(status: number, body: unknown, what: string, states: { from?: ObservedState } = {}): ActionError {
  const msg = novaMessage(body, status);
  const fail = (kind: ErrorKind, text: string) => new ActionError(kind, text, states);
  // 413 is Nova's historical rate-limit answer (overLimit), 429 the current one.
  if (status === 429 || status === 413) return fail("throttled", `${what}: Nova is throttling requests (${status}: ${msg})`);
  if (status === 404) return new ActionError("not-found", `${what} does not exist (deleted outside formations?)`, { from: "terminated", to: "terminated" });
  if (status === 409) return fail("invalid-state", `${what}: ${msg}`);
  if (status === 401) return fail("other", `${what}: the token was refused (${msg}): check the credentials`);
  if (status === 403) return fail("other", `${what}: the cloud's policy forbids it (${msg})`);
  if (status === 406) return fail("other", `${what}: this Nova does not accept the compute microversion asked (${msg}): set the driver's microversion lower`);
  if (status >= 500) return fail("transient", `${what}: Nova answered ${status} (${msg})`);
  return fail("other", `${what}: ${msg}`);
}
