// Records every module a Node process loads, for the test that `validate` never loads Pulumi or
// a cloud SDK. Use: node --import ./test/cli/trace-modules.mjs ... with FORMATIONS_TRACE=<file>.
// ESM imports are seen by a resolve hook (it runs on the loader thread, so it appends to the
// file itself); CommonJS modules are listed from require.cache when the process exits.
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const trace = process.env.FORMATIONS_TRACE;
if (!trace) throw new Error("FORMATIONS_TRACE must name the file to write the trace to");

const hook = `
import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(trace)}, "esm " + result.url + "\\n");
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url);

const require = createRequire(import.meta.url);
process.on("exit", () => {
  appendFileSync(
    trace,
    Object.keys(require.cache)
      .map((f) => `cjs ${f}\n`)
      .join(""),
  );
});
