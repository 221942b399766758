/**
 * Test layer 1: schema fixtures, with the exact errors expected.
 * The build's precompiled validator (dist/format/validator.standalone.cjs) must behave exactly as
 * Ajv compiling the schema at run time: same errors, same defaults, on every fixture.
 * `npm test` builds first, so the standalone file is current.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import type { ValidateFunction } from "ajv";
import { createFormationAjv, formationSchema } from "../../format/validator.js";

const require = createRequire(import.meta.url);
const standalone = require("../../dist/format/validator.standalone.cjs") as ValidateFunction;
const compiled = createFormationAjv().compile(formationSchema);

const files = ["valid", "invalid"].flatMap((d) =>
  readdirSync(join("test/fixtures", d))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => join("test/fixtures", d, f)),
);
const examples = readdirSync("formations", { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => join("formations", f));

function run(v: ValidateFunction, text: string) {
  let data: unknown;
  try {
    data = parse(text);
  } catch {
    return undefined; // not YAML the schema ever sees
  }
  const ok = v(data);
  return { ok, data, errors: (v.errors ?? []).map((e) => ({ path: e.instancePath, keyword: e.keyword, params: e.params, schemaPath: e.schemaPath })) };
}

describe("precompiled validator", () => {
  it("was built", () => {
    expect(typeof standalone).toBe("function");
  });

  it.each([...files, ...examples])("%s: same verdict, errors and defaults as run-time compilation", (file) => {
    const text = readFileSync(file, "utf8");
    expect(run(standalone, text)).toEqual(run(compiled, text));
  });
});
