/**
 * Emit: a plan becomes the kind's ComponentResource on its cloud's adapter. The adapter's module
 * (and so its cloud SDK) is imported only here, only for the formation's provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { UserError } from "../user-error.js";
import type { Formation, Kind, Provider } from "../format/types.js";
import { cloudOf } from "../clouds/index.js";
import { planSession, type PlanOptions } from "../plan/index.js";
import type { SessionPlan } from "../plan/types.js";
import type { CloudAdapter } from "./adapter.js";
import type { FormationArgs, FormationComponent } from "./base.js";
import { Machine } from "./machine.js";
import { Docker } from "./docker.js";
import { Pool } from "./pool.js";
import { VirtualLab } from "./virtual-lab.js";
import { EMRCluster } from "./emr-cluster.js";
import { HPCCluster } from "./hpc-cluster.js";

type ComponentClass = new (name: string, args: FormationArgs, opts?: pulumi.ComponentResourceOptions) => FormationComponent;

/** Type token → constructor: a kind without a component fails to compile here. */
export const COMPONENTS: Record<Kind, ComponentClass> = { Machine, Docker, Pool, VirtualLab, EMRCluster, HPCCluster };

/** Loads one provider's adapter (and its SDK) on demand. */
export function loadAdapter(provider: Provider): Promise<CloudAdapter> {
  return cloudOf(provider).adapter();
}

/** Emits a plan's resources; returns the kind's component. Must run inside a Pulumi program. */
export async function emitPlan(plan: SessionPlan, opts?: pulumi.ComponentResourceOptions): Promise<FormationComponent> {
  const adapter = await loadAdapter(plan.provider);
  return new COMPONENTS[plan.kind](plan.session, { plan, adapter }, opts);
}

/** Called outside a Pulumi program: said plainly, before a resource fails with an unrelated serialization error. */
export class NotInPulumiProgramError extends UserError {
  constructor() {
    super(
      "compileFormation must run inside a Pulumi program (a stack's program run by `pulumi up` or the Automation API, or Pulumi's mock runtime): it creates Pulumi resources",
      2,
      "to see what a formation would create without Pulumi, use `formations plan <file>` or planSession(); to launch it, Sessions.up() or the project's Pulumi.yaml",
    );
    this.name = "NotInPulumiProgramError";
  }
}

/** Whether resources can be registered here: a program run by the engine, or the mock runtime. */
export function insidePulumiProgram(): boolean {
  // getMonitor() connects lazily to the engine's address (set only when the engine runs the program), or returns the mocks' monitor.
  return pulumi.runtime.hasMonitor() || pulumi.runtime.getMonitor() !== undefined;
}

/** Plans and emits a formation. Must run inside a Pulumi program (a stack, or the mock runtime). */
export async function compileFormation(formation: Formation, opts: PlanOptions = {}): Promise<FormationComponent> {
  const plan = planSession(formation, opts);
  if (!insidePulumiProgram()) throw new NotInPulumiProgramError();
  return emitPlan(plan);
}

export type { FormationComponent, MachineOutput } from "./base.js";
