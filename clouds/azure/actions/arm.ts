/**
 * The Azure calls the Azure driver makes, through `@azure/arm-compute`, imported on the first call
 * and never before; the credential is `DefaultAzureCredential` (environment, workload or managed
 * identity, Azure CLI...), also created on first use, unless one is given (tests give a static one).
 *
 * One client per subscription, with the pipeline's own retries off (`maxRetries: 0`): the batch
 * layer (batch.ts) owns retries, backoff with jitter and the per-target timeout. What the SDK would
 * have honoured, Azure's Retry-After on a 429, is honoured here (capped) before the throttle goes
 * back to the batch. Long-running operations are polled at `pollMs` and waited for within a bound.
 */
import type * as ComputeSdk from "@azure/arm-compute";
import type { ComputeManagementClient, ComputeManagementClientOptionalParams, VirtualMachine } from "@azure/arm-compute";
import { azureRaw, classifyAzureError, normalise, parseVmId, type AzureRawState, type VmRef } from "./states.js";
import { ActionError, type ActionTarget, type MachineState } from "../../../automation/actions/types.js";

/** The SDK module, as `import()` gives it. */
export type Compute = typeof ComputeSdk;
/** A token credential, as the compute client takes it. */
export type AzureCredential = ConstructorParameters<typeof ComputeManagementClient>[0];

/** The VM as read just now: the SDK's record with its instance view (undefined when Azure has none), and its states. */
export interface Seen {
  vm: VirtualMachine | undefined;
  raw: AzureRawState;
  state: MachineState;
}

/** A long-running operation as the SDK returns it (core-lro's poller), as far as we use it. */
export interface Poller {
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** Options of the Azure calls. */
export interface ArmOptions {
  /** The credential; default DefaultAzureCredential, created on first use. */
  credential?: AzureCredential;
  /** The longest Retry-After honoured before a throttle goes back to the batch, in ms; default 30 000. */
  retryAfterCapMs?: number;
}

/** The compute client's settings: no pipeline retries (the batch owns them). */
export function computeClientOptions(): ComputeManagementClientOptionalParams {
  return { retryOptions: { maxRetries: 0 } };
}

/** Where the machine's VM is: from its resource id (the session's outputs carry it as the machine's cloud id). */
export function vmRef(t: ActionTarget): VmRef {
  if (!t.providerId)
    throw new ActionError("other", `no Azure VM id for ${label(t)}: run \`formations refresh ${t.session}\` so the session knows its machines`);
  return parseVmId(t.providerId);
}

export const label = (t: ActionTarget) => `${t.session}/${t.machine}`;

/** Azure through the compute SDK: lazily loaded, one client per subscription, every failure classified. */
export class AzureArm {
  private sdk?: Promise<Compute>;
  private credential?: Promise<AzureCredential>;
  private readonly clients = new Map<string, ComputeManagementClient>();

  constructor(private readonly opts: ArmOptions = {}) {}

  /** The compute client of a subscription (SDK and credential loaded on first use). */
  async client(subscription: string): Promise<ComputeManagementClient> {
    let c = this.clients.get(subscription);
    if (c) return c;
    this.sdk ??= import("@azure/arm-compute");
    this.credential ??= this.opts.credential
      ? Promise.resolve(this.opts.credential)
      : import("@azure/identity").then(({ DefaultAzureCredential }) => new DefaultAzureCredential());
    const [{ ComputeManagementClient: Client }, credential] = await Promise.all([this.sdk, this.credential]);
    c = this.clients.get(subscription) ?? new Client(credential, subscription, computeClientOptions());
    this.clients.set(subscription, c);
    return c;
  }

  /** One call on the machine's VM; failures come back as ActionErrors, after any Retry-After Azure asked for. */
  async call<R>(t: ActionTarget, f: (c: ComputeManagementClient, ref: VmRef) => Promise<R>, states: { from?: MachineState } = {}): Promise<R> {
    const ref = vmRef(t);
    return this.within(ref.subscription, label(t), (c) => f(c, ref), states);
  }

  /** One call in a subscription, `what` naming the resource in messages (an image, where there is no VM). */
  async within<R>(subscription: string, what: string, f: (c: ComputeManagementClient) => Promise<R>, states: { from?: MachineState } = {}): Promise<R> {
    try {
      return await f(await this.client(subscription));
    } catch (err) {
      const e = classifyAzureError(err, what, states);
      if (e.kind === "throttled") await honourRetryAfter(err, this.opts.retryAfterCapMs ?? 30_000);
      throw e;
    }
  }

  /** The VM and its instance view in one GET; `missing` when Azure has no such VM. */
  async read(t: ActionTarget): Promise<Seen> {
    let vm: VirtualMachine | undefined;
    try {
      vm = await this.call(t, (c, ref) => c.virtualMachines.get(ref.resourceGroup, ref.name, { expand: "instanceView" }));
    } catch (err) {
      if (!(err instanceof ActionError && err.kind === "not-found")) throw err;
    }
    const raw = vm ? azureRaw(vm.instanceView?.statuses ?? []) : "missing";
    return { vm, raw, state: normalise(raw) };
  }

  /**
   * Starts a long-running operation and waits for it within `ms`. True when it finished; false when
   * the bound passed first (polling then stops: the operation goes on in Azure, and the caller
   * reports the state it reads). A failed operation throws, classified.
   */
  async run(t: ActionTarget, begin: (c: ComputeManagementClient, ref: VmRef) => Promise<Poller>, ms: number, from: MachineState): Promise<boolean> {
    return this.settle(await this.call(t, begin, { from }), ms, label(t), { from });
  }

  /** Waits for a started long-running operation within `ms`: true when it finished, false when the bound passed first; a failure throws, classified. */
  async settle(poller: Poller, ms: number, what: string, states: { from?: MachineState } = {}): Promise<boolean> {
    const stop = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const done = poller.pollUntilDone({ abortSignal: stop.signal }).then(() => true as const);
    done.catch(() => undefined); // after the bound, an abort or late failure is no longer ours to report
    try {
      const finished = await Promise.race([done, expired]);
      if (!finished) stop.abort();
      return finished;
    } catch (err) {
      throw classifyAzureError(err, what, states);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Waits what Azure's Retry-After asked (seconds or an HTTP date), at most `capMs`. */
async function honourRetryAfter(err: unknown, capMs: number): Promise<void> {
  const headers = (err as { response?: { headers?: { get(name: string): string | undefined } } }).response?.headers;
  const raw = headers?.get("retry-after")?.trim();
  if (!raw) return;
  const ms = /^\d+$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw) - Date.now();
  if (Number.isFinite(ms) && ms > 0) await new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, capMs)));
}
