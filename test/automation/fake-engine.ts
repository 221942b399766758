/**
 * FakeEngine: a TEST DOUBLE of the Engine interface (automation/session/engine.ts), in memory. It does
 * not run Pulumi or the session's program; instead `up` derives what the program would export
 * from the record Sessions wrote to config (formation text, desired states): one resource per
 * machine with id `fake-<session>-<machine>`, the root stack's outputs, a summary. A fake
 * "cloud" holds each machine's power state so a test can stop or delete one behind the engine's
 * back and `refresh` sees it. Failures, locks, pending operations and slow operations are
 * injected per test; every call is logged, and the most operations ever in flight is kept.
 */
import { loadFormationText } from "../../format/load.js";
import { planSession } from "../../plan/index.js";
import type { PowerState } from "../../plan/types.js";
import type {
  ConfigEntry,
  Deployment,
  Engine,
  EngineEvent,
  EngineStack,
  OperationOptions,
  OperationResult,
  OutputValue,
  RefreshOptions,
  StackListing,
  StateResource,
  UpdateOptions,
} from "../../automation/session/engine.js";

type Op = "up" | "preview" | "refresh" | "destroy";

export interface FakeStackState {
  config: Record<string, ConfigEntry>;
  tags: Record<string, string>;
  outputs: Record<string, OutputValue>;
  deployment: Deployment;
  /** The fake cloud: each machine's real state (`deleted` once gone). */
  cloud: Record<string, PowerState | "deleted">;
  /** Who holds the backend's lock, as a file backend's message names them. */
  lockedBy?: string;
  excluded?: string[];
}

/** An error as the Automation API throws it: a name and the CLI's stderr in the message. */
export function engineError(name: string, stderr: string): Error {
  const e = new Error(`code: 255\n stdout: \n stderr: ${stderr}\n err?: \n`);
  e.name = name;
  return e;
}

export class FakeEngine implements Engine {
  readonly stacks = new Map<string, FakeStackState>();
  readonly calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** The options of the last `up` (what the session layer asked the engine for). */
  lastUp?: UpdateOptions;
  /** When set, engine operations wait for it before finishing (to hold them in flight). */
  gate?: Promise<void>;
  private failures = new Map<string, { error: Error; effect?: (s: FakeStackState) => void }>();
  closed = false;
  /**
   * The cloud id `up` exports for a machine; default `fake-<session>-<machine>`. The moto layer
   * (test/moto) returns the id of the EC2 instance it seeded for that machine.
   */
  cloudId?: (session: string, machine: string) => string | undefined;
  /**
   * Where `refresh` reads the machines' real states from, as Pulumi's refresh reads the provider;
   * default: the fake cloud as tests left it. The moto layer reads moto's EC2.
   */
  readCloud?: (session: string, machines: readonly string[]) => Promise<Record<string, PowerState | "deleted">>;

  /** The next `op` on `stack` (any stack: "*") throws `error`, after `effect` changed the stack's state (what the failure left). */
  failNext(op: Op | "select" | "export", stack: string, error: Error, effect?: (s: FakeStackState) => void): void {
    this.failures.set(`${op}:${stack}`, { error, ...(effect ? { effect } : {}) });
  }

  private takeFailure(op: string, stack: string): void {
    for (const key of [`${op}:${stack}`, `${op}:*`]) {
      const f = this.failures.get(key);
      if (f) {
        this.failures.delete(key);
        if (f.effect && this.stacks.has(stack)) f.effect(this.state(stack));
        throw f.error;
      }
    }
  }

  state(name: string): FakeStackState {
    const s = this.stacks.get(name);
    if (!s) throw engineError("StackNotFoundError", `error: no stack named '${name}' found`);
    return s;
  }

  async prepare(): Promise<void> {
    this.calls.push("prepare");
  }

  async whoami(): Promise<string> {
    return "tester";
  }

  async listStacks(): Promise<StackListing[]> {
    this.calls.push("listStacks");
    return [...this.stacks.entries()].map(([name, s]) => ({ name, resourceCount: s.deployment.deployment.resources?.length ?? 0 }));
  }

  async stackTags(name: string): Promise<Record<string, string>> {
    this.calls.push(`tags:${name}`);
    return { ...this.state(name).tags };
  }

  async selectStack(name: string): Promise<EngineStack> {
    this.calls.push(`select:${name}`);
    this.takeFailure("select", name);
    this.state(name);
    return new FakeStack(this, name);
  }

  async createOrSelectStack(name: string): Promise<EngineStack> {
    this.calls.push(`createOrSelect:${name}`);
    if (!this.stacks.has(name))
      this.stacks.set(name, { config: {}, tags: {}, outputs: {}, deployment: { version: 3, deployment: { resources: [] } }, cloud: {} });
    return new FakeStack(this, name);
  }

  async removeStack(name: string): Promise<void> {
    this.calls.push(`remove:${name}`);
    this.stacks.delete(name);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Runs one engine operation: counts it in flight, honours the gate, the lock, injected failures and abort. */
  async operate(name: string, op: Op, opts: OperationOptions, body: () => OperationResult): Promise<OperationResult> {
    this.calls.push(`${op}:${name}`);
    const s = this.state(name);
    if (s.lockedBy && op !== "preview") {
      throw engineError(
        "ConcurrentUpdateError",
        `error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.\n  file:///state/.pulumi/locks/organization/formations/${name}/x.json: created by ${s.lockedBy} (pid 4242) at 2026-01-01T00:00:00Z`,
      );
    }
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const emit = (e: Omit<EngineEvent, "sequence" | "timestamp">) => opts.onEvent?.({ sequence: 0, timestamp: 1_700_000_000, ...e });
      emit({
        resourcePreEvent: {
          metadata: {
            op: op === "preview" ? "create" : "update",
            urn: `urn:pulumi:${name}::formations::fake:index:Thing::${name}-thing`,
            type: "fake:index:Thing",
          },
          planning: op === "preview",
        },
      });
      if (this.gate) {
        const aborted = new Promise<never>((_, reject) => {
          if (opts.signal?.aborted) reject(engineError("CommandError", "error: update canceled"));
          opts.signal?.addEventListener("abort", () => reject(engineError("CommandError", "error: update canceled")), { once: true });
        });
        await Promise.race([this.gate, aborted]);
      }
      this.takeFailure(op, name);
      const result = body();
      emit({
        resOutputsEvent: {
          metadata: {
            op: op === "preview" ? "create" : "update",
            urn: `urn:pulumi:${name}::formations::fake:index:Thing::${name}-thing`,
            type: "fake:index:Thing",
          },
          planning: op === "preview",
        },
      });
      emit({ summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: result.changes } });
      return result;
    } finally {
      this.inFlight--;
    }
  }
}

const ROOT_URN = (name: string) => `urn:pulumi:${name}::formations::pulumi:pulumi:Stack::formations-${name}`;
const machineUrn = (name: string, m: string) => `urn:pulumi:${name}::formations::docker:index/container:Container::${name}-${m}`;

/** What the session's program would export and register, derived from the record in config. */
function deployFromConfig(name: string, s: FakeStackState, exclude: readonly string[], cloudId?: FakeEngine["cloudId"]): OperationResult {
  const text = s.config["formations:formation"]?.value;
  if (!text) throw engineError("CommandError", "error: formations:file or formations:formation must be set");
  const desired = JSON.parse(s.config["formations:desired"]?.value ?? "{}") as Record<string, PowerState>;
  const deleted = JSON.parse(s.config["formations:deleted"]?.value ?? "{}") as Record<string, unknown>;
  const plan = planSession(loadFormationText(text), { session: name, desired, deleted: Object.keys(deleted) });
  const existing = new Set((s.deployment.deployment.resources ?? []).map((r) => r.urn));
  const resources: StateResource[] = [{ urn: ROOT_URN(name), type: "pulumi:pulumi:Stack", outputs: {} }];
  const machines = [];
  let created = 0;
  for (const m of plan.machines) {
    const urn = machineUrn(name, m.name);
    if (exclude.includes(urn)) continue;
    if (!existing.has(urn)) created++;
    const id = cloudId?.(name, m.name) ?? `fake-${name}-${m.name}`;
    s.cloud[m.name] = m.desiredState;
    resources.push({ urn, type: "docker:index/container:Container", id, custom: true, parent: ROOT_URN(name), outputs: { state: m.desiredState } });
    machines.push({
      name: m.name,
      role: m.role,
      cloudId: id,
      privateIp: `10.0.0.${machines.length + 2}`,
      user: "root",
      connect: `docker exec -it ${id} sh`,
      desiredState: m.desiredState,
      instanceType: m.instanceType,
      spot: m.spot,
      hibernation: m.hibernation,
    });
  }
  const record = {
    file: s.config["formations:file"]?.value ?? "",
    desired,
    removed: JSON.parse(s.config["formations:removed"]?.value ?? "{}"),
    snapshots: JSON.parse(s.config["formations:snapshots"]?.value ?? "[]"),
    journal: JSON.parse(s.config["formations:journal"]?.value ?? "[]"),
    deleted,
  };
  const outputs: Record<string, OutputValue> = {
    session: { value: name, secret: false },
    machines: { value: machines, secret: false },
    hourlyUsd: { value: plan.cost.hourlyUsd, secret: false },
    formationsText: { value: text, secret: true },
    formationsRecord: { value: record, secret: false },
  };
  resources[0]!.outputs = Object.fromEntries(
    Object.entries(outputs).map(([k, v]) => [
      k,
      v.secret ? { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:x" } : v.value,
    ]),
  );
  const dropped = [...existing].filter((u) => !resources.some((r) => r.urn === u)).length;
  s.outputs = outputs;
  s.excluded = [...exclude];
  s.deployment = { version: 3, deployment: { ...s.deployment.deployment, resources } };
  return { changes: { create: created, delete: dropped, same: plan.machines.length - created }, outputs };
}

class FakeStack implements EngineStack {
  constructor(
    private readonly engine: FakeEngine,
    readonly name: string,
  ) {}

  private get s(): FakeStackState {
    return this.engine.state(this.name);
  }

  async getConfig() {
    return structuredClone(this.s.config);
  }
  async setConfig(values: Record<string, ConfigEntry>) {
    this.engine.calls.push(`setConfig:${this.name}`);
    Object.assign(this.s.config, structuredClone(values));
  }
  async getTags() {
    return { ...this.s.tags };
  }
  async setTags(set: Record<string, string>, remove: readonly string[] = []) {
    this.engine.calls.push(`setTags:${this.name}:${Object.keys(set).length}:${remove.length}`);
    Object.assign(this.s.tags, set);
    for (const k of remove) delete this.s.tags[k];
  }
  async up(opts: UpdateOptions) {
    this.engine.lastUp = opts;
    return this.engine.operate(this.name, "up", opts, () => deployFromConfig(this.name, this.s, opts.exclude ?? [], this.engine.cloudId));
  }
  async preview(opts: UpdateOptions) {
    return this.engine.operate(this.name, "preview", opts, () => ({ changes: { create: 1 } }));
  }
  async refresh(opts: RefreshOptions) {
    if (this.engine.readCloud) Object.assign(this.s.cloud, await this.engine.readCloud(this.name, Object.keys(this.s.cloud)));
    return this.engine.operate(this.name, "refresh", opts, () => {
      const s = this.s;
      if (opts.clearPendingCreates)
        s.deployment.deployment.pending_operations = (s.deployment.deployment.pending_operations ?? []).filter((p) => p.type !== "creating");
      // The fake cloud is the truth: deleted machines leave the state, others report their state.
      const resources = (s.deployment.deployment.resources ?? []).flatMap((r) => {
        const m = Object.entries(s.cloud).find(([n]) => r.urn === machineUrn(this.name, n));
        if (!m) return [r];
        return m[1] === "deleted" ? [] : [{ ...r, outputs: { ...r.outputs, state: m[1] } }];
      });
      s.deployment = { ...s.deployment, deployment: { ...s.deployment.deployment, resources } };
      return { changes: { refresh: resources.length } };
    });
  }
  async destroy(opts: OperationOptions) {
    return this.engine.operate(this.name, "destroy", opts, () => {
      const n = this.s.deployment.deployment.resources?.length ?? 0;
      this.s.deployment = { version: 3, deployment: { resources: [] } };
      this.s.outputs = {};
      return { changes: { delete: n } };
    });
  }
  async outputs() {
    return structuredClone(this.s.outputs);
  }
  async publish(outputs: Record<string, OutputValue>, opts: OperationOptions = {}) {
    return this.engine.operate(this.name, "up", opts, () => {
      const s = this.s;
      const created = (s.deployment.deployment.resources ?? []).length === 0 ? 1 : 0;
      // As the real engine: only the root stack, its outputs in the state (secrets as ciphertext).
      const root: StateResource = {
        urn: ROOT_URN(this.name),
        type: "pulumi:pulumi:Stack",
        outputs: Object.fromEntries(
          Object.entries(outputs).map(([k, v]) => [
            k,
            v.secret ? { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:x" } : structuredClone(v.value),
          ]),
        ),
      };
      s.outputs = structuredClone(outputs);
      s.deployment = { version: 3, deployment: { ...s.deployment.deployment, resources: [root] } };
      const changes: Record<string, number> = created ? { create: 1 } : { same: 1 };
      return { changes, outputs: structuredClone(outputs) };
    });
  }
  async exportState() {
    this.engine.calls.push(`export:${this.name}`);
    return structuredClone(this.s.deployment);
  }
  async importState(d: Deployment) {
    this.engine.calls.push(`import:${this.name}`);
    if (this.s.lockedBy)
      throw engineError(
        "ConcurrentUpdateError",
        `error: the stack is currently locked by 1 lock(s).\n  x.json: created by ${this.s.lockedBy} (pid 4242) at 2026-01-01T00:00:00Z`,
      );
    // As `pulumi stack import`: pending operations are dropped from what is imported.
    const { pending_operations: _dropped, ...rest } = structuredClone(d).deployment;
    this.s.deployment = { ...d, deployment: rest };
    // As the real state: the root stack's outputs are what `stack output` returns.
    const root = d.deployment.resources?.find((r) => r.type === "pulumi:pulumi:Stack");
    if (root?.outputs && "formationsRecord" in root.outputs)
      this.s.outputs.formationsRecord = { value: structuredClone(root.outputs.formationsRecord), secret: false };
  }
  async cancel() {
    this.engine.calls.push(`cancel:${this.name}`);
  }
  async assertUnlocked() {
    this.engine.calls.push(`lock-probe:${this.name}`);
    if (this.s.lockedBy)
      throw engineError(
        "ConcurrentUpdateError",
        `error: the stack is currently locked by 1 lock(s).\n  x.json: created by ${this.s.lockedBy} (pid 4242) at 2026-01-01T00:00:00Z`,
      );
  }
}
