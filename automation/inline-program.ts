/**
 * The session's Pulumi program: a closure over plain data (the loaded formation, the session
 * name, the desired power states and the session record), as the Automation API examples do.
 * Pulumi and the cloud SDK are imported only when the engine runs it, never when it is built.
 */
import type { Formation } from "../format/types.js";
import type { PowerState } from "../plan/types.js";
import type { EngineProgram } from "./engine.js";
import { OUTPUT_RECORD, OUTPUT_TEXT, recordOutput, type SessionRecord } from "./record.js";

export interface ProgramInput {
  formation: Formation;
  session: string;
  desired: Readonly<Record<string, PowerState>>;
  /** Mirrored into the root stack's outputs so the backend's state holds it (see record.ts). */
  record: SessionRecord;
  hourlyUsd: number;
}

/** The outputs every session exports: the component's (session, formation, kind, provider, machines, hourlyUsd) and the record. */
export function sessionProgram(input: ProgramInput): EngineProgram {
  return async () => {
    const [pulumi, { compileFormation }] = await Promise.all([import("@pulumi/pulumi"), import("../components/index.js")]);
    const f = input.formation;
    const component = await compileFormation(f, { session: input.session, desired: input.desired });
    return {
      session: input.session,
      formation: f.metadata.name,
      kind: f.kind,
      provider: f.cloud.provider,
      machines: component.machines,
      hourlyUsd: input.hourlyUsd,
      [OUTPUT_TEXT]: pulumi.secret(input.record.formation),
      [OUTPUT_RECORD]: recordOutput(input.record),
    };
  };
}
