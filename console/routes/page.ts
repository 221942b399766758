/**
 * The page: one HTML document rendered here with the token in it (the page's requests carry it)
 * and the app built by `npm run build` (scripts/build-console.mjs bundles console/page with
 * esbuild into dist/console/page). Everything is served from this process: no CDN, no inline
 * script (the CSP forbids both), and only the two files the build makes can be fetched.
 */
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { ConsoleContext } from "../context.js";
import type { ConsoleMessage } from "../live.js";
import { withoutSecrets } from "../views.js";

const ASSETS = { "app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8" } as const;

/** The formations package's root, found from this module (source and dist sit at different depths). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find the formations package root from the console's module");
}

/** Where the build put the page. */
export function assetsDir(): string {
  return join(packageRoot(), "dist", "console", "page");
}

/** The page's assets, read once (a missing build is said at start, not on the first request). */
export async function loadAssets(dir = assetsDir()): Promise<Record<keyof typeof ASSETS, string>> {
  try {
    return { "app.js": await readFile(join(dir, "app.js"), "utf8"), "app.css": await readFile(join(dir, "app.css"), "utf8") };
  } catch {
    throw new Error(`the console's page is not built (${dir}): run 'npm run build'`);
  }
}

function html(token: string): string {
  const t = encodeURIComponent(token);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="formations-token" content="${t}">
<title>Formations console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css?token=${t}">
<script type="module" src="/assets/app.js?token=${t}"></script>
</head>
<body><div id="app"><p class="loading">Loading the console…</p></div></body>
</html>
`;
}

export function pageRoutes(app: Hono, ctx: ConsoleContext, token: string, assets: Record<keyof typeof ASSETS, string>): void {
  app.get("/", (c) => c.html(html(token)));

  app.get("/assets/:file", (c) => {
    const file = c.req.param("file") as keyof typeof ASSETS;
    if (!Object.hasOwn(ASSETS, file)) return c.json({ error: "not found" }, 404);
    c.header("Content-Type", ASSETS[file]);
    return c.body(assets[file]);
  });

  // Live updates: every message of the hub, as server-sent events, until the page goes or the console stops.
  app.get("/api/events", (c) =>
    streamSSE(c, async (stream) => {
      const queue: ConsoleMessage[] = [];
      let open = true;
      let wake: (() => void) | undefined;
      const stop = () => {
        open = false;
        wake?.();
      };
      const off = ctx.hub.subscribe((m) => {
        queue.push(m);
        wake?.();
      });
      const unregister = ctx.hub.onClose(stop);
      stream.onAbort(stop);
      try {
        await stream.writeSSE({ event: "hello", data: JSON.stringify({ tasks: withoutSecrets(ctx.hub.list()) }) });
        while (open) {
          if (!queue.length) await new Promise<void>((r) => (wake = r));
          wake = undefined;
          for (let m = queue.shift(); m && open; m = queue.shift()) await stream.writeSSE({ event: m.type, data: JSON.stringify(withoutSecrets(m)) });
        }
      } finally {
        off();
        unregister();
      }
    }),
  );
}
