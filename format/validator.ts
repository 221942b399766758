import { createRequire } from "node:module";
import type { ErrorObject, Options, ValidateFunction } from "ajv";
import type { Ajv2020 } from "ajv/dist/2020.js";
import schema from "../schemas/formation.schema.json" with { type: "json" };

/**
 * The formation validator, from the one JSON Schema. `npm run build` compiles it once with Ajv
 * into standalone code (dist/format/validator.standalone.cjs, see scripts/gen-validator.mjs),
 * which loads in a few milliseconds instead of loading and running Ajv's compiler at every start.
 * Without a build (tests running the sources) the same options compile it at first use.
 *
 * `errorMessage` and `patternErrorMessage` are the annotation keywords VS Code's YAML and JSON
 * language servers already understand, so editors and the CLI show the same words.
 */
export const AJV_OPTIONS: Options = {
  strict: true,
  strictTypes: false, // `if`/`then` branches name properties without repeating `type: object`
  strictRequired: false, // `not: {required}` forbids keys on purpose; `then: {required}` names keys defined above
  allErrors: true, // every problem at once
  useDefaults: true, // defaults come from the schema: the one source of truth
  verbose: true, // errors carry their parent schema, to find errorMessage and allowed keys
};

const require = createRequire(import.meta.url);

/** The one Ajv instance with our keywords; used at build time and as the fallback. */
export function createFormationAjv(options: Options = {}): Ajv2020 {
  // Loaded on demand: a built CLI never needs Ajv's compiler.
  const Ctor = (require("ajv/dist/2020.js") as { Ajv2020: typeof Ajv2020 }).Ajv2020;
  const ajv = new Ctor({ ...AJV_OPTIONS, ...options });
  ajv.addKeyword({ keyword: "errorMessage", schemaType: "string" });
  ajv.addKeyword({ keyword: "patternErrorMessage", schemaType: "string" });
  return ajv;
}

let validator: ValidateFunction | undefined;

/** Where the validator came from: the precompiled build, or compiled at first use. */
export let validatorOrigin: "standalone" | "compiled" | undefined;

export function formationValidator(): ValidateFunction {
  if (validator) return validator;
  try {
    validator = require("./validator.standalone.cjs") as ValidateFunction;
    validatorOrigin = "standalone";
  } catch {
    validator = createFormationAjv().compile(schema);
    validatorOrigin = "compiled";
  }
  return validator;
}

export type { ErrorObject };
export { schema as formationSchema };
