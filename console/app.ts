/**
 * The console's HTTP application (Hono): the security checks first, on every request, then the
 * routes, each a thin layer over the library. Built without opening a port, so the route tests
 * call `app.request()` directly; `serve.ts` puts it on a socket.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ConsoleContext } from "./context.js";
import { actionRoutes } from "./routes/actions.js";
import { formationRoutes } from "./routes/formations.js";
import { imageRoutes } from "./routes/images.js";
import { pageRoutes } from "./routes/page.js";
import { sessionRoutes } from "./routes/sessions.js";
import { security } from "./security.js";

export interface AppOptions {
  token: string;
  /** `host:port` values the Host header may take. */
  hosts: readonly string[];
  /** The built page (loadAssets()). */
  assets: { "app.js": string; "app.css": string };
}

export function consoleApp(ctx: ConsoleContext, opts: AppOptions): Hono {
  const app = new Hono();
  app.use("*", security({ token: opts.token, hosts: opts.hosts }));
  // Actions take small JSON bodies; anything larger is refused before it is read.
  app.use("/api/*", bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: "refused: the request body is larger than 64 KiB" }, 413) }));
  pageRoutes(app, ctx, opts.token, opts.assets);
  sessionRoutes(app, ctx);
  actionRoutes(app, ctx);
  imageRoutes(app, ctx);
  formationRoutes(app, ctx);
  app.notFound((c) => c.json({ error: `no such page: ${c.req.method} ${c.req.path}` }, 404));
  app.onError((err, c) => c.json({ error: `internal error: ${err.message}` }, 500));
  return app;
}
