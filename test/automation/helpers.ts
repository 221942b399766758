/** Shared set-up for the Sessions tests: a temporary home, formation files, a FakeEngine (test double), captured events. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SessionEvent } from "../../automation/session/events.js";
import { Sessions, type SessionsOptions } from "../../automation/sessions.js";
import { FakeEngine } from "./fake-engine.js";

export function poolYaml(opts: { name?: string; count?: number; provider?: "docker" | "aws"; labels?: Record<string, string> } = {}): string {
  const labels = Object.entries(opts.labels ?? { team: "bio", course: "gen101" })
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
  const cloud = opts.provider === "aws" ? "provider: aws\n  region: eu-west-1" : "provider: docker";
  const image = opts.provider === "aws" ? "ubuntu-22.04" : "formations-test/busybox:latest";
  return `apiVersion: formations/v1\nkind: Pool\nmetadata:\n  name: ${opts.name ?? "lab"}\n  labels: { ${labels} }\ncloud:\n  ${cloud}\nspec:\n  count: ${opts.count ?? 3}\n  machine:\n    image: ${image}\n`;
}

export interface Harness {
  home: string;
  engine: FakeEngine;
  sessions: Sessions;
  events: SessionEvent[];
  /** Writes a formation file in the home and returns its path. */
  file(name: string, text: string): Promise<string>;
  /** A second Sessions on the same engine, as another process or machine would be (its own clock and actor). */
  another(opts?: Partial<SessionsOptions>): Sessions;
  cleanup(): Promise<void>;
}

/** A clock that moves one minute per reading, so journal times are distinct and ordered. */
export function steppingClock(start = Date.parse("2026-01-01T08:00:00.000Z")): () => Date {
  let t = start;
  return () => new Date((t += 60_000));
}

export async function harness(opts: Partial<SessionsOptions> = {}): Promise<Harness> {
  const home = await mkdtemp(join(tmpdir(), "formations-sessions-"));
  const engine = new FakeEngine();
  const events: SessionEvent[] = [];
  const base: SessionsOptions = {
    home,
    env: { FORMATIONS_HOME: home, PULUMI_CONFIG_PASSPHRASE: "test-passphrase" },
    engine,
    actor: "tester@host",
    now: steppingClock(),
    onEvent: (e) => events.push(e),
  };
  return {
    home,
    engine,
    events,
    sessions: new Sessions({ ...base, ...opts }),
    file: async (name, text) => {
      const p = join(home, name);
      await writeFile(p, text);
      return p;
    },
    another: (more = {}) => new Sessions({ ...base, actor: "other@ci", onEvent: undefined, ...more }),
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}
