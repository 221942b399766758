/**
 * TestDoubleDriver: a TEST DOUBLE of ActionDriver (automation/actions/types.ts), in memory. Each
 * machine has a state (default running); every call is logged as `<action> <session>/<machine>`
 * in order; a test can make one machine fail, be throttled a number of times, or behave as a
 * one-time spot machine (imaged and terminated on stop, as the cloud drivers report it).
 * `onChange` lets a test mirror each change into FakeEngine's fake cloud, as a real refresh
 * would then read it from the provider.
 */
import type { Provider } from "../../../format/types.js";
import type { FakeEngine } from "../fake-engine.js";
import {
  ActionError,
  TARGET_STATE,
  type ActionDriver,
  type ActionName,
  type ActionResult,
  type ActionTarget,
  type MachineState,
} from "../../../automation/actions/types.js";

export class TestDoubleDriver implements ActionDriver {
  readonly calls: string[] = [];
  readonly targets: ActionTarget[] = [];
  readonly states = new Map<string, MachineState>();
  /** Machines (`session/machine`) whose next actions fail with this error. */
  readonly failing = new Map<string, ActionError>();
  /** Machines answering `throttled` this many more times before acting. */
  readonly throttled = new Map<string, number>();
  /** Machines that cannot be stopped: a stop images and terminates them. */
  readonly oneTimeSpot = new Set<string>();
  /** Set by a test to play an engine that was unreachable and answers again (ActionDriver.awaitEngine). */
  awaitEngine?: (error: unknown) => Promise<boolean>;
  /** Resolves when released: held actions wait for it (to keep an action in flight). */
  gate?: Promise<void>;
  /** Told of every state change, so a fake cloud behind a fake engine sees what the driver did. */
  onChange?: (session: string, machine: string, state: MachineState) => void;
  private images = 0;

  constructor(readonly provider: Provider = "docker") {}

  private key(t: ActionTarget): string {
    return `${t.session}/${t.machine}`;
  }

  async state(t: ActionTarget): Promise<MachineState> {
    return this.states.get(this.key(t)) ?? "running";
  }

  private async act(t: ActionTarget, action: ActionName, to: MachineState, opts: { noopWhen?: MachineState[]; fallback?: string } = {}): Promise<ActionResult> {
    this.calls.push(`${action} ${this.key(t)}`);
    this.targets.push(t);
    if (this.gate) await this.gate;
    const k = this.key(t);
    const left = this.throttled.get(k) ?? 0;
    if (left > 0) {
      this.throttled.set(k, left - 1);
      throw new ActionError("throttled", `rate exceeded for ${k}`);
    }
    const from = await this.state(t);
    const fail = this.failing.get(k);
    if (fail) throw fail;
    const base = { session: t.session, machine: t.machine, action, from };
    if ((opts.noopWhen ?? [to]).includes(from)) return { ...base, outcome: "no-op", to: from };
    this.states.set(k, to);
    this.onChange?.(t.session, t.machine, to);
    return { ...base, outcome: "done", to, ...(opts.fallback ? { fallback: opts.fallback } : {}) };
  }

  start(t: ActionTarget) {
    return this.act(t, "start", "running");
  }
  async stop(t: ActionTarget, force?: boolean) {
    if (this.oneTimeSpot.has(this.key(t)) && (await this.state(t)) === "running") {
      const r = await this.act(t, "stop", "terminated", { fallback: "a one-time spot machine cannot be stopped: imaged as img-spot, then terminated" });
      return { ...r, imageId: "img-spot" };
    }
    return this.act(t, "stop", "stopped", force ? { fallback: "forced" } : {});
  }
  hibernate(t: ActionTarget) {
    return this.act(t, "hibernate", "hibernated");
  }
  reboot(t: ActionTarget) {
    return this.act(t, "reboot", "running", { noopWhen: [] });
  }
  shutdown(t: ActionTarget) {
    return this.act(t, "shutdown", "stopped");
  }
  async snapshot(t: ActionTarget, name?: string) {
    const r = await this.act(t, "snapshot", await this.state(t), { noopWhen: [] });
    return { ...r, outcome: "done" as const, imageId: `img-${++this.images}${name ? `-${name}` : ""}` };
  }
  terminate(t: ActionTarget) {
    return this.act(t, "terminate", TARGET_STATE.terminate);
  }
  retryable(error: unknown): boolean {
    return error instanceof ActionError && (error.kind === "throttled" || error.kind === "transient");
  }
}

/** What the driver does reaches FakeEngine's fake cloud, so the engine's refresh reads it as Pulumi's would from the provider. */
export function mirrorInto(driver: TestDoubleDriver, engine: FakeEngine): void {
  driver.onChange = (session, machine, state) => {
    const cloud = engine.stacks.get(session)?.cloud;
    if (cloud) cloud[machine] = state === "terminated" ? "deleted" : state === "hibernated" || state === "running" ? state : "stopped";
  };
}
