/**
 * `formations delete <session> --machine NAME`: one machine out of a session for good. A Pool
 * member, an HPC cluster's compute node or a self-managed Spark worker goes: its name is recorded
 * as deleted in the session (never planned again, never reused: a Pool of 3 without machine-2 is
 * machine-1 and machine-3), then an update removes its resources. A compute node is drained in
 * Slurm first where the driver can run a command on the head (Docker: `docker exec`), so no job
 * is cut short. Machines the session cannot live without are refused, with the reason.
 */
import type { Role } from "../../plan/types.js";
import { deploy, type OpEnv } from "../session/engine-operations.js";
import { SessionError } from "../session/errors.js";
import { withJournal } from "../session/session-record.js";
import { writeRecord } from "../session/record-store.js";
import { plannedSession } from "../session/stored-session.js";
import { readRecord } from "./record-changes.js";
import type { Lifecycle } from "./session-actions.js";
import { sessionView, type SessionMachine, type SessionView } from "./targets.js";
import type { ActionDriver, ActionTarget } from "./types.js";

export interface DeleteMachineOptions {
  machine: string;
  /** Called once the machine is known to be deletable, before anything changes; false cancels. */
  confirm?: (m: { session: string; machine: string; role: Role; remaining: string[] }) => boolean | Promise<boolean>;
  /** Skip waiting for Slurm to drain the node (jobs on it are killed). */
  force?: boolean;
  /** How long a draining node's jobs may take to finish (default 15 minutes). */
  drainTimeoutMs?: number;
  /** Between two looks at a draining node (default 2 s). */
  pollMs?: number;
  wait?: boolean;
  signal?: AbortSignal;
}

export interface DeleteMachineReport {
  session: string;
  machine: string;
  role: Role;
  /** `declined`: confirm said no; nothing changed. */
  result: "ok" | "declined";
  /** What the scheduler was told first: drained (Slurm), not-needed (no scheduler), or why it could not be. */
  scheduler: { outcome: "drained" | "not-needed" | "skipped" | "unsupported"; detail?: string };
  /** The session's machines after the delete. */
  remaining: string[];
  changes: Record<string, number>;
  notes: string[];
}

/** What deciding a refusal needs to know of a machine (from the plan, or from `show` in the console's menu). */
export interface DeleteSubject {
  name: string;
  role: Role | string;
  /** A node the managed big-data service runs. */
  managed: boolean;
}

/**
 * Why a machine cannot be deleted alone; undefined when it can. Pure: the CLI, the library and
 * the console's menu refuse in the same words. `machines` are the session's machines now.
 */
export function deleteRefusal(session: string, provider: string, m: DeleteSubject, machines: readonly Pick<DeleteSubject, "role">[]): string | undefined {
  const destroy = `the session cannot live without it: 'formations destroy ${session}' ends the whole session`;
  switch (m.role) {
    case "member": {
      const left = machines.filter((x) => x.role === "member").length;
      return left <= 1 ? `${m.name} is the pool's last machine: ${destroy}` : undefined;
    }
    case "compute":
      return undefined;
    case "worker":
      return m.managed
        ? `${m.name} is a worker of the managed big-data service (${provider}): resize its workers in the formation ('spec.workers.count') and run 'formations up'`
        : undefined;
    case "head":
      return `${m.name} is the cluster's head node (Slurm controller and shared storage): ${destroy}`;
    case "master":
      return `${m.name} is the Spark master: ${destroy}`;
    case "proxy":
      return `${m.name} is the session's proxy, the way in to its private machines: ${destroy}`;
    case "target":
      return `${m.name} is the lab's desktop, the machine the gateway serves: ${destroy}`;
    case "machine":
    case "host":
      return `${m.name} is the session's only machine: ${destroy}`;
    default:
      return `a ${m.role} cannot be deleted alone: ${destroy}`;
  }
}

const DRAINED = /^(drained|down|fail|unknown|not_responding|future)/;

/** Tells Slurm on the head to drain the node and waits until no job runs on it. */
async function drainSlurm(driver: ActionDriver, head: ActionTarget, node: string, opts: DeleteMachineOptions): Promise<DeleteMachineReport["scheduler"]> {
  if (!driver.run)
    return {
      outcome: "unsupported",
      detail: `the ${driver.provider} driver cannot run a command on the head node, so Slurm was not told: jobs on ${node} end with it, and 'scontrol show node ${node}' lists it as down until slurm.conf drops it`,
    };
  const run = driver.run.bind(driver);
  const drain = await run(head, ["scontrol", "update", `NodeName=${node}`, "State=DRAIN", "Reason=formations delete"]);
  if (drain.exitCode !== 0) {
    const why = drain.output.trim().split("\n")[0] ?? "";
    if (/invalid node name/i.test(why)) return { outcome: "not-needed", detail: `Slurm does not know ${node} (never registered)` };
    throw new SessionError(
      `could not drain ${node} in Slurm on ${head.machine} (scontrol exited ${drain.exitCode}: ${why}); nothing was deleted. Delete anyway with --force (jobs on it are killed)`,
      3,
      head.session,
    );
  }
  if (opts.force) return { outcome: "skipped", detail: `drain asked; --force did not wait for jobs on ${node} to finish` };
  const deadline = Date.now() + (opts.drainTimeoutMs ?? 15 * 60_000);
  for (;;) {
    const state = (await run(head, ["sinfo", "-h", "-N", "-n", node, "-o", "%T"])).output.trim().toLowerCase();
    if (DRAINED.test(state) || state === "") return { outcome: "drained", detail: `Slurm drained ${node} (${state || "gone"})` };
    if (Date.now() > deadline || opts.signal?.aborted) {
      throw new SessionError(
        `${node} is still ${state} in Slurm (jobs running) after ${Math.round((opts.drainTimeoutMs ?? 900_000) / 1000)} s; it stays drained, so no new job starts there. Run the delete again once its jobs end, or with --force`,
        3,
        head.session,
      );
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 2000));
  }
}

/** What the scheduler must be told before `m` goes. */
async function tellScheduler(life: Lifecycle, view: SessionView, m: SessionMachine, opts: DeleteMachineOptions): Promise<DeleteMachineReport["scheduler"]> {
  if (view.plan.kind !== "HPCCluster" || m.planned.role !== "compute") return { outcome: "not-needed" };
  const head = view.machines.find((x) => x.planned.role === "head");
  if (!head || head.recorded !== "running") return { outcome: "not-needed", detail: `the head node is ${head?.recorded ?? "missing"}: no job runs` };
  if (m.recorded !== "running") return { outcome: "not-needed", detail: `${m.planned.name} is ${m.recorded}: no job runs on it` };
  return drainSlurm(await life.driverFor(view.plan), head.target, m.planned.name, opts);
}

export async function deleteMachine(life: Lifecycle, session: string, opts: DeleteMachineOptions): Promise<DeleteMachineReport> {
  if (!opts.machine) throw new SessionError("name the machine to delete with --machine (a whole session: formations destroy)", 2, session);
  return life.exclusive(session, `delete ${opts.machine}`, opts, async (env: OpEnv) => {
    const view = sessionView(await readRecord(env, session));
    const m = view.machines.find((x) => x.planned.name === opts.machine);
    if (!m) {
      const was = view.record.deleted[opts.machine];
      if (was)
        throw new SessionError(
          `${session}/${opts.machine} was deleted already (${was.at}${was.by ? ` by ${was.by}` : ""}); its name is not reused`,
          1,
          session,
        );
      throw new SessionError(
        `no machine named '${opts.machine}' in session '${session}' (machines: ${view.machines.map((x) => x.planned.name).join(", ")})`,
        1,
        session,
      );
    }
    const refusal = deleteRefusal(
      session,
      view.plan.provider,
      { name: m.planned.name, role: m.planned.role, managed: Boolean(m.planned.managedBy) },
      view.plan.machines,
    );
    if (refusal) throw new SessionError(`cannot delete ${session}/${opts.machine}: ${refusal}. Nothing was changed`, 1, session);
    const remaining = view.machines.map((x) => x.planned.name).filter((n) => n !== opts.machine);
    const role = m.planned.role;
    if (opts.confirm && !(await opts.confirm({ session, machine: opts.machine, role, remaining }))) {
      return {
        session,
        machine: opts.machine,
        role,
        result: "declined",
        scheduler: { outcome: "not-needed" },
        remaining: view.machines.map((x) => x.planned.name),
        changes: {},
        notes: [],
      };
    }
    const scheduler = await tellScheduler(life, view, m, opts);
    // The intent first: recorded, a failed update below leaves it for the next `up` to finish.
    const stack = await env.engine.selectStack(session);
    // The operation's start, as the update's own entry has: the journal stays in time order.
    const at = env.startedAt;
    const entry = {
      at,
      actor: env.actor,
      action: "delete",
      machine: opts.machine,
      from: m.recorded,
      to: "terminated",
      result: "ok",
      ...(scheduler.detail ? { detail: scheduler.detail } : {}),
    };
    const record = withJournal({ ...view.record, deleted: { ...view.record.deleted, [opts.machine]: { at, by: env.actor } } }, entry);
    await writeRecord(stack, record, undefined, { exclusive: env.exclusive });
    env.emit({ type: "journal", session, at, entry });
    const next = plannedSession(session, record, {});
    const r = await deploy(env, { session, formation: next.formation, plan: next.plan, text: record.formation, file: record.file, mode: "apply" });
    const notes = [
      `${opts.machine}'s name is not reused: the formation's count still names it, and a higher count adds new names after it`,
      ...(scheduler.outcome === "unsupported" && scheduler.detail ? [scheduler.detail] : []),
    ];
    return { session, machine: opts.machine, role, result: "ok", scheduler, remaining: r.machines.map((x) => x.name), changes: r.changes, notes };
  });
}
