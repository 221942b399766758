/**
 * Loading `@pulumi/pulumi` without its closure serialiser until something calls it.
 *
 * The SDK's `runtime/index.js` requires `closure/serializeClosure` (which loads TypeScript to parse
 * function text) and `closure/codePaths` (which loads `@npmcli/arborist`) as it loads: about two
 * thirds of the time `require("@pulumi/pulumi")` takes. Only dynamic providers and serialised
 * callbacks use them, and formations uses neither. This puts forwarding stand-ins for those two
 * modules into the require cache: every exported function loads the real module on its first call
 * and forwards to it, so behaviour is unchanged, only the loading is deferred.
 *
 * No `@pulumi/*` import here: call it before the first import of the SDK (it does nothing when the
 * SDK is already loaded, or not installed).
 */
import { createRequire, Module } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** The deferred modules and the functions each exports (as of @pulumi/pulumi 3.x). */
const DEFERRED: Record<string, readonly string[]> = {
  "runtime/closure/serializeClosure.js": ["serializeFunctionAsync", "serializeFunction"],
  "runtime/closure/codePaths.js": ["computeCodePaths"],
};

let installed = false;

/** Defers the SDK's closure serialiser (TypeScript) and code-path finder (arborist). Idempotent. */
export function deferClosureSerializer(): void {
  if (installed) return;
  installed = true;
  let root: string;
  try {
    root = dirname(require.resolve("@pulumi/pulumi/package.json"));
  } catch {
    return;
  }
  // Already loaded (by a caller that imported the SDK first): nothing left to defer.
  if (require.cache[join(root, "index.js")]) return;
  for (const [rel, names] of Object.entries(DEFERRED)) stub(join(root, rel), names);
}

function stub(file: string, names: readonly string[]): void {
  if (require.cache[file]) return;
  let real: Record<string, (...args: unknown[]) => unknown> | undefined;
  const load = () => {
    if (!real) {
      // Drop the stand-in so that this and every later require gets the real module.
      delete require.cache[file];
      real = require(file) as Record<string, (...args: unknown[]) => unknown>;
    }
    return real;
  };
  const exports: Record<string, unknown> = { __esModule: true };
  for (const name of names) exports[name] = (...args: unknown[]) => load()[name]!(...args);
  const mod = new Module(file);
  mod.filename = file;
  mod.loaded = true;
  mod.exports = exports;
  require.cache[file] = mod;
}
