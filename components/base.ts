/**
 * The base of every kind's component: naming (children are named after their parent and refused
 * otherwise), labels, the session's generated secrets, and the outputs that describe a session.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlannedMachine, SessionPlan } from "../plan/types.js";
import type { CloudAdapter, EmitContext, MachineHandle, NetworkHandle, SessionSecrets } from "./adapter.js";

export interface FormationArgs {
  plan: SessionPlan;
  adapter: CloudAdapter;
}

/** One machine of a session as outputs show it (and `formations show` reads it back). */
export interface MachineOutput {
  name: string;
  role: string;
  cloudId: string;
  privateIp: string;
  publicIp?: string;
  user: string;
  /** How to connect: `ssh ubuntu@203.0.113.10`, `https://.../guacamole/`, `docker exec -it ...`. */
  connect: string;
  desiredState: string;
  instanceType: string;
  spot: boolean;
  hibernation: boolean;
}

export const TYPE_PREFIX = "formations:index:";

export abstract class FormationComponent extends pulumi.ComponentResource {
  /** Every machine of the session with its address and how to connect. */
  declare readonly machines: pulumi.Output<MachineOutput[]>;
  /** A VirtualLab's gateway login password (a Pulumi secret); the session exports it as a secret output. */
  gatewayPassword?: pulumi.Output<string>;
  readonly session: string;
  protected readonly ctx: EmitContext;
  protected readonly adapter: CloudAdapter;
  protected readonly plan: SessionPlan;
  private readonly handles = new Map<string, MachineHandle>();

  constructor(kind: string, name: string, args: FormationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}${kind}`, name, {}, opts);
    this.plan = args.plan;
    this.adapter = args.adapter;
    this.session = args.plan.session;
    this.ctx = {
      plan: args.plan,
      parent: this,
      name: (suffix: string) => {
        if (!/^[a-z0-9][a-z0-9-]*$/.test(suffix)) throw new Error(`child name '${suffix}' of '${name}' must be lower-case letters, digits and dashes`);
        return `${name}-${suffix}`;
      },
      labels: (role?: string) => ({ ...args.plan.labels, ...(role ? { "formations-role": role } : {}) }),
    };
  }

  /** Generates the session's secrets once; the random provider keeps them stable in state. */
  protected createSecrets(): SessionSecrets {
    const secrets: SessionSecrets = {};
    const opts = { parent: this, additionalSecretOutputs: ["result", "base64", "hex"] };
    for (const s of this.plan.secrets) {
      if (s.name === "munge-key") secrets.mungeKey = pulumi.secret(new random.RandomBytes(this.ctx.name("munge-key"), { length: s.length }, opts).base64);
      if (s.name === "gateway-password")
        secrets.gatewayPassword = this.gatewayPassword = pulumi.secret(
          new random.RandomPassword(this.ctx.name("gateway-password"), { length: s.length, special: false }, opts).result,
        );
      if (s.name === "admin-password")
        secrets.adminPassword = pulumi.secret(
          new random.RandomPassword(
            this.ctx.name("admin-password"),
            { length: s.length, special: true, overrideSpecial: "!#%*-_=+", minUpper: 2, minLower: 2, minNumeric: 2, minSpecial: 2 },
            opts,
          ).result,
        );
    }
    return secrets;
  }

  protected machinesOf(role: string): PlannedMachine[] {
    return this.plan.machines.filter((m) => m.role === role);
  }

  /** Remembers a machine's handle for the session outputs. */
  protected track(m: PlannedMachine, h: MachineHandle): MachineHandle {
    this.handles.set(m.name, h);
    return h;
  }

  /** Machines that need nothing of each other (Machine, Pool, Docker): each made on its own. */
  protected createIndependentMachines(): void {
    const net = this.network();
    const secrets = this.createSecrets();
    for (const m of this.plan.machines) this.track(m, this.adapter.machine(this.ctx, net, m, { secrets }));
  }

  protected network(): NetworkHandle {
    return this.adapter.network(this.ctx);
  }

  /** Registers the outputs that describe the session; call last in every constructor. */
  protected finish(extra: Record<string, pulumi.Input<unknown>> = {}): void {
    // A machine deleted outside formations is excluded from the update: its outputs are unknown,
    // and one unknown row would leave the session's whole `machines` output unknown (unsaved).
    const rows = this.plan.machines
      .filter((m) => this.handles.has(m.name) && !m.removed)
      .map((m) => {
        const h = this.handles.get(m.name)!;
        return pulumi.all([h.cloudId, h.privateIp, h.publicIp, h.connect]).apply(([cloudId, privateIp, publicIp, connect]): MachineOutput => {
          const address = publicIp ?? privateIp;
          const first = m.connect[0];
          const how =
            connect ??
            (first?.protocol === "https"
              ? `https://${address}/guacamole/`
              : first?.protocol === "rdp"
                ? `rdp://${address}:3389`
                : first?.protocol === "vnc"
                  ? `vnc://${address}:${first.port}`
                  : `ssh ${h.user}@${address}`);
          return {
            name: m.name,
            role: m.role,
            cloudId,
            privateIp,
            ...(publicIp ? { publicIp } : {}),
            user: h.user,
            connect: how,
            desiredState: m.desiredState,
            instanceType: m.instanceType,
            spot: m.spot,
            hibernation: m.hibernation,
          };
        });
      });
    const machines = pulumi.all(rows);
    (this as { machines: pulumi.Output<MachineOutput[]> }).machines = machines;
    this.registerOutputs({
      session: this.plan.session,
      formation: this.plan.formation,
      kind: this.plan.kind,
      provider: this.plan.provider,
      machines,
      hourlyUsd: this.plan.cost.hourlyUsd,
      ...extra,
    });
  }
}
