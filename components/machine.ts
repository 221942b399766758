import type * as pulumi from "@pulumi/pulumi";
import { FormationComponent, type FormationArgs } from "./base.js";

/** `formations:index:Machine`: one machine, reachable from access.allowFrom on its entry ports. */
export class Machine extends FormationComponent {
  constructor(name: string, args: FormationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Machine", name, args, opts);
    this.createIndependentMachines();
    this.finish();
  }
}
