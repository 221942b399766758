import type * as pulumi from "@pulumi/pulumi";
import { FormationComponent, type FormationArgs } from "./base.js";

/**
 * `formations:index:HPCCluster`: a Slurm head node (slurmctld), compute nodes (slurmd) and a
 * shared file system on all of them: the provider's managed one, or NFS exported by the head.
 * The munge key is generated once as a Pulumi secret.
 */
export class HPCCluster extends FormationComponent {
  constructor(name: string, args: FormationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("HPCCluster", name, args, opts);
    const net = this.network();
    const secrets = this.createSecrets();
    const storagePlan = this.plan.storage;
    if (!storagePlan) throw new Error("an HPCCluster plan has shared storage");
    const storage = this.adapter.sharedStorage(this.ctx, net, storagePlan);
    const [head] = this.machinesOf("head");
    if (!head) throw new Error("an HPCCluster plan has a head node");
    const compute = this.machinesOf("compute");
    const peers = compute.map((c) => c.name);
    const h = this.track(head, this.adapter.machine(this.ctx, net, head, { secrets, peers, ...(storage ? { storage } : {}) }));
    for (const c of compute)
      this.track(c, this.adapter.machine(this.ctx, net, c, { secrets, peers, headAddress: h.privateIp, ...(storage ? { storage } : {}) }));
    this.finish({ scheduler: "slurm", mountPath: storagePlan.mountPath, computeNodes: compute.length, headAddress: h.privateIp });
  }
}
