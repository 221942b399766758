/**
 * The console's security by default, checked on every request before any route runs:
 *
 * - a random token (as Jupyter's) in the URL the console prints, then sent by the page as
 *   `Authorization: Bearer` (or `?token=` where a browser cannot set a header: the event stream,
 *   a download, the page's own scripts); compared in constant time;
 * - `Host` must name this server (127.0.0.1 / localhost / [::1] or the bound host, with its port):
 *   a DNS-rebinding page whose name resolves to 127.0.0.1 sends its own name and is refused;
 * - `Origin`, when the browser sends one, and `Sec-Fetch-Site` must say this same origin: another
 *   site's page cannot read or act even with a guessed token; a POST must carry a matching Origin
 *   and a JSON body, which no cross-site HTML form can send without a CORS preflight we never grant;
 * - strict response headers: a CSP allowing this origin only (no CDN, no inline script), no
 *   Referer (the token in the URL never leaves), no framing, no MIME sniffing, no caching.
 */
import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";

export interface SecurityOptions {
  /** The token every request must carry. */
  token: string;
  /** `host:port` values the Host header may take. */
  hosts: readonly string[];
}

/** Host names a local console answers to, with the port it listens on. */
export function allowedHosts(bound: string, port: number): string[] {
  const names = new Set(["127.0.0.1", "localhost", "[::1]", bound.includes(":") && !bound.startsWith("[") ? `[${bound}]` : bound]);
  return [...names].map((h) => `${h}:${port}`);
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token a request carries: the bearer header, else the `token` query parameter. */
export function tokenOf(authorization: string | undefined, query: string | undefined): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
  return bearer?.[1] ?? query;
}

export const HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

/** Why a request is refused (status and one line), or undefined when it may proceed. */
export function refusal(
  req: { method: string; host?: string; origin?: string; fetchSite?: string; contentType?: string; token?: string },
  opts: SecurityOptions,
): { status: 400 | 401 | 403 | 415; message: string } | undefined {
  const host = (req.host ?? "").toLowerCase();
  if (!opts.hosts.includes(host))
    return { status: 403, message: `refused: Host '${req.host ?? ""}' is not this console (DNS rebinding protection); open the URL the console printed` };
  const origins = opts.hosts.map((h) => `http://${h}`);
  if (req.origin !== undefined && !origins.includes(req.origin.toLowerCase()))
    return { status: 403, message: `refused: a request from another origin (${req.origin})` };
  if (req.fetchSite !== undefined && req.fetchSite !== "same-origin" && req.fetchSite !== "none")
    return { status: 403, message: `refused: a ${req.fetchSite} request` };
  if (!sameToken(req.token, opts.token)) return { status: 401, message: "refused: this console needs the token from the URL it printed (formations console)" };
  if (req.method !== "GET" && req.method !== "HEAD") {
    if (req.origin === undefined) return { status: 403, message: "refused: an action must come from the console's page (no Origin header)" };
    if (!/^application\/json\b/i.test(req.contentType ?? "")) return { status: 415, message: "refused: actions take a JSON body" };
  }
  return undefined;
}

/** The middleware: refuses before any route runs, and sets the strict headers on every answer. */
export function security(opts: SecurityOptions): MiddlewareHandler {
  return async (c, next) => {
    const why = refusal(
      {
        method: c.req.method,
        host: c.req.header("host"),
        origin: c.req.header("origin"),
        fetchSite: c.req.header("sec-fetch-site"),
        contentType: c.req.header("content-type"),
        token: tokenOf(c.req.header("authorization"), c.req.query("token")),
      },
      opts,
    );
    if (why) {
      for (const [k, v] of Object.entries(HEADERS)) c.header(k, v);
      return c.json({ error: why.message }, why.status);
    }
    await next();
    for (const [k, v] of Object.entries(HEADERS)) c.res.headers.set(k, v);
  };
}
