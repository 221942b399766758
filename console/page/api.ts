/**
 * The page's only way to the server: the token from the page itself (the server wrote it in a
 * meta tag), JSON requests carrying it as a bearer header, the confirmation flow (a 409 answer
 * holds the exact words to confirm; the same request then goes again, confirmed), downloads and
 * the event stream with the token in their URL (a browser sets no header there).
 */
import type { Task } from "../live.js";

export const token = decodeURIComponent(document.querySelector<HTMLMetaElement>('meta[name="formations-token"]')?.content ?? "");

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function answer<T>(r: Response): Promise<T> {
  const b = (await r.json().catch(() => ({}))) as { error?: string };
  if (!r.ok) throw new ApiError(r.status, b.error ?? `${r.status} ${r.statusText}`);
  return b as T;
}

export async function get<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { headers: { Authorization: `Bearer ${token}` } }));
}

function post(path: string, body: unknown): Promise<Response> {
  return fetch(path, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

/** A request that is not an action (it starts no task and needs no confirmation): its JSON answer. */
export async function send<T>(path: string, body: unknown = {}): Promise<T> {
  return answer<T>(await post(path, body));
}

/** A URL the browser fetches itself (a download, the event stream): the token goes in the query. */
export function withToken(path: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

/** Asks the person; set by the confirmation dialog. */
let asker: (words: string) => Promise<boolean> = async () => false;
export function setAsker(f: (words: string) => Promise<boolean>): void {
  asker = f;
}

/**
 * Sends an action. A destructive one is answered 409 with the words to confirm: they are shown,
 * and only a yes sends it again, confirmed (with what the server named: the sessions of a batch).
 * Returns the started task, or undefined when the person said no.
 */
export async function act(path: string, body: Record<string, unknown>): Promise<Task | undefined> {
  let r = await post(path, body);
  if (r.status === 409) {
    const { confirm, ...named } = (await r.json()) as { confirm: string; [k: string]: unknown };
    if (!(await asker(confirm))) return undefined;
    r = await post(path, { ...body, ...named, confirmed: true });
  }
  return answer<Task>(r);
}

/** Live messages from the server (server-sent events), each passed to `on` with its type. */
export function listen(on: (type: string, data: unknown) => void, onState: (open: boolean) => void): EventSource {
  const source = new EventSource(withToken("/api/events"));
  for (const type of ["hello", "event", "session", "removed", "unreadable", "task"]) {
    source.addEventListener(type, (e) => on(type, JSON.parse((e as MessageEvent<string>).data)));
  }
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  return source;
}
