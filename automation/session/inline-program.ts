/**
 * The session's Pulumi program: a closure over plain data (the session's plan, made once by the
 * caller, and the session record), as the Automation API examples do. Pulumi and the cloud SDK
 * are imported only when the engine runs it, never when it is built.
 */
import type { SessionPlan } from "../../plan/types.js";
import type { EngineProgram } from "./engine.js";
import { OUTPUT_RECORD, OUTPUT_TEXT, recordOutput, type SessionRecord } from "./session-record.js";

export interface ProgramInput {
  /** What to emit: the plan, with the desired power states of the record. */
  plan: SessionPlan;
  /** Mirrored into the root stack's outputs so the backend's state holds it (see session-record.ts). */
  record: SessionRecord;
}

/** A lab's gateway password, as a secret stack output (Sessions.gatewayPassword reads it back). */
export const OUTPUT_GATEWAY_PASSWORD = "gatewayPassword";

/**
 * The outputs every session exports: the component's (session, formation, kind, provider,
 * machines, hourlyUsd), the record, and a lab's gateway password (secret).
 */
export function sessionProgram(input: ProgramInput): EngineProgram {
  return async () => {
    const [pulumi, { emitPlan }] = await Promise.all([import("@pulumi/pulumi"), import("../../components/index.js")]);
    const plan = input.plan;
    const component = await emitPlan(plan);
    return {
      session: plan.session,
      formation: plan.formation,
      kind: plan.kind,
      provider: plan.provider,
      machines: component.machines,
      hourlyUsd: plan.cost.hourlyUsd,
      [OUTPUT_TEXT]: pulumi.secret(input.record.formation),
      [OUTPUT_RECORD]: recordOutput(input.record),
      ...(component.gatewayPassword ? { [OUTPUT_GATEWAY_PASSWORD]: pulumi.secret(component.gatewayPassword) } : {}),
    };
  };
}
