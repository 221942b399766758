/**
 * The library API (formation-spec.md, "Library API"). Importing it loads neither Pulumi nor a
 * cloud SDK: `compileFormation` imports them when called.
 */
import type { Formation } from "./format/types.js";
import type { PlanOptions } from "./plan/index.js";
import type { FormationComponent } from "./components/index.js";

export { loadFormation, loadFormationText, validateFormation, validateText, FormationError, type ValidationResult } from "./format/load.js";
export type { Diagnostic } from "./format/diagnostics.js";
export type * from "./format/types.js";
export { planSession, type PlanOptions } from "./plan/index.js";
export type * from "./plan/types.js";

/** Plans and emits a formation as Pulumi resources; call inside a Pulumi program. */
export async function compileFormation(formation: Formation, opts: PlanOptions = {}): Promise<FormationComponent> {
  const { compileFormation: compile } = await import("./components/index.js");
  return compile(formation, opts);
}

/** Sessions on the Automation API (loads Pulumi's Automation API only when an operation runs). */
export * from "./automation/index.js";
/** Progress events as the CLI prints them (`--json` lines, plain lines). */
export { jsonLine, plainLine } from "./cli/render.js";
/** Idle verdicts of docker sessions, read through the engine (a `VerdictSource` for `withVerdicts`/`enforce`). */
export { dockerVerdictSource } from "./clouds/docker/verdicts.js";
/** PuTTY's and plink's command lines for a machine (`formations connect --putty`), from `connectMachines` of a session's details. */
export { puttyCommands, type PuttyCommands } from "./connect/putty.js";
export { connectMachines } from "./connect/session.js";
