/**
 * What the REST drivers (GCP, OpenStack) share: one JSON call over Node's own `fetch` with network
 * failures classified once, the server's Retry-After honoured before a throttle is handed to the
 * batch's backoff, and a bounded wait for a state. No SDK, nothing loaded until a call is made.
 */
import { ActionError, type ObservedState } from "./types.js";

/** What a call answered. `body` is the parsed JSON, or undefined when the answer was empty or not JSON. */
export interface RestResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** A request: method, absolute URL, headers, and a JSON body when there is one. */
export interface RestRequest {
  method: "GET" | "POST" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Socket errors that mean nobody is answering there (DNS, refused, no route). */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * Sends one request. Never throws for an HTTP status (the caller classifies those with the
 * provider's own error shape); throws an {@link ActionError} when there was no answer at all.
 * `service` names the API in messages, never a token or a header.
 */
export async function send(req: RestRequest, service: string, states: { from?: ObservedState } = {}): Promise<RestResponse> {
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: req.method,
      headers: { accept: "application/json", ...(req.body !== undefined ? { "content-type": "application/json" } : {}), ...req.headers },
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
    });
  } catch (err) {
    throw networkError(err, service, states);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined; // an HTML error page from a proxy: the status says enough
  }
  return { status: res.status, headers: res.headers, body };
}

/** A fetch failure as an ActionError: unreachable when nobody answered, transient when the connection broke. */
export function networkError(err: unknown, service: string, states: { from?: ObservedState } = {}): ActionError {
  if (err instanceof ActionError) return err;
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? (err as { code?: string } | undefined)?.code;
  const detail = code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  if (code && UNREACHABLE.has(code)) {
    return new ActionError("unreachable", `${service} is not answering (${detail}): check the network, proxy and endpoint`, states, { cause: err });
  }
  // A reset or a closed socket halfway through: the next attempt usually gets through.
  return new ActionError("transient", `connection to ${service} broke (${detail})`, states, { cause: err });
}

/** Retry-After in ms (seconds or an HTTP date), or undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const raw = headers.get("retry-after")?.trim();
  if (!raw) return undefined;
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Waits what the server asked (capped) before the throttle goes back to the batch, whose own
 * jittered backoff then follows: the server's hint is respected without a second retry loop.
 */
export async function honourRetryAfter(headers: Headers, capMs: number): Promise<number | undefined> {
  const ms = retryAfterMs(headers);
  if (ms !== undefined && ms > 0) await sleep(Math.min(ms, capMs));
  return ms;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Bounded waiting: how long, and how often to look. */
export interface WaitOptions {
  /** Give up waiting at this time (ms since the epoch). */
  deadline: number;
  /** Between two reads, in ms. */
  pollMs: number;
}

/**
 * Reads until `done` says yes or the deadline passes; returns the last value read and whether
 * it was reached. Read failures propagate: a wait never hides an error.
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, wait: WaitOptions): Promise<{ value: T; reached: boolean }> {
  for (;;) {
    const value = await read();
    if (done(value)) return { value, reached: true };
    if (Date.now() + wait.pollMs > wait.deadline) return { value, reached: false };
    await sleep(wait.pollMs);
  }
}

/** A user-visible snapshot name stamp: UTC yyyymmddhhmmss. */
export function stamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}
