import type * as pulumi from "@pulumi/pulumi";
import { FormationComponent, type FormationArgs } from "./base.js";

/** `formations:index:Pool`: `count` identical machines, each managed on its own. */
export class Pool extends FormationComponent {
  constructor(name: string, args: FormationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Pool", name, args, opts);
    this.createIndependentMachines();
    this.finish({ count: this.plan.machines.length });
  }
}
