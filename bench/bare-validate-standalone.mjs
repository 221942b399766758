// The strictest baseline of the validate bench: bare-validate.mjs with the schema's precompiled
// standalone validator (dist/format/validator.standalone.cjs, what `npm run build` generates and
// the CLI loads) instead of compiling the schema with ajv at start. Nothing else: no source map,
// no located messages, no rules.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parse } from "yaml";

const validate = createRequire(import.meta.url)("../dist/format/validator.standalone.cjs");

const files = process.argv.slice(2).flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => join(p, f))
    : [p],
);
let invalid = 0;
for (const file of files) {
  if (!validate(parse(readFileSync(file, "utf8")))) {
    invalid++;
    console.log(`${file}: ${JSON.stringify(validate.errors?.[0])}`);
  }
}
console.error(`${files.length - invalid} of ${files.length} valid`);
process.exitCode = invalid ? 1 : 0;
