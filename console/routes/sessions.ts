/**
 * The Sessions view and one session's Machines: reads through `sessions.list` and
 * `sessions.show` (the same answers as `formations sessions` and `show --json`), a session read
 * again from the engine (`refresh`), and Delete of a whole session (`destroy`), confirmed.
 */
import type { Hono } from "hono";
import pLimit from "p-limit";
import { StackNotFoundError } from "../../automation/session/errors.js";
import type { SessionDetails } from "../../automation/session/show.js";
import { body, failure, json, messageOf, unconfirmed, type ConsoleContext } from "../context.js";
import { sessionPage, sessionRow, type SessionRow } from "../views.js";

/** Every session matching `labels`, each with its states and cost (`show`), four reads at once. */
export async function sessionRows(
  ctx: ConsoleContext,
  labels: readonly string[],
): Promise<{ rows: SessionRow[]; unreadable: { session: string; error: string }[] }> {
  const listed = await ctx.sessions.list({ labels });
  const limit = pLimit(4);
  const read = await Promise.all(
    listed.map((s) =>
      limit(() =>
        ctx.sessions.show(s.session).then(
          (d): { d: SessionDetails } => ({ d }),
          (err: unknown) => ({ session: s.session, error: messageOf(err).split("\n")[0]! }),
        ),
      ),
    ),
  );
  const now = ctx.now();
  return {
    rows: read.flatMap((r) => ("d" in r ? [sessionRow(r.d, now)] : [])),
    unreadable: read.flatMap((r) => ("error" in r ? [r] : [])),
  };
}

/** One session's Machines view, stamped with when the read began. */
async function showPage(ctx: ConsoleContext, session: string) {
  const started = ctx.now();
  return sessionPage(await ctx.sessions.show(session), ctx.now(), started);
}

/** The fresh view of one session for the live hub: `gone` once it was destroyed. */
export async function readPage(ctx: ConsoleContext, session: string) {
  const at = ctx.now().toISOString();
  try {
    return await showPage(ctx, session);
  } catch (err) {
    if (err instanceof StackNotFoundError) return { gone: true as const, at };
    return { error: messageOf(err).split("\n")[0]! };
  }
}

export function sessionRoutes(app: Hono, ctx: ConsoleContext): void {
  app.get("/api/config", (c) => json(c, { labels: ctx.labels, dir: ctx.dir, actor: ctx.actor }));

  app.get("/api/sessions", async (c) => {
    try {
      return json(c, { ...(await sessionRows(ctx, c.req.queries("label") ?? [])), at: ctx.now().toISOString() });
    } catch (err) {
      return failure(c, err);
    }
  });

  app.get("/api/sessions/:session", async (c) => {
    try {
      return json(c, await showPage(ctx, c.req.param("session")));
    } catch (err) {
      return failure(c, err);
    }
  });

  app.get("/api/tasks", (c) => json(c, { tasks: ctx.hub.list() }));

  // Reads the clouds again: the engine's refresh records machines changed outside formations.
  app.post("/api/sessions/:session/refresh", async (c) => {
    const session = c.req.param("session");
    return json(
      c,
      ctx.hub.run(`refresh ${session}`, session, () => ctx.sessions.refresh(session)),
      202,
    );
  });

  app.post("/api/sessions/:session/destroy", async (c) => {
    const session = c.req.param("session");
    const b = await body(c);
    if (!b) return json(c, { error: "a JSON object is expected" }, 400);
    let d: SessionDetails;
    try {
      d = await ctx.sessions.show(session);
    } catch (err) {
      return failure(c, err);
    }
    const live = d.machines.filter((m) => m.state !== "terminated" && m.state !== "pending").map((m) => m.name);
    const ask = unconfirmed(
      c,
      b,
      `Delete session ${session} (${d.kind} on ${d.provider}): destroys every resource of it${live.length ? `, including ${live.join(", ")}` : ""}. Its snapshots are kept.`,
    );
    if (ask) return ask;
    return json(
      c,
      ctx.hub.run(`delete session ${session}`, session, () => ctx.sessions.destroy(session)),
      202,
    );
  });
}
