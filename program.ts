/**
 * The program of the root Pulumi.yaml: compiles the formation named by the stack's config key
 * `formations:file`, so `pulumi config set formations:file formations/aws/hpc.yaml && pulumi up`
 * works with no wrapper. The session is named after the stack when the stack name is a valid
 * session name, else after the formation.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadFormation } from "./format/load.js";
import { UserError } from "./user-error.js";
import { SESSION_NAME } from "./plan/index.js";
import type { PowerState } from "./plan/types.js";
import { compileFormation } from "./components/index.js";

export default async function program(): Promise<Record<string, unknown>> {
  const config = new pulumi.Config("formations");
  const file = config.require("file");
  const desired = config.getObject<Record<string, PowerState>>("desired") ?? {};
  const deleted = Object.keys(config.getObject<Record<string, unknown>>("deleted") ?? {});
  let formation;
  try {
    formation = await loadFormation(file);
  } catch (err) {
    // A user mistake: print the located errors without a stack trace.
    if (err instanceof UserError) throw new pulumi.RunError(err.message);
    throw err;
  }
  const stack = pulumi.getStack();
  const session = SESSION_NAME.test(stack) ? stack : formation.metadata.name;
  const component = await compileFormation(formation, { session, desired, deleted });
  return { session, formation: formation.metadata.name, kind: formation.kind, provider: formation.cloud.provider, machines: component.machines };
}
