/**
 * What every route of the console shares: the one `Sessions` it acts through (the library: the
 * console has no other way to do anything), the live hub, the formations folder, and the small
 * helpers that turn the library's answers and errors into HTTP answers.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { SessionError, StackNotFoundError } from "../automation/session/errors.js";
import type { Sessions } from "../automation/sessions.js";
import type { Hub } from "./live.js";
import { withoutSecrets } from "./views.js";

/** The plan of a formation, as `formations plan --json` prints it (resource inputs left out: the page shows the tree). */
export interface PlanView {
  session: string;
  resources: { type: string; name: string; parent: string | null }[];
  cost: { hourlyUsd: number; lines: { item: string; count: number; hourlyUsd: number }[]; source: string };
  notes: string[];
}

export interface ConsoleContext {
  sessions: Sessions;
  hub: Hub;
  /** The folder formation files are picked from (absolute). */
  dir: string;
  /** The Sessions view's filter when the console starts (`--label`). */
  labels: string[];
  /** Who the journal names for actions taken here. */
  actor: string;
  /** Plans a formation file (the CLI's `plan --json`, in its own process: Pulumi's mock runtime is process-global). */
  plan: (file: string) => Promise<PlanView>;
  now: () => Date;
}

/** A JSON answer with any secret-looking field removed. */
export function json(c: Context, body: unknown, status: ContentfulStatusCode = 200): Response {
  return c.json(withoutSecrets(body) as object, status);
}

/** The HTTP status of a library error: unknown session 404, invalid input or usage 400, the cloud or engine 502. */
export function statusOf(err: unknown): ContentfulStatusCode {
  if (err instanceof StackNotFoundError) return 404;
  if (err instanceof SessionError) return err.exitCode === 3 ? 502 : 400;
  if (err instanceof Error && err.name === "FormationError") return 400;
  return 500;
}

/** One line for the page: the library's message (never a stack trace). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function failure(c: Context, err: unknown): Response {
  return json(c, { error: messageOf(err) }, statusOf(err));
}

/** The request's JSON body, or undefined when it is not a JSON object. */
export async function body(c: Context): Promise<Record<string, unknown> | undefined> {
  try {
    const b: unknown = await c.req.json();
    return b !== null && typeof b === "object" && !Array.isArray(b) ? (b as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The confirmation of a destructive action: unless the body says `confirmed: true`, answers 409
 * with the exact words to show the person, who then sends the same request confirmed.
 */
export function unconfirmed(c: Context, b: Record<string, unknown>, confirm: string, extra: Record<string, unknown> = {}): Response | undefined {
  return b.confirmed === true ? undefined : json(c, { confirm, ...extra }, 409);
}

export const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
