/**
 * The production Engine: Pulumi's Automation API on a LocalWorkspace, loaded on first use
 * (dynamic import) so nothing else pays for it.
 *
 * One workspace per engine, in a private temporary directory: `LocalWorkspace.createOrSelectStack`
 * would build a workspace per call, rewriting Pulumi.yaml and re-running `pulumi version` each
 * time, and concurrent sessions sharing one directory would race on that file. Programs are
 * passed per operation (`up({ program })`); the workspace's own program refuses to run, since
 * refresh and destroy must never run one. The workspace's Pulumi.<stack>.yaml files are a cache:
 * the session record lives in the backend's state (session-record.ts), and the secrets settings are
 * restored from the state when a stack is opened here for the first time.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import type { ResolvedBackend } from "./backend.js";
import { privateDir } from "./backend.js";
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
  UpdateOptions,
} from "./engine.js";
import { PulumiMissingError } from "./errors.js";
import { deferClosureSerializer } from "../../components/sdk-load.js";
import { locatePulumi } from "./pulumi-cli.js";
import { detachedPulumiCommand } from "./pulumi-command.js";
import { outputsOf, secretsSettings, withoutPendingOperations } from "./stack-state.js";
import { PROJECT } from "./naming.js";

type Automation = typeof Auto;

export { PROJECT };

export interface PulumiEngineOptions {
  backend: ResolvedBackend;
  /** The workspace directory; default: a new private directory under the formations home, removed by close(). */
  workDir?: string;
}

const refuse = async (): Promise<Record<string, unknown>> => {
  throw new Error("formations: this operation must not run the session's program");
};

/** Our EngineEvent is a structural subset of the Automation API's: events pass through as they are. */
const events = (opts: OperationOptions) => (opts.onEvent ? (e: Auto.EngineEvent) => opts.onEvent!(e as unknown as EngineEvent) : undefined);

class PulumiStack implements EngineStack {
  /** An export in flight: a second read made meanwhile joins it instead of paying for its own CLI call. */
  private exporting?: Promise<Deployment>;
  /**
   * The export made while opening the stack (for its secrets settings), for the first `outputs()`
   * only: the read that follows an open would otherwise export the same state again a moment later.
   * Never used by `exportState()`, whose callers merge with what they read (it must be fresh).
   */
  private seed?: Deployment;
  /**
   * The export this stack made right after its own update finished (for the update's outputs), or
   * what it imported under the session lock: the next `exportState()` takes it instead of exporting
   * the same state again, unless anything else ran in between. The session lock keeps other
   * formations processes out meanwhile.
   */
  private fresh?: Deployment;

  constructor(
    private readonly stack: Auto.Stack,
    /** Whether this workspace holds no config for the stack (a private workspace that never set any): then reads need no CLI call. */
    private readonly config: { empty(): boolean; set(): void },
    readonly privateConfig: boolean,
    seed?: Deployment,
    /** The stack was just created, and `seed` is its (empty) state: the first `exportState()` takes it too. */
    created = false,
  ) {
    if (seed) this.seed = seed;
    if (seed && created) this.fresh = seed;
  }

  get name(): string {
    return this.stack.name;
  }

  async getConfig(): Promise<Record<string, ConfigEntry>> {
    if (this.config.empty()) return {};
    return this.stack.getAllConfig();
  }

  async setConfig(values: Record<string, ConfigEntry>): Promise<void> {
    this.config.set();
    await this.stack.setAllConfig(values);
  }

  async getTags(): Promise<Record<string, string>> {
    return this.stack.listTags();
  }

  async setTags(set: Record<string, string>, remove: readonly string[] = []): Promise<void> {
    // One CLI call per tag: callers pass only what changed.
    for (const [k, v] of Object.entries(set)) await this.stack.setTag(k, v);
    for (const k of remove) await this.stack.removeTag(k);
  }

  async up(opts: UpdateOptions): Promise<OperationResult> {
    this.seed = this.fresh = undefined;
    const exclude = opts.exclude?.length ? { exclude: opts.exclude, excludeDependents: true } : {};
    const parallel = opts.parallel ? { parallel: opts.parallel } : {};
    const r = await this.lean(opts, (onEvent) => this.stack.up({ program: opts.program, onEvent, signal: opts.signal, ...exclude, ...parallel }));
    return { changes: { ...(r.summary.resourceChanges ?? {}) }, outputs: r.outputs as Record<string, OutputValue> };
  }

  async preview(opts: UpdateOptions): Promise<OperationResult> {
    const exclude = opts.exclude?.length ? { exclude: opts.exclude, excludeDependents: true } : {};
    const r = await this.stack.preview({ program: opts.program, onEvent: events(opts), signal: opts.signal, ...exclude });
    return { changes: { ...r.changeSummary } };
  }

  async refresh(opts: RefreshOptions): Promise<OperationResult> {
    this.seed = this.fresh = undefined;
    const clear = opts.clearPendingCreates ? { clearPendingCreates: true } : {};
    const r = await this.lean(opts, (onEvent) => this.stack.refresh({ onEvent, signal: opts.signal, ...clear }));
    return { changes: { ...(r.summary.resourceChanges ?? {}) } };
  }

  async destroy(opts: OperationOptions): Promise<OperationResult> {
    this.seed = this.fresh = undefined;
    const r = await this.lean(opts, (onEvent) => this.stack.destroy({ onEvent, signal: opts.signal }));
    return { changes: { ...(r.summary.resourceChanges ?? {}) } };
  }

  /**
   * Runs one of the Automation API's operations with leaner reads after it. The API lists the
   * outputs twice (masked, then plain) and reads `stack history` for the summary after every
   * update: three CLI calls of about half a second. Here the outputs come from one export, and the
   * summary's resource changes from the engine's own summary event, which every operation ends
   * with (the history is still read if none came). The Stack's two methods are replaced on this
   * instance for the call only (Stack.up/refresh/destroy call them on `this`; @pulumi/pulumi pinned).
   */
  private async lean<R>(opts: OperationOptions, run: (onEvent: (e: Auto.EngineEvent) => void) => Promise<R>): Promise<R> {
    let changes: Record<string, number> | undefined;
    const forward = events(opts);
    const onEvent = (e: Auto.EngineEvent) => {
      if (e.summaryEvent) changes = { ...(e.summaryEvent.resourceChanges as Record<string, number>) };
      forward?.(e);
    };
    type Reads = { outputs: () => Promise<unknown>; info: (...args: unknown[]) => Promise<unknown> };
    const stack = this.stack as unknown as Reads;
    const info = stack.info;
    const own = { outputs: Object.hasOwn(stack, "outputs") ? stack.outputs : undefined, info: Object.hasOwn(stack, "info") ? info : undefined };
    stack.outputs = async () => {
      const d = await this.exportState();
      this.fresh = d;
      return outputsOf(d);
    };
    stack.info = (...args) => (changes ? Promise.resolve({ resourceChanges: changes }) : info.apply(this.stack, args));
    try {
      return await run(onEvent);
    } finally {
      for (const k of ["outputs", "info"] as const) {
        if (own[k]) (stack as Record<string, unknown>)[k] = own[k];
        else delete (stack as Partial<Reads>)[k];
      }
    }
  }

  async outputs(): Promise<Record<string, OutputValue>> {
    const seed = this.seed;
    this.seed = undefined;
    return outputsOf(seed ?? (await this.exportState()));
  }

  async publish(outputs: Record<string, OutputValue>, opts: OperationOptions = {}): Promise<OperationResult> {
    const program = async () => {
      const pulumi = await import("@pulumi/pulumi");
      return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? pulumi.secret(v.value) : v.value]));
    };
    return this.up({ program, ...opts });
  }

  exportState(): Promise<Deployment> {
    if (this.exporting) return this.exporting;
    const fresh = this.fresh;
    this.fresh = undefined;
    // A state already in hand is "in flight" too, until its readers' microtasks ran: two reads
    // made together (the record and the state it merges into) share it, as they share an export.
    const read = fresh ? Promise.resolve(fresh) : (this.stack.exportStack() as Promise<unknown> as Promise<Deployment>);
    const p = read.finally(() => {
      if (this.exporting === p) this.exporting = undefined;
    });
    this.exporting = p;
    return p;
  }

  async importState(deployment: Deployment, opts: { exclusive?: boolean } = {}): Promise<void> {
    this.seed = this.fresh = undefined;
    await this.stack.importStack(deployment);
    if (opts.exclusive) this.fresh = structuredClone(withoutPendingOperations(deployment));
  }

  async cancel(): Promise<void> {
    await this.stack.cancel();
  }

  async assertUnlocked(): Promise<void> {
    // No CLI command reads a lock, but `pulumi stack init` of an existing stack takes the backend's
    // lock before it finds the stack exists (pkg/backend/diy CreateStack): "already exists" means
    // nobody holds it, and nothing changed; a held lock fails as any locked operation does.
    try {
      await this.stack.workspace.createStack(this.stack.name);
    } catch (err) {
      if (/already exists/.test(String((err as Error).message))) return;
      throw err;
    }
    // A backend that creates without locking (none of Pulumi's today) would have made a new stack: impossible here, the stack exists.
  }
}

export class PulumiEngine implements Engine {
  private ready?: Promise<{ auto: Automation; ws: Auto.LocalWorkspace; dir: string; owned: boolean }>;
  /** Stacks whose secrets settings this workspace already holds. */
  private readonly opened = new Set<string>();
  /**
   * Stacks selected already, reused: `pulumi stack select` only checks that the stack exists, and
   * every later call names it (--stack), failing the same way (StackNotFoundError) if it went since.
   */
  private readonly stacks = new Map<string, EngineStack>();
  /**
   * Stacks this private workspace holds no config for (it was made empty by this engine and
   * nothing set any since): their config reads answer {} without a CLI call. A workspace the
   * caller gave (workDir) is never assumed empty.
   */
  private readonly noConfig = new Set<string>();

  constructor(private readonly opts: PulumiEngineOptions) {}

  private workspace() {
    this.ready ??= (async () => {
      const b = this.opts.backend;
      // Finds the CLI before loading the Automation API: a missing one is reported without paying for it.
      const cli = await locatePulumi({ ...process.env, ...b.env }, b.home);
      if (!cli) throw new PulumiMissingError(undefined, b.home);
      // Without the SDK's closure serialiser (TypeScript, arborist): loaded if ever called.
      deferClosureSerializer();
      const auto = await import("@pulumi/pulumi/automation/index.js");
      const pulumiCommand = await detachedPulumiCommand(auto, cli.root);
      let dir = this.opts.workDir;
      const owned = dir === undefined;
      if (dir === undefined) {
        await privateDir(join(b.home, "workspaces"));
        dir = await mkdtemp(join(b.home, "workspaces", "ws-"));
      }
      const ws = await auto.LocalWorkspace.create({
        workDir: dir,
        pulumiCommand,
        envVars: b.env,
        secretsProvider: b.secretsProvider,
        projectSettings: { name: PROJECT, runtime: "nodejs", backend: { url: b.url } },
        program: refuse,
      });
      return { auto, ws, dir, owned };
    })();
    // A failure (no CLI yet) is not remembered: the caller may install the CLI and try again.
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  async prepare(): Promise<void> {
    await this.workspace();
  }

  async whoami(): Promise<string> {
    const { ws } = await this.workspace();
    return (await ws.whoAmI()).user;
  }

  async listStacks(): Promise<StackListing[]> {
    const { ws } = await this.workspace();
    return (await ws.listStacks()).map((s) => ({
      name: s.name,
      ...(s.lastUpdate ? { lastUpdate: s.lastUpdate } : {}),
      ...(s.updateInProgress !== undefined ? { updateInProgress: s.updateInProgress } : {}),
      ...(s.resourceCount !== undefined ? { resourceCount: s.resourceCount } : {}),
    }));
  }

  async stackTags(name: string): Promise<Record<string, string>> {
    const { ws } = await this.workspace();
    return ws.listTags(name);
  }

  async selectStack(name: string): Promise<EngineStack> {
    const { auto, ws } = await this.workspace();
    return this.stacks.get(name) ?? this.open(await auto.Stack.select(name, ws), ws);
  }

  async createOrSelectStack(name: string): Promise<EngineStack> {
    const { auto, ws } = await this.workspace();
    const known = this.stacks.get(name);
    if (known) return known;
    // Stack.createOrSelect, done here to know which way it went: a stack this call created holds
    // nothing yet, so its first reads need no `pulumi stack export` (half a second of every new up).
    const selected = await auto.Stack.select(name, ws).catch((err: unknown) => {
      if (err instanceof auto.StackNotFoundError) return undefined;
      throw err;
    });
    if (selected) return this.open(selected, ws);
    return this.open(await auto.Stack.create(name, ws), ws, { created: true });
  }

  /**
   * A stack opened in this workspace for the first time has no Pulumi.<stack>.yaml here (another
   * machine created it): write the secrets settings recorded in its state, so that setting a
   * secret config value encrypts with the state's key instead of minting a new one.
   */
  private async open(stack: Auto.Stack, ws: Auto.LocalWorkspace, how: { created?: boolean } = {}): Promise<EngineStack> {
    const { owned } = await this.workspace();
    // A stack created a moment ago by this workspace: `stack init` wrote its secrets settings here,
    // and its state holds no resource (the session lock keeps other formations processes out).
    let seed: Deployment | undefined = how.created ? { version: 3, deployment: {} } : undefined;
    if (how.created) this.opened.add(stack.name);
    if (!this.opened.has(stack.name)) {
      const current = await ws.stackSettings(stack.name).catch(() => ({}) as Auto.StackSettings);
      if (!current.encryptionSalt && !current.encryptedKey) {
        seed = (await stack.exportStack()) as Deployment;
        const restore = secretsSettings(seed);
        if (restore) await ws.saveStackSettings(stack.name, { ...current, ...restore });
      }
      if (owned && !current.config && !(current as { environment?: unknown }).environment) this.noConfig.add(stack.name);
      this.opened.add(stack.name);
    }
    const name = stack.name;
    if (how.created && owned) this.noConfig.add(name);
    const opened = new PulumiStack(stack, { empty: () => this.noConfig.has(name), set: () => this.noConfig.delete(name) }, owned, seed, how.created);
    this.stacks.set(name, opened);
    return opened;
  }

  async removeStack(name: string): Promise<void> {
    const { ws } = await this.workspace();
    await ws.removeStack(name);
    this.stacks.delete(name);
    this.opened.delete(name);
    this.noConfig.delete(name);
  }

  async close(): Promise<void> {
    if (!this.ready) return;
    const { dir, owned } = await this.ready.catch(() => ({ dir: "", owned: false }));
    this.ready = undefined;
    // A later use opens a new workspace: nothing known of this one carries over.
    this.stacks.clear();
    this.opened.clear();
    this.noConfig.clear();
    if (owned && dir) await rm(dir, { recursive: true, force: true });
  }
}
