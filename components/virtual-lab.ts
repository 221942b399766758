import type * as pulumi from "@pulumi/pulumi";
import { FormationComponent, type FormationArgs } from "./base.js";

/**
 * `formations:index:VirtualLab`: a target workstation reachable only through a proxy that runs a
 * browser gateway (Apache Guacamole). The target is created first: the gateway needs its address.
 */
export class VirtualLab extends FormationComponent {
  constructor(name: string, args: FormationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("VirtualLab", name, args, opts);
    const net = this.network();
    const secrets = this.createSecrets();
    const [target] = this.machinesOf("target");
    const [proxy] = this.machinesOf("proxy");
    if (!target || !proxy) throw new Error("a VirtualLab plan has one target and one proxy");
    const t = this.track(target, this.adapter.machine(this.ctx, net, target, { secrets }));
    const p = this.track(proxy, this.adapter.machine(this.ctx, net, proxy, { secrets, targetAddress: t.privateIp }));
    // Without a public address, the adapter's connection detail is the gateway URL (Docker: a published port).
    this.finish({
      gatewayUrl: p.publicIp
        ? p.publicIp.apply((ip) => (ip ? `https://${ip}/guacamole/` : ""))
        : (p.connect?.apply((c) => (/^https?:\/\//.test(c) ? c : "")) ?? ""),
      protocol: this.plan.gateway?.protocol ?? "rdp",
    });
  }
}
