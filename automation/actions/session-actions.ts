/**
 * Lifecycle actions on a session or one of its machines (start, stop, hibernate, reboot,
 * shutdown, terminate): the library behind `sessions.stop("hpc-dev", { machine: "compute-3" })`.
 *
 * One action is one operation on the session: it holds the session in this process from the
 * first read to the last write (a second action waits its turn, or fails at once with exit 3
 * naming the holder), visits a cluster's machines tier by tier (workers first when stopping,
 * coordinators first when starting, waiting for each tier), takes for each machine the path its
 * provider allows (strategy.ts), journals every machine it acted on, and refreshes after acting
 * through a driver so the engine's state matches the cloud.
 */
import type { SessionPlan } from "../../plan/types.js";
import { tierOf } from "../../plan/tiers.js";
import { classify, ConcurrentUpdateError, SessionError } from "../session/errors.js";
import { checkSessionName } from "../session/naming.js";
import { refreshSession, type OpEnv } from "../session/engine-operations.js";
import type { Engine } from "../session/engine.js";
import { plannedSession, storedSession } from "../session/stored-session.js";
import type { SessionListing } from "../session/show.js";
import { tierOrder } from "./cluster.js";
import { SessionBusyError, sessionLocks } from "./lock.js";
import { viaDriver, viaUp, type ActionTuning, type PathContext, type SessionActionResult } from "./paths.js";
import { cloudOf } from "../../clouds/index.js";
import { hibernateRefusal, pathFor } from "./strategy.js";
import { actOnCluster, movesCluster, refuseUnstoppable } from "./managed-cluster.js";
import { managedService, nodeNames } from "../../plan/managed-service.js";
import { driverContext, selectMachines, sessionView, type SessionMachine, type SessionView } from "./targets.js";
import { readRecord } from "./record-changes.js";
import { sessionStates, type SessionStates } from "./states.js";
import type { ActionDriver, DriverSource, SessionActionName } from "./types.js";
import type { MachineState } from "../../plan/types.js";
import type { Observed } from "../session/drift.js";
import type { SessionRecord, SnapshotEntry } from "../session/session-record.js";
import { catalogSnapshot, type ImagesHost } from "../images/images.js";

/** What `Sessions` lends the actions: its per-session operation runner and its session list. */
export interface LifecycleHost {
  /** Runs `body` as one operation holding `session` (fails fast, naming the holder, when this process already operates it, or another holds its lock in the backend). */
  run<T>(session: string, action: string, body: (env: OpEnv) => Promise<T>, opts?: { signal?: AbortSignal }): Promise<T>;
  /** Sessions whose labels match every pair. */
  list(labels: Readonly<Record<string, string>>): Promise<SessionListing[]>;
  /** The engine, ready, for reads that hold no session (machine states). */
  engine(): Promise<Engine>;
  /** Where drivers come from (default: each provider's cloud, its driver imported on first use). */
  drivers?: DriverSource;
  /** The image catalog, where images a driver took on its own are recorded too. */
  images?: ImagesHost;
}

/** Options of `Sessions` for actions. */
export interface LifecycleOptions {
  /** Gives the driver for a provider (default: the provider's cloud, clouds/<provider>/). Tests pass a test double. */
  drivers?: DriverSource;
}

/** Options of one action call. */
export interface ActionCallOptions extends ActionTuning {
  /** One machine of the session (its name in `show`); default: every machine. */
  machine?: string;
  /** Without a graceful shutdown, or forced where the provider has it (always through the provider's API). */
  force?: boolean;
  /** Wait for another action on this session in this process (default), or fail at once (exit 3). */
  wait?: boolean;
  signal?: AbortSignal;
  /** Each machine's result as soon as its tier is settled (progress output). */
  onResult?: (result: SessionActionResult) => void;
  /** A tier begins (progress output; tests record the order). */
  onTier?: (tier: number, action: SessionActionName, machines: readonly string[]) => void;
}

/** What an action did: one result per machine acted on, in the session's machine order. */
export interface ActionReport {
  session: string;
  action: SessionActionName;
  results: SessionActionResult[];
  /** The refresh after acting through a driver: skipped when nothing changed or no driver acted. */
  refresh: "ok" | "skipped" | "failed";
  /** Why the refresh failed (the action itself stands; run `formations refresh` again). */
  refreshError?: string;
  /** Things worth knowing (machines left to a managed service). */
  notes: string[];
}

/** 0 when every machine is done or a no-op and the state was refreshed; 3 otherwise (formation-spec.md). */
export function reportExitCode(reports: readonly { results: readonly { outcome: string }[]; refresh?: string }[]): 0 | 3 {
  return reports.some((r) => r.refresh === "failed" || r.results.some((x) => x.outcome === "failed")) ? 3 : 0;
}

const UPWARDS = new Set<SessionActionName>(["start", "reboot"]);

/** Each provider's driver from its cloud, loaded on first use and kept per place (a failed load is retried next time). */
function cloudDrivers(): DriverSource {
  const cache = new Map<string, Promise<ActionDriver>>();
  return (provider, ctx) => {
    const key = JSON.stringify([provider, ctx.region ?? "", ctx.zone ?? "", ctx.project ?? "", ctx.host ?? ""]);
    let driver = cache.get(key);
    if (!driver) {
      driver = cloudOf(provider).actions.driver(ctx);
      cache.set(key, driver);
      driver.catch(() => cache.delete(key));
    }
    return driver;
  };
}

export class Lifecycle {
  private readonly drivers: DriverSource;

  constructor(private readonly host: LifecycleHost) {
    this.drivers = host.drivers ?? cloudDrivers();
  }

  /** Sessions matching labels (for batches). */
  list(labels: Readonly<Record<string, string>>): Promise<SessionListing[]> {
    return this.host.list(labels);
  }

  /** Machine states as recorded, or live from the provider; holds nothing, as `show`. */
  states(session: string, opts: { live?: boolean } = {}): Promise<SessionStates> {
    checkSessionName(session);
    const read = async (s: string) => storedSession(await this.host.engine(), s, "show");
    return sessionStates(read, (plan) => this.driverFor(plan), session, opts);
  }

  /**
   * The named machines' states read from their provider, as drift needs them (running,
   * stopped, hibernated, terminated; anything else `unknown`). Reads, holds nothing.
   */
  async observe(session: string, record: SessionRecord, outputs: Record<string, unknown>, names: readonly string[]): Promise<Record<string, Observed>> {
    // Planned here only when a refresh meets machines its state says nothing of (Docker).
    const view = sessionView(plannedSession(session, record, outputs));
    const driver = await this.driverFor(view.plan);
    const wanted = view.machines.filter((m) => names.includes(m.planned.name));
    const read = await Promise.all(wanted.map(async (m) => [m.planned.name, toObserved(await driver.state(m.target).catch(() => undefined))] as const));
    return Object.fromEntries(read);
  }

  /**
   * Terminates the machines the cloud holds labelled with `session` whose provider id the
   * engine's state does not know (`known`): what an update killed in the middle of its creates
   * left behind, which would otherwise run (and cost) unseen, and block the next create of the
   * same name. Returns them, as `machine (id)`. Clouds that cannot list by label: nothing.
   */
  async sweep(session: string, record: SessionRecord, outputs: Record<string, unknown>, known: ReadonlySet<string>): Promise<string[]> {
    const driver = await this.driverFor(plannedSession(session, record, outputs).plan);
    if (!driver.inventory) return [];
    const left = (await driver.inventory(session)).filter((t) => t.session === session && t.providerId && !known.has(t.providerId));
    const removed: string[] = [];
    for (const t of left) {
      await driver.terminate(t);
      removed.push(`${t.machine} (${t.providerId})`);
    }
    return removed;
  }

  /** The provider driver for a session's machines. */
  async driverFor(plan: SessionPlan): Promise<ActionDriver> {
    return this.drivers(plan.provider, driverContext(plan));
  }

  /**
   * Runs `body` holding `session`: waits behind another action of this process (or, with
   * `wait: false`, fails at once), then holds the session's operation slot so no `up`, refresh
   * or destroy interleaves. A busy session is exit 3 naming what holds it.
   */
  async exclusive<T>(session: string, what: string, opts: { wait?: boolean; signal?: AbortSignal }, body: (env: OpEnv) => Promise<T>): Promise<T> {
    checkSessionName(session);
    try {
      return await sessionLocks.run(session, what, () => this.host.run(session, what, body, opts.signal ? { signal: opts.signal } : {}), {
        wait: opts.wait ?? true,
      });
    } catch (err) {
      if (err instanceof SessionBusyError) throw new ConcurrentUpdateError(session, `this process (pid ${process.pid}): ${err.heldBy}`);
      throw err;
    }
  }

  /** One action on the session, or on `opts.machine`. */
  act(action: SessionActionName, session: string, opts: ActionCallOptions = {}): Promise<ActionReport> {
    return this.exclusive(session, opts.machine ? `${action} ${opts.machine}` : action, opts, (env) => this.body(env, action, session, opts));
  }

  private async body(env: OpEnv, action: SessionActionName, session: string, opts: ActionCallOptions): Promise<ActionReport> {
    const view = sessionView(await readRecord(env, session));
    const { selected, skipped } = selectMachines(view, opts.machine);
    const provider = view.plan.provider;
    const force = Boolean(opts.force);
    const managed = view.machines.filter((m) => skipped.includes(m.planned.name));
    refuseUnstoppable(view, action, managed);
    if (action === "hibernate") refuseHibernate(session, selected, provider, opts.machine);
    const cluster = movesCluster(provider, action, managed);
    const service = managedService(provider)?.service ?? "managed big-data";
    const notes = !skipped.length
      ? []
      : cluster
        ? [`${nodeNames(managed.map((m) => m.planned))}: the ${service} cluster is ${action === "start" ? "started" : "stopped"} as a whole`]
        : [
            `${nodeNames(managed.map((m) => m.planned))}: run by the ${service} cluster, which ${action === "hibernate" ? "cannot hibernate (use 'formations stop' to stop it as a whole)" : "starts and stops them itself"}; left alone`,
          ];
    const images = this.host.images;
    const ctx: PathContext = {
      env,
      view,
      action,
      force,
      tuning: pickTuning(opts),
      driver: () => this.driverFor(view.plan),
      ...(images ? { catalog: (snapshots: readonly SnapshotEntry[]) => catalogFallbacks(images, env, view, snapshots) } : {}),
    };
    const byName = new Map(selected.map((m) => [m.planned.name, m]));
    const results = new Map<string, SessionActionResult>();
    const report: ActionReport = { session, action, results: [], refresh: "skipped", notes };
    let stale = false; // a driver changed something the engine has not read yet
    // A provider engine restarting just then (Docker's, after the action's last call) fails the
    // refresh: once the driver sees it answer again, the refresh is made once more.
    const engineBack = async (err: unknown) => {
      const driver = await ctx.driver().catch(() => undefined);
      return (await driver?.awaitEngine?.(err).catch(() => false)) ?? false;
    };
    const refresh = async () => {
      stale = false;
      try {
        await refreshSession(env, session, false).catch(async (err: unknown) => {
          if (!(await engineBack(err))) throw err;
          await refreshSession(env, session, false);
        });
        report.refresh = "ok";
      } catch (err) {
        report.refresh = "failed";
        // Classified: the engine's raw error starts "code: 1"; a busy session names its holder.
        report.refreshError = `${classify(err, { session, action: "refresh" }).message.split("\n")[0]}; the action stands: run 'formations refresh ${session}'`;
      }
    };
    let blocked: string | undefined;
    // The cluster holds the master and workers: stopped before the proxy, started after it.
    const moveCluster = async () => {
      const rs = await actOnCluster(ctx, managed);
      stale ||= rs.some((r) => r.outcome === "done");
      for (const r of rs) {
        results.set(r.machine, r);
        opts.onResult?.(r);
      }
    };
    if (cluster && action !== "start") await moveCluster();
    for (const tier of tierOrder(
      selected.map((m) => m.target),
      action,
    )) {
      const members = tier.map((t) => byName.get(t.machine)!);
      if (blocked) {
        for (const m of members) results.set(m.planned.name, notAttempted(m, action, blocked, pathFor(provider, action, m, force)));
        continue;
      }
      opts.onTier?.(
        tierOf(tier[0]!.role),
        action,
        tier.map((t) => t.machine),
      );
      const settled: SessionActionResult[] = [];
      const driven = members.filter((m) => pathFor(provider, action, m, force) === "driver");
      const declared = members.filter((m) => pathFor(provider, action, m, force) === "declarative");
      if (driven.length) {
        const rs = await viaDriver(ctx, driven);
        stale ||= rs.some((r) => r.outcome === "done");
        settled.push(...rs);
      }
      if (declared.length) {
        // The engine must know what a driver just did (a spot machine it terminated) before it updates.
        if (stale) await refresh();
        settled.push(...(await viaUp(ctx, declared)));
      }
      for (const r of settled) {
        results.set(r.machine, r);
        opts.onResult?.(r);
      }
      const bad = settled.filter((r) => r.outcome === "failed");
      if (UPWARDS.has(action) && bad.length) blocked = `tier ${tierOf(tier[0]!.role)} (${bad.map((r) => r.machine).join(", ")}) did not reach running`;
    }
    if (cluster && action === "start") {
      if (blocked) for (const m of managed) results.set(m.planned.name, notAttempted(m, action, blocked, "driver"));
      else await moveCluster();
    }
    if (stale) await refresh();
    report.results = [...selected, ...(cluster ? managed : [])].map((m) => results.get(m.planned.name)!);
    return report;
  }
}

function toObserved(s: MachineState | undefined): Observed {
  return s === "running" || s === "stopped" || s === "hibernated" || s === "terminated" ? s : "unknown";
}

/** Hibernate honestly: refused before any call when a machine cannot, naming each and offering stop. */
function refuseHibernate(
  session: string,
  selected: readonly SessionMachine[],
  provider: Parameters<typeof hibernateRefusal>[0],
  machine: string | undefined,
): void {
  const why = selected.map((m) => hibernateRefusal(provider, m)).filter((w): w is string => Boolean(w));
  if (!why.length) return;
  const stop = `formations stop ${session}${machine ? ` --machine ${machine}` : ""}`;
  throw new SessionError(`cannot hibernate: ${why.join("; ")}. Nothing was changed. Use '${stop}' instead (the disks are kept; memory is not)`, 1, session);
}

function notAttempted(m: SessionMachine, action: SessionActionName, why: string, path: SessionActionResult["path"]): SessionActionResult {
  const { session, machine } = m.target;
  return { session, machine, action, outcome: "failed", from: m.recorded, to: m.recorded, error: `not attempted: ${why}`, attempts: 0, path };
}

const TUNING = ["concurrency", "limit", "retries", "baseDelayMs", "maxDelayMs", "timeoutMs", "random", "tierTimeoutMs", "pollMs"] as const;

function pickTuning(opts: ActionTuning): ActionTuning {
  const out: Record<string, unknown> = {};
  for (const k of TUNING) if (opts[k] !== undefined) out[k] = opts[k];
  return out as ActionTuning;
}

/** Adds images a driver took on its own to the catalog; a failure is a warning (the image exists, the session records it). */
async function catalogFallbacks(images: ImagesHost, env: OpEnv, view: SessionView, snapshots: readonly SnapshotEntry[]): Promise<void> {
  const f = view.formation;
  for (const s of snapshots) {
    const planned = view.plan.machines.find((m) => m.name === s.machine);
    await catalogSnapshot(images, {
      provider: view.plan.provider,
      ctx: driverContext(view.plan),
      imageId: s.id ?? s.name,
      name: s.name,
      image: s.id ?? s.name,
      session: view.session,
      machine: s.machine,
      formation: f.metadata.name,
      kind: f.kind,
      labels: (f.metadata.labels ?? {}) as Record<string, string>,
      file: view.record.file,
      formationText: view.record.formation,
      at: s.at,
      actor: env.actor,
      ...(planned ? { diskGb: planned.diskGb } : {}),
    }).catch((err: unknown) =>
      env.emit({
        type: "diagnostic",
        session: view.session,
        at: env.now().toISOString(),
        severity: "warning",
        message: `image ${s.name} of ${s.machine} is not in the image catalog: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`,
      }),
    );
  }
}
