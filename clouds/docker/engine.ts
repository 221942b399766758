/**
 * Reaching a Docker engine and making sense of its failures: the engine URL (the formation's
 * `cloud.host` or DOCKER_HOST) as dockerode options, and every error the engine or the socket
 * gives classified once, as a one-line {@link ActionError}.
 */
import type { DockerOptions } from "dockerode";
import { ActionError, type ErrorKind, type ObservedState } from "../../automation/actions/types.js";

/** Where the engine is, for messages: the formation's host, else DOCKER_HOST, else Docker's default socket. */
export function engineUrl(host?: string): string {
  return host ?? process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
}

/**
 * dockerode options for an engine URL (unix://, npipe://, tcp://, http://, https://, ssh://).
 * Undefined means "let docker-modem read the environment" (DOCKER_HOST, DOCKER_TLS_VERIFY,
 * DOCKER_CERT_PATH), which is what the docker CLI does too.
 */
export function dockerOptions(host?: string): DockerOptions | undefined {
  if (host === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new ActionError("other", `Docker host '${host}' is not a URL: use unix:///path/docker.sock, tcp://host:2375 or ssh://user@host`);
  }
  switch (url.protocol) {
    case "unix:":
    case "npipe:":
      return { socketPath: decodeURIComponent(url.pathname) };
    case "tcp:":
    case "http:":
      return { protocol: "http", host: url.hostname, port: Number(url.port || 2375) };
    case "https:":
      return { protocol: "https", host: url.hostname, port: Number(url.port || 2376) };
    case "ssh:":
      return { protocol: "ssh", host: url.hostname, port: Number(url.port || 22), ...(url.username ? { username: decodeURIComponent(url.username) } : {}) };
    default:
      throw new ActionError("other", `Docker host '${host}' has an unsupported scheme '${url.protocol}': use unix://, tcp://, https:// or ssh://`);
  }
}

/** Socket errors that mean "nobody is answering there". */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
/** Socket errors that mean "the connection broke halfway": worth another try. */
const TRANSIENT = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ESOCKETTIMEDOUT"]);

interface EngineError {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
  message?: string;
}

/** The engine's own message (its JSON body) when it sent one, on one line. */
function engineMessage(e: EngineError): string {
  const raw = (e.json && typeof e.json === "object" && e.json.message) || e.message || String(e);
  return raw
    .replace(/\s+/g, " ")
    .replace(/\(HTTP code \d+\)\s*/, "")
    .trim();
}

/**
 * Classifies whatever the engine call threw. `what` names the container for messages; `from` is
 * the state read before the call. ActionErrors pass through unchanged.
 */
export function classifyDockerError(err: unknown, ctx: { host?: string; what: string; from?: ObservedState; to?: ObservedState }): ActionError {
  if (err instanceof ActionError) return err;
  const e = (typeof err === "object" && err !== null ? err : { message: String(err) }) as EngineError;
  const states = { from: ctx.from ?? "unknown", to: ctx.to ?? ctx.from ?? "unknown" } as const;
  const fail = (kind: ErrorKind, message: string) => new ActionError(kind, message, states, { cause: err });
  if (e.code && UNREACHABLE.has(e.code)) {
    const why = e.code === "EACCES" ? "permission denied on its socket" : `${e.code}`;
    return fail(
      "unreachable",
      `Docker engine at ${engineUrl(ctx.host)} is not answering (${why}): start it, or point DOCKER_HOST / cloud.host at a running engine`,
    );
  }
  if (e.code && TRANSIENT.has(e.code)) return fail("transient", `connection to the Docker engine broke (${e.code}) while acting on ${ctx.what}`);
  const msg = engineMessage(e);
  switch (e.statusCode) {
    case 404:
      return new ActionError(
        "not-found",
        `container ${ctx.what} does not exist (removed outside formations?)`,
        { from: "terminated", to: "terminated" },
        { cause: err },
      );
    case 429:
      return fail("throttled", `Docker engine is throttling requests: ${msg}`);
    case 409:
      // Conflicts that settle by themselves (a restart or removal under way) are worth a retry.
      return fail(/restarting|in progress/i.test(msg) ? "transient" : "invalid-state", `${ctx.what}: ${msg}`);
    case 502:
    case 503:
    case 504:
      return fail("transient", `Docker engine is temporarily unavailable (${e.statusCode}): ${msg}`);
  }
  if (/socket hang up/i.test(msg)) return fail("transient", `connection to the Docker engine broke (${msg}) while acting on ${ctx.what}`);
  return fail("other", `${ctx.what}: ${msg}`);
}
