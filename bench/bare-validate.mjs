// The baseline for the validate bench: the least a script can do to validate formation files.
// Reads each *.yaml in the given directories (or the given files), parses it with `yaml` and validates
// it with ajv 2020 against the same schema, compiled once with the same options as format/validator.ts
// (so both sides do the same validation work). No source map, no located messages, no rules.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { Ajv2020 } from "ajv/dist/2020.js";

const schema = JSON.parse(readFileSync(new URL("../schemas/formation.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true, useDefaults: true, verbose: true });
ajv.addKeyword({ keyword: "errorMessage", schemaType: "string" });
ajv.addKeyword({ keyword: "patternErrorMessage", schemaType: "string" });
const validate = ajv.compile(schema);

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
    console.log(`${file}: ${ajv.errorsText(validate.errors)}`);
  }
}
console.error(`${files.length - invalid} of ${files.length} valid`);
process.exitCode = invalid ? 1 : 0;
