export { validateFormation, validateText, loadFormation, loadFormationText, FormationError, type ValidationResult } from "./load.js";
export { renderDiagnostic, toJsonError, type Diagnostic, type JsonError } from "./diagnostics.js";
export { formationSchema } from "./validator.js";
export * from "./types.js";
