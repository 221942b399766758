/**
 * `Sessions`: the library API for pipelines (formation-spec.md, "Library API"). One session is
 * one Pulumi stack; everything needed to act on it later is kept in the stack (session/session-record.ts), so
 * another machine needs only the backend URL and the secrets passphrase.
 *
 *   const sessions = new Sessions({ backendUrl, onEvent });
 *   await sessions.up("formations/hpc.yaml", { session: "hpc-dev" });
 */
import pLimit, { type LimitFunction } from "p-limit";
import { validateFormation, FormationError } from "../format/load.js";
import type { Formation } from "../format/types.js";
import type { PowerState } from "../plan/types.js";
import { actor as currentActor } from "./session/actor.js";
import { loadBackend, prepareBackend, type BackendOptions, type ResolvedBackend } from "./session/backend.js";
import type { Engine, EngineStack } from "./session/engine.js";
import { classify, SessionError } from "./session/errors.js";
import { fromEngineEvent, safeListener, type SessionEvent } from "./session/events.js";
import { OperationRunner, type OperationContext } from "./session/runner.js";
import { openSessionLock, type SessionLock } from "./session/backend-lock/index.js";
import { checkSessionName, parseSelector, PROJECT } from "./session/naming.js";
import { listSessions, showSession } from "./session/queries.js";
import { storedRecord, storedSession } from "./session/stored-session.js";
import { OUTPUT_GATEWAY_PASSWORD } from "./session/inline-program.js";
import { withJournal, type JournalEntry, type SessionRecord, type SnapshotEntry } from "./session/session-record.js";
import type { SessionDetails, SessionListing } from "./session/show.js";
import { writeRecord } from "./session/record-store.js";
import { deploy, destroySession, refreshSession, type DeployResult, type RefreshResult, type OpEnv } from "./session/engine-operations.js";
import { Lifecycle, type ActionCallOptions, type ActionReport, type LifecycleOptions } from "./actions/session-actions.js";
import { runSessionsBatch, type BatchCallOptions, type BatchReport } from "./actions/batch-sessions.js";
import { takeSnapshot, type SnapshotOptions, type SnapshotReport } from "./actions/snapshot.js";
import type { SessionStates } from "./actions/states.js";
import { deleteMachine, type DeleteMachineOptions, type DeleteMachineReport } from "./actions/delete-machine.js";
import { cloudOf } from "../clouds/index.js";
import {
  deleteImage,
  forgetCatalogEntry,
  listImages,
  saveImageFormation,
  type ImageDeleteOptions,
  type ImageDeleteReport,
  type ImageForgetOptions,
  type ImageForgetReport,
  type ImagesHost,
  type ImagesReport,
  type ImageStoreSource,
  type SaveImageFormationOptions,
} from "./images/images.js";
import type { ImageEntry } from "./images/catalog.js";

export interface SessionsOptions extends BackendOptions, LifecycleOptions {
  /** Receives every progress event (the same objects `--json` prints). A throwing listener is ignored. */
  onEvent?: (event: SessionEvent) => void;
  /** Engine operations at once across sessions (default 4). */
  concurrency?: number;
  /** The engine (default: Pulumi's Automation API). Tests pass a test double. */
  engine?: Engine | ((backend: ResolvedBackend) => Engine);
  /** The environment to read PULUMI_* and FORMATIONS_* from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Who runs operations, for the journal (default: CI identity or user@host). */
  actor?: string;
  /** The clock (tests). */
  now?: () => Date;
  /** Gives a provider's image store for the image catalog (default: the cloud's, clouds/<provider>/). Tests pass a test double. */
  imageStores?: ImageStoreSource;
  /**
   * Hold each session's lock in the state backend for the whole of every operation (default true),
   * so two workspaces sharing the backend never act on one session at once (docs/sessions.md).
   */
  backendLock?: boolean;
}

export interface UpOptions {
  /** Session name (default: the formation's name). */
  session?: string;
  /** Apply without asking, even when `confirm` is given. */
  yes?: boolean;
  /** Called with the preview before applying (unless `yes`); false cancels. Without it, `up` applies directly. */
  confirm?: (preview: { session: string; changes: Record<string, number>; created: boolean }) => boolean | Promise<boolean>;
  /** Aborting cancels the operation gracefully. */
  signal?: AbortSignal;
}

export type { DeployResult as UpResult, RefreshResult } from "./session/engine-operations.js";

export class Sessions {
  private readonly runner: OperationRunner;
  private readonly reads: LimitFunction;
  private readonly emit: (e: SessionEvent) => void;
  private readonly actorName: string;
  private readonly now: () => Date;
  private setup?: Promise<{ backend: ResolvedBackend; engine: Engine }>;

  constructor(private readonly opts: SessionsOptions = {}) {
    this.emit = safeListener(opts.onEvent);
    this.now = opts.now ?? (() => new Date());
    this.actorName = opts.actor ?? currentActor(opts.env ?? process.env);
    const concurrency = opts.concurrency ?? 4;
    this.runner = new OperationRunner({
      concurrency,
      emit: this.emit,
      now: this.now,
      actor: this.actorName,
      ...(opts.backendLock === false ? {} : { lock: async (session, action, note) => (await this.sessionLock()).acquire(session, action, note) }),
    });
    this.reads = pLimit(concurrency);
  }

  /** Backend and engine, resolved on first use: a missing passphrase fails here, before any engine runs. */
  private ready(): Promise<{ backend: ResolvedBackend; engine: Engine }> {
    this.setup ??= (async () => {
      const backend = await loadBackend(this.opts, this.opts.env ?? process.env);
      await prepareBackend(backend);
      const e = this.opts.engine;
      const engine = typeof e === "function" ? e(backend) : (e ?? new (await import("./session/pulumi-engine.js")).PulumiEngine({ backend }));
      await engine.prepare();
      return { backend, engine };
    })();
    // A failed setup (no passphrase yet) is retried on the next call, e.g. after --create-passphrase.
    this.setup.catch(() => (this.setup = undefined));
    return this.setup;
  }

  private lock?: Promise<SessionLock>;
  /** The backend's session locks, opened on first use (its scheme's store loaded then). */
  private sessionLock(): Promise<SessionLock> {
    this.lock ??= (async () => openSessionLock((await this.ready()).backend.url, this.opts.env ?? process.env, { actor: this.actorName, project: PROJECT }))();
    this.lock.catch(() => (this.lock = undefined));
    return this.lock;
  }

  /** Resolves the backend and readies the engine, classifying a failure (no passphrase, no CLI) before any operation starts. */
  private async prepared(): Promise<Engine> {
    try {
      return (await this.ready()).engine;
    } catch (err) {
      throw classify(err, { action: "setup" });
    }
  }

  /** The resolved backend (URL, secrets provider); never holds the passphrase in a printable field. */
  async backend(): Promise<ResolvedBackend> {
    return (await this.ready()).backend;
  }

  private async env({ signal, startedAt, exclusive }: Pick<OperationContext, "signal" | "startedAt" | "exclusive">): Promise<OpEnv> {
    const { engine } = await this.ready();
    return {
      engine,
      signal,
      startedAt,
      exclusive,
      actor: this.actorName,
      now: this.now,
      emit: this.emit,
      onEngineEvent: (session) => (e) => {
        const ev = fromEngineEvent(session, e);
        if (ev) this.emit(ev);
      },
      observe: (session, record, outputs, machines) => this.lifecycle.observe(session, record, outputs, machines),
      // Reconciles the engine's state with the cloud: meaningless when a test double plays the
      // engine over the real cloud's drivers (its state was never the cloud's).
      ...(this.opts.engine === undefined || this.opts.drivers
        ? {
            sweep: (session: string, record: SessionRecord, outputs: Record<string, unknown>, known: ReadonlySet<string>) =>
              this.lifecycle.sweep(session, record, outputs, known),
          }
        : {}),
    };
  }

  /** Creates or updates the session from a formation file. */
  async up(file: string, opts: UpOptions = {}): Promise<DeployResult> {
    const { formation, text } = await load(file);
    const session = checkSessionName(opts.session ?? formation.metadata.name);
    await this.prepared();
    return this.runner.run(
      session,
      "up",
      async (ctx) =>
        deploy(await this.env(ctx), {
          session,
          formation,
          text,
          file,
          mode: opts.confirm && !opts.yes ? { confirm: opts.confirm } : "apply",
        }),
      { signal: opts.signal },
    );
  }

  /** Applies the formation stored in the session again (after its desired states changed). */
  async apply(session: string, opts: { signal?: AbortSignal } = {}): Promise<DeployResult> {
    checkSessionName(session);
    await this.prepared();
    return this.runner.run(
      session,
      "up",
      async (ctx) => {
        const env = await this.env(ctx);
        const { record, formation, plan } = await storedSession(env.engine, session, "up");
        return deploy(env, { session, formation, plan, text: record.formation, file: record.file, mode: "apply" });
      },
      opts,
    );
  }

  /** What `up` would change, changing nothing (a new session's stack is removed again). */
  async preview(file: string, opts: { session?: string; signal?: AbortSignal } = {}): Promise<DeployResult> {
    const { formation, text } = await load(file);
    const session = checkSessionName(opts.session ?? formation.metadata.name);
    await this.prepared();
    return this.runner.run(session, "preview", async (ctx) => deploy(await this.env(ctx), { session, formation, text, file, mode: "preview" }), opts);
  }

  /** Reads the real state of every resource; records machines stopped or deleted outside formations. */
  async refresh(session: string, opts: { clearPending?: boolean; signal?: AbortSignal } = {}): Promise<RefreshResult> {
    checkSessionName(session);
    await this.prepared();
    return this.runner.run(session, "refresh", async (ctx) => refreshSession(await this.env(ctx), session, opts.clearPending ?? false), opts);
  }

  /** Destroys every resource of the session, then the session itself. */
  async destroy(session: string, opts: { signal?: AbortSignal } = {}): Promise<{ session: string; changes: Record<string, number> }> {
    checkSessionName(session);
    await this.prepared();
    return this.runner.run(session, "destroy", async (ctx) => destroySession(await this.env(ctx), session), opts);
  }

  /** Sessions whose labels match every `labels` pair (`{ team: "bio" }` or `["team=bio"]`). */
  async list(opts: { labels?: Readonly<Record<string, string>> | readonly string[] } = {}): Promise<SessionListing[]> {
    const selector = Array.isArray(opts.labels) ? parseSelector(opts.labels as readonly string[]) : ((opts.labels ?? {}) as Record<string, string>);
    return listSessions(await this.prepared(), this.reads, selector);
  }

  /** Machines, states, addresses, connection details and cost so far. */
  async show(session: string): Promise<SessionDetails> {
    checkSessionName(session);
    return showSession(await this.prepared(), session, this.now());
  }

  /**
   * A VirtualLab's gateway login password (user `lab`), decrypted from the session's secret
   * output. For a pipeline or a test that logs in; never print it. Exit 1 for a session that
   * has no gateway (another kind) or whose last update did not finish creating it.
   */
  async gatewayPassword(session: string): Promise<string> {
    checkSessionName(session);
    const stored = await storedSession(await this.prepared(), session, "gateway-password");
    const value = stored.outputs[OUTPUT_GATEWAY_PASSWORD];
    if (typeof value === "string" && value !== "") return value;
    throw new SessionError(
      stored.formation.kind === "VirtualLab"
        ? `session '${session}' has no gateway password yet: its last update did not get as far as creating it (run formations up again)`
        : `session '${session}' is of kind ${stored.formation.kind}: only a VirtualLab has a gateway password`,
      1,
      session,
    );
  }

  /** The session's action journal, oldest first. */
  async journal(session: string): Promise<JournalEntry[]> {
    checkSessionName(session);
    return (await storedRecord(await this.prepared(), session, "journal")).journal;
  }

  /**
   * Records the desired power state of one machine (or all, `machine` undefined) for the actions
   * layer, with a journal entry (`action` names it: stop, start, hibernate...). A machine removed
   * outside formations comes back only when asked to run. The next `up`/`apply` converges to it.
   */
  async setDesiredState(session: string, machine: string | undefined, state: PowerState, opts: { action?: string } = {}): Promise<SessionRecord> {
    return this.mutate(session, (record, names) => {
      if (machine !== undefined && !names.includes(machine))
        throw new SessionError(`no machine named '${machine}' in session '${session}' (machines: ${names.join(", ")})`, 1, session);
      const targets = (machine ? [machine] : names).filter((n) => state === "running" || !record.removed[n]);
      const desired = { ...record.desired };
      const removed = { ...record.removed };
      for (const n of targets) {
        desired[n] = state;
        delete removed[n];
      }
      const from = machine ? (record.removed[machine] ? "terminated" : (record.desired[machine] ?? "running")) : undefined;
      return {
        next: { ...record, desired, removed },
        entry: { action: opts.action ?? "set-desired", ...(machine ? { machine } : {}), ...(from ? { from } : {}), to: state, result: "ok" },
      };
    });
  }

  /** Appends an entry to the session's journal (the actions layer records what it did). */
  async appendJournal(session: string, entry: Omit<JournalEntry, "at" | "actor"> & Partial<Pick<JournalEntry, "at" | "actor">>): Promise<SessionRecord> {
    return this.mutate(session, (record) => ({ next: record, entry }));
  }

  /** Records a snapshot (machine image) taken from one of the session's machines. */
  async addSnapshot(session: string, snapshot: SnapshotEntry): Promise<SessionRecord> {
    return this.mutate(session, (record) => ({
      next: { ...record, snapshots: [...record.snapshots, snapshot] },
      entry: { action: "snapshot", machine: snapshot.machine, result: "ok", detail: snapshot.name },
    }));
  }

  private mutate(
    session: string,
    change: (record: SessionRecord, machines: string[]) => { next: SessionRecord; entry: Omit<JournalEntry, "at" | "actor"> & Partial<JournalEntry> },
  ): Promise<SessionRecord> {
    checkSessionName(session);
    return this.runner.run(session, "record", async (ctx) => {
      const engine = await this.prepared();
      const stack: EngineStack = await engine.selectStack(session);
      const { record, plan } = await storedSession(engine, session, "record");
      const names = plan.machines.map((m) => m.name);
      const { next, entry } = change(record, names);
      const full: JournalEntry = { at: this.now().toISOString(), actor: this.actorName, ...entry };
      // What was written: other processes' entries written meanwhile are merged in, never dropped.
      const saved = await writeRecord(stack, withJournal(next, full), undefined, { exclusive: ctx.exclusive });
      this.emit({ type: "journal", session, at: full.at, entry: full });
      return saved;
    });
  }

  // Lifecycle actions (automation/actions/): each is one operation holding the session, run by this runner.
  private life?: Lifecycle;
  private get lifecycle(): Lifecycle {
    return (this.life ??= new Lifecycle({
      ...(this.opts.drivers ? { drivers: this.opts.drivers } : {}),
      images: this.imagesHost,
      list: (labels) => this.list({ labels }),
      engine: () => this.prepared(),
      run: async (s, a, body, o) => (await this.prepared(), this.runner.run(s, a, async (ctx) => body(await this.env(ctx)), o)),
    }));
  }
  /** Starts the session's machines (or `opts.machine`), coordinators first. */
  start(session: string, opts?: ActionCallOptions): Promise<ActionReport> {
    return this.lifecycle.act("start", session, opts);
  }
  /** Stops them, root volumes kept (`force`: without a graceful shutdown), workers first. */
  stop(session: string, opts?: ActionCallOptions): Promise<ActionReport> {
    return this.lifecycle.act("stop", session, opts);
  }
  /** Hibernates them (Docker: pause); refused before any call where a machine cannot. */
  hibernate(session: string, opts?: ActionCallOptions): Promise<ActionReport> {
    return this.lifecycle.act("hibernate", session, opts);
  }
  /** Reboots them (`force`: hard reset). */
  reboot(session: string, opts?: ActionCallOptions): Promise<ActionReport> {
    return this.lifecycle.act("reboot", session, opts);
  }
  /** Shuts their operating systems down gracefully. */
  shutdown(session: string, opts?: ActionCallOptions): Promise<ActionReport> {
    return this.lifecycle.act("shutdown", session, opts);
  }
  /** A machine image of one machine, kept after the session is destroyed, and added to the image catalog. */
  snapshot(session: string, opts: SnapshotOptions): Promise<SnapshotReport> {
    return takeSnapshot(this.lifecycle, session, opts, this.imagesHost);
  }
  /** Deletes one machine for good (a Pool member, a compute node after Slurm drained it, a self-managed worker); its name is not reused. */
  deleteMachine(session: string, opts: DeleteMachineOptions): Promise<DeleteMachineReport> {
    return deleteMachine(this.lifecycle, session, opts);
  }
  /** Stops every machine of the sessions matching `labels` (or of `session`), one result per machine. */
  stopAll(opts?: BatchCallOptions): Promise<BatchReport> {
    return runSessionsBatch(this.lifecycle, "stop", opts);
  }
  /** Machine states (pending ... interrupted): as recorded, or `live` from the provider. */
  states(session: string, opts?: { live?: boolean }): Promise<SessionStates> {
    return this.lifecycle.states(session, opts);
  }
  /** Terminates every machine of the sessions matching `labels` (or of `session`), one result per machine. */
  terminateAll(opts?: BatchCallOptions): Promise<BatchReport> {
    return runSessionsBatch(this.lifecycle, "terminate", opts);
  }

  // The image catalog (automation/images/): every snapshot any session took, kept in the backend.
  private get imagesHost(): ImagesHost {
    const stores: ImageStoreSource = this.opts.imageStores ?? (async (provider, ctx) => cloudOf(provider).actions.images(ctx));
    return { engine: () => this.prepared(), reads: this.reads, now: this.now, stores };
  }
  /** Every image in the catalog whose source formation's labels match (`{ team: "bio" }` or `["team=bio"]`), newest first, with age and monthly storage cost. */
  async images(opts: { labels?: Readonly<Record<string, string>> | readonly string[] } = {}): Promise<ImagesReport> {
    const selector = Array.isArray(opts.labels) ? parseSelector(opts.labels as readonly string[]) : ((opts.labels ?? {}) as Record<string, string>);
    return listImages(this.imagesHost, selector);
  }
  /** Deletes an image (catalog id, provider image id or name) and what stores it, then its catalog entry; undefined when `confirm` declined. */
  deleteImage(ref: string, opts?: ImageDeleteOptions): Promise<ImageDeleteReport | undefined> {
    return deleteImage(this.imagesHost, ref, opts);
  }
  /** Removes an image's catalog entry only, never calling the provider (the image stays, for its owner to delete); undefined when `confirm` declined. */
  forgetImage(ref: string, opts?: ImageForgetOptions): Promise<ImageForgetReport | undefined> {
    return forgetCatalogEntry(this.imagesHost, ref, opts);
  }
  /** Writes the formation that launches an image's machine from it (default file: `<new name>.yaml`; never over an existing file). */
  saveImageFormation(ref: string, file: string | undefined, opts?: SaveImageFormationOptions): Promise<{ file: string; name: string; image: ImageEntry }> {
    return saveImageFormation(this.imagesHost, ref, file, opts);
  }

  /** Sessions with an operation running or queued in this process. */
  busy(): string[] {
    return this.runner.busySessions();
  }

  /** Cancels every running operation gracefully (Ctrl-C); returns the sessions cancelled. */
  cancel(): string[] {
    return this.runner.cancelAll();
  }

  /** Releases the engine's workspace. */
  async close(): Promise<void> {
    const s = this.setup;
    this.setup = undefined;
    if (s) await (await s.catch(() => undefined))?.engine.close();
  }
}

async function load(file: string): Promise<{ formation: Formation; text: string }> {
  const r = await validateFormation(file);
  if (!r.valid) throw new FormationError(file, r.errors, r.source);
  return { formation: r.formation, text: r.source };
}
