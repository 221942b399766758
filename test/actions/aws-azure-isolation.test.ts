/**
 * The AWS and Azure drivers load their SDKs only when first used: importing the driver modules
 * and constructing drivers loads no @aws-sdk or @azure package; the first AWS call loads the EC2
 * client and nothing of Azure; the first Azure call with a given credential loads the compute SDK
 * but not @azure/identity, which only a driver without a credential loads. Checked in a fresh
 * Node process (the vitest worker has loaded everything already): a loader hook records every
 * module Node resolves, the TypeScript sources running through the same hook.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(".");
const dir = mkdtempSync(join(tmpdir(), "formations-driver-isolation-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const typescript = pathToFileURL(createRequire(join(root, "package.json")).resolve("typescript")).href;
const seen = join(dir, "seen.txt");

/** Resolves .js imports of our sources to .ts, transpiles them, and logs every cloud SDK package resolved. */
const HOOKS = `
import { appendFileSync, existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import ts from ${JSON.stringify(typescript)};
const PKG = /\\/node_modules\\/(@aws-sdk\\/[^/]+|@azure\\/[^/]+)\\//;
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? "";
  if (specifier.startsWith(".") && specifier.endsWith(".js") && parent.startsWith("file:") && !parent.includes("/node_modules/")) {
    const url = new URL(specifier.slice(0, -3) + ".ts", parent);
    if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
  }
  const r = await next(specifier, context);
  const m = PKG.exec(r.url);
  if (m) appendFileSync(${JSON.stringify(seen)}, m[1] + "\\n");
  return r;
}
export async function load(url, context, next) {
  if (!url.endsWith(".ts")) return next(url, context);
  const source = await readFile(fileURLToPath(url), "utf8");
  const out = ts.transpileModule(source, { fileName: fileURLToPath(url), compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  return { format: "module", source: out.outputText, shortCircuit: true };
}
`;

/** Runs `script` in a fresh process; returns the cloud SDK packages resolved before and after the line `MARK()`. */
function loaded(script: string): { before: string[]; after: string[] } {
  writeFileSync(seen, "");
  writeFileSync(join(dir, "hooks.mjs"), HOOKS);
  writeFileSync(join(dir, "register.mjs"), `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});`);
  const mark = `const MARK = async () => { const { appendFileSync } = await import("node:fs"); appendFileSync(${JSON.stringify(seen)}, "--mark--\\n"); };`;
  writeFileSync(join(dir, "main.mjs"), `${mark}\n${script}`);
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(dir, "register.mjs")).href, join(dir, "main.mjs")], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  const lines = readFileSync(seen, "utf8").split("\n").filter(Boolean);
  const i = lines.indexOf("--mark--");
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return { before: uniq(i < 0 ? lines : lines.slice(0, i)), after: uniq(i < 0 ? [] : lines.slice(i + 1)) };
}

const src = (f: string) => JSON.stringify(pathToFileURL(join(root, "automation", "actions", f)).href);
const IMPORTS = `const { AwsDriver } = await import(${src("aws.ts")}); const { AzureDriver } = await import(${src("azure.ts")});`;
const CREDENTIAL = `{ getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 3600000 }) }`;

describe("cloud SDKs load on first use only", () => {
  it("importing both drivers and constructing them loads no SDK; the first AWS call loads only the EC2 client", () => {
    const { before, after } = loaded(`${IMPORTS}
new AwsDriver(); new AzureDriver();
await MARK();
await new AwsDriver({ region: "eu-west-1" }).api.load();`);
    expect(before).toEqual([]);
    expect(after).toContain("@aws-sdk/client-ec2");
    expect(after.filter((p) => p.startsWith("@azure/"))).toEqual([]);
  });

  it("the first Azure call loads the compute SDK; @azure/identity only without a given credential", () => {
    const given = loaded(`${IMPORTS}
await MARK();
await new AzureDriver({ credential: ${CREDENTIAL} }).arm.client("sub");`);
    expect(given.before).toEqual([]);
    expect(given.after).toContain("@azure/arm-compute");
    expect(given.after).not.toContain("@azure/identity");
    expect(given.after.filter((p) => p.startsWith("@aws-sdk/"))).toEqual([]);
    const fallback = loaded(`${IMPORTS}
await MARK();
await new AzureDriver().arm.client("sub");`);
    expect(fallback.after).toContain("@azure/identity");
  });
});
