import type * as pulumi from "@pulumi/pulumi";
import { FormationComponent, type FormationArgs } from "./base.js";

/**
 * `formations:index:Docker`: one container; on the docker provider it runs on the engine itself,
 * on a cloud inside a VM (the `host` machine) whose cloud-init runs it.
 */
export class Docker extends FormationComponent {
  constructor(name: string, args: FormationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Docker", name, args, opts);
    this.createIndependentMachines();
    this.finish({ image: this.plan.container?.image ?? "" });
  }
}
