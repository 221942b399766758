// Builds the console's page (console/page) into dist/console/page: one ES module bundling the app
// with Preact, and the stylesheet, served by `formations console` from this process (no CDN).
// esbuild: one well-kept bundler, a single binary from the npm registry, builds in well under a second.
import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}dist/console/page`;
await mkdir(out, { recursive: true });
await build({
  entryPoints: [`${root}console/page/main.tsx`],
  outfile: `${out}/app.js`,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: true,
  sourcemap: false,
  legalComments: "linked",
  logLevel: "warning",
});
await copyFile(`${root}console/page/style.css`, `${out}/app.css`);
