/**
 * A scripted HTTP API for driver tests, on undici's MockAgent installed as the global dispatcher
 * (Node's own `fetch` honours it): every request is recorded (method, path with query, JSON
 * body, headers, fake-clock time) and answered from a per-route queue, whose last answer
 * repeats. A request no route expects is answered 599 and stays in the log, so the exact-request
 * assertions catch it.
 */
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher, type Dispatcher } from "undici";
import { vi } from "vitest";

export interface Recorded {
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, string>;
  /** Date.now() when the request was sent (the fake clock under fake timers). */
  at: number;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export class FakeApi {
  readonly log: Recorded[] = [];
  private readonly routes = new Map<string, Reply[]>();

  constructor(agent: MockAgent, origin: string) {
    agent
      .get(origin)
      .intercept({ path: () => true, method: () => true })
      .reply((o) => {
        const headers = Object.fromEntries(Object.entries((o.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), String(v)]));
        const body = typeof o.body === "string" && o.body ? JSON.parse(o.body) : undefined;
        this.log.push({ method: o.method, path: o.path, body, headers, at: Date.now() });
        const queue = this.routes.get(`${o.method} ${o.path}`);
        const r = queue ? (queue.length > 1 ? queue.shift()! : queue[0]!) : { status: 599, body: { error: { message: `no route for ${o.method} ${o.path}` } } };
        const data = r.body === undefined ? "" : JSON.stringify(r.body);
        return { statusCode: r.status, data, responseOptions: { headers: { "content-type": "application/json", ...r.headers } } };
      })
      .persist();
  }

  /** Answers `method path` with these replies in order; the last one repeats. */
  on(method: string, path: string, ...replies: Reply[]): this {
    this.routes.set(`${method} ${path}`, replies);
    return this;
  }

  /** `METHOD path` of every request, in order. */
  calls(): string[] {
    return this.log.map((r) => `${r.method} ${r.path}`);
  }

  /** Requests that change something: everything but reads and waits on operations. */
  mutating(): string[] {
    return this.calls().filter((c) => !c.startsWith("GET ") && !/\/operations\/[^/]+\/wait$/.test(c));
  }
}

/** Installs a MockAgent that refuses real network access; returns it and a restore function. */
export function mockHttp(): { agent: MockAgent; restore: () => Promise<void> } {
  const previous: Dispatcher = getGlobalDispatcher();
  const agent = new MockAgent();
  agent.disableNetConnect();
  setGlobalDispatcher(agent);
  return {
    agent,
    restore: async () => {
      await agent.close();
      setGlobalDispatcher(previous);
    },
  };
}

/**
 * Runs `p` to its end under fake timers (only setTimeout and Date are faked): real I/O gets a turn,
 * then the fake clock moves on, until `p` settles.
 */
export async function drive<T>(p: Promise<T>, stepMs = 50): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await new Promise<void>((r) => setImmediate(r));
    await vi.advanceTimersByTimeAsync(stepMs);
  }
  return p;
}

/** The timers batch tests fake: the clock and setTimeout, never the I/O that fetch needs. */
export const FAKE_TIMERS: NonNullable<Parameters<typeof vi.useFakeTimers>[0]> = { toFake: ["setTimeout", "clearTimeout", "Date"] };
