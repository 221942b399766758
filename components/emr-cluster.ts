import type * as pulumi from "@pulumi/pulumi";
import { FormationComponent, type FormationArgs } from "./base.js";

/**
 * `formations:index:EMRCluster`: proxy + master + workers. Where the provider has a managed
 * service (EMR, Dataproc, HDInsight) it runs master and workers; elsewhere Spark is installed on
 * machines: the master first, then workers that join it, then the proxy in front.
 */
export class EMRCluster extends FormationComponent {
  constructor(name: string, args: FormationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("EMRCluster", name, args, opts);
    const net = this.network();
    const secrets = this.createSecrets();
    const bigData = this.plan.bigData;
    if (!bigData) throw new Error("an EMRCluster plan has a big-data section");
    const nodes = this.plan.machines.filter((m) => m.role === "master" || m.role === "worker");
    const managed = bigData.managed ? this.adapter.bigDataCluster(this.ctx, net, bigData, nodes, { secrets }) : undefined;
    let masterAddress: pulumi.Input<string> | undefined = managed?.masterAddress;
    if (!managed) {
      const [master] = this.machinesOf("master");
      if (!master) throw new Error("an EMRCluster plan has a master");
      masterAddress = this.track(master, this.adapter.machine(this.ctx, net, master, { secrets })).privateIp;
      for (const w of this.machinesOf("worker")) this.track(w, this.adapter.machine(this.ctx, net, w, { secrets, masterAddress }));
    }
    for (const p of this.machinesOf("proxy")) this.track(p, this.adapter.machine(this.ctx, net, p, { secrets, ...(masterAddress ? { masterAddress } : {}) }));
    this.finish({
      applications: [...bigData.applications],
      release: bigData.release,
      managed: bigData.managed,
      ...(managed ? { clusterId: managed.cloudId } : {}),
    });
  }
}
