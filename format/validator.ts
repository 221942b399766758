import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import schema from "../schemas/formation.schema.json" with { type: "json" };

/**
 * The one Ajv instance of the process, and the formation validator compiled once, on first use.
 * `errorMessage` and `patternErrorMessage` are the annotation keywords VS Code's YAML and JSON
 * language servers already understand, so editors and the CLI show the same words.
 */
let validator: ValidateFunction | undefined;

export function formationValidator(): ValidateFunction {
  if (validator) return validator;
  const ajv = new Ajv2020({
    strict: true,
    strictTypes: false, // `if`/`then` branches name properties without repeating `type: object`
    strictRequired: false, // `not: {required}` forbids keys on purpose; `then: {required}` names keys defined above
    allErrors: true, // every problem at once
    useDefaults: true, // defaults come from the schema: the one source of truth
    verbose: true, // errors carry their parent schema, to find errorMessage and allowed keys
  });
  ajv.addKeyword({ keyword: "errorMessage", schemaType: "string" });
  ajv.addKeyword({ keyword: "patternErrorMessage", schemaType: "string" });
  validator = ajv.compile(schema);
  return validator;
}

export type { ErrorObject };
export { schema as formationSchema };
