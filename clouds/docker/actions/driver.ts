/**
 * The Docker driver: every lifecycle action through Docker's API (dockerode), on containers the
 * Docker adapter created (named `<session>-<machine>`, labelled `formations-*`). Each action reads
 * the state first, does nothing when the container already is where the action leads (no-op),
 * acts, then reads the state again so the result reports what the engine says, not what we hoped.
 */
import type Dockerode from "dockerode";
import type { Role } from "../../../plan/types.js";
import { classifyDockerError, dockerOptions } from "../engine.js";
import { containerName, LABELS, SNAPSHOT_LABEL, splitReference, stamp } from "../names.js";
import {
  ActionError,
  TARGET_STATE,
  type CommandResult,
  type ActionDriver,
  type ActionName,
  type ActionResult,
  type ActionTarget,
  type MachineState,
  type SessionActionName,
} from "../../../automation/actions/types.js";
import { fromDockerState, type DockerRawState } from "./states.js";

/** Options of the Docker driver. */
export interface DockerDriverOptions {
  /** Engine URL (the formation's `cloud.host`); default: DOCKER_HOST, as the docker CLI does. */
  host?: string;
  /** Seconds a graceful stop waits before Docker kills the container; default 10 (Docker's own). */
  stopTimeoutSeconds?: number;
  /** Clock for default snapshot names (tests pass a fixed one). */
  now?: () => Date;
  /**
   * How long a call waits for an engine that stopped answering (its socket refused or gone: a
   * restart, an upgrade) to answer again before failing as unreachable; default 30 s. 0: fail at once.
   */
  engineWaitMs?: number;
}

/** Socket errors of an engine that is down for now (restarting), as opposed to one misconfigured (EACCES, a host name that does not resolve). */
const DOWN = new Set(["ECONNREFUSED", "ENOENT"]);
/** Socket errors of a connection the engine dropped mid-request (it is stopping): whether it did what was asked is unknown. */
const DROPPED = new Set(["ECONNRESET", "EPIPE"]);

/** An engine down or going down, as opposed to one that answered with an error. */
function engineGone(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === "string" && (DOWN.has(e.code) || DROPPED.has(e.code))) return true;
  return typeof e?.message === "string" && /socket hang up/i.test(e.message);
}

const ROLES = new Set<Role>(["machine", "member", "host", "proxy", "target", "master", "worker", "head", "compute"]);

/** What to do, decided from the raw state before acting. */
type Step =
  | { kind: "no-op" }
  | { kind: "fail"; error: ActionError }
  | {
      kind: "run";
      run: (c: Dockerode.Container) => Promise<unknown>;
      /** Known before acting: what the provider does instead of what was asked. */
      fallback?: string;
      /** Read after acting: a fallback the engine took on its own (e.g. a kill after the stop timeout). */
      explain?: (after: Dockerode.ContainerInspectInfo | undefined) => string | undefined;
    };

export class DockerDriver implements ActionDriver {
  readonly provider = "docker" as const;
  private client?: Promise<Dockerode>;
  private readonly stopTimeout: number;
  /** When a call last found the engine gone (refused, reset mid-request): see {@link interruptedSince}. */
  private outageAt = -Infinity;

  constructor(private readonly opts: DockerDriverOptions = {}) {
    this.stopTimeout = opts.stopTimeoutSeconds ?? 10;
  }

  /** The dockerode client, loaded on first use so nothing before an action pays for it. */
  docker(): Promise<Dockerode> {
    this.client ??= import("dockerode").then(({ default: Docker }) => new Docker(dockerOptions(this.opts.host)));
    return this.client;
  }

  /** Every container of a session (any state), as action targets. */
  async targets(session: string): Promise<ActionTarget[]> {
    return this.select({ [LABELS.session]: session });
  }

  /** Every container labelled with the session (what a killed update's creates left included). */
  inventory(session: string): Promise<ActionTarget[]> {
    return this.targets(session);
  }

  /** Containers managed by formations whose labels match all of `labels` (stop-all / terminate-all). */
  async select(labels: Readonly<Record<string, string>>): Promise<ActionTarget[]> {
    const filters = [`${LABELS.managedBy}=formations`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
    const list = await this.call(null, (d) => d.listContainers({ all: true, filters: { label: filters } }));
    return list.flatMap((c) => {
      const l = c.Labels ?? {};
      const session = l[LABELS.session];
      const machine = l[LABELS.machine];
      if (!session || !machine) return []; // not one of ours in the shape actions need
      const role = ROLES.has(l[LABELS.role] as Role) ? (l[LABELS.role] as Role) : "machine";
      return [{ session, machine, role, providerId: c.Id }];
    });
  }

  async state(t: ActionTarget): Promise<MachineState> {
    return fromDockerState(await this.raw(t));
  }

  start(t: ActionTarget): Promise<ActionResult> {
    return this.act(t, "start", (raw) => {
      if (raw === "running") return { kind: "no-op" };
      if (raw === "paused") return { kind: "run", run: (c) => c.unpause() };
      if (raw === "restarting") return busy(t, raw);
      return { kind: "run", run: (c) => c.start() };
    });
  }

  stop(t: ActionTarget, force = false): Promise<ActionResult> {
    return this.halt(t, "stop", force);
  }

  hibernate(t: ActionTarget, force = false): Promise<ActionResult> {
    return this.act(t, "hibernate", (raw) => {
      if (raw === "paused") return { kind: "no-op" };
      if (raw === "restarting") return busy(t, raw);
      if (raw !== "running") {
        const why = `${name(t)} is ${fromDockerState(raw)}: there is no memory to keep, so nothing to hibernate (start it first, or leave it stopped)`;
        return { kind: "fail", error: new ActionError("invalid-state", why, { from: fromDockerState(raw) }) };
      }
      // Pausing is already instant and needs no guest cooperation: force changes nothing.
      return { kind: "run", run: (c) => c.pause(), ...(force ? { fallback: "Docker has no forced pause: paused as without --force" } : {}) };
    });
  }

  reboot(t: ActionTarget, force = false): Promise<ActionResult> {
    return this.act(t, "reboot", (raw) => {
      if (raw === "restarting") return busy(t, raw);
      if (raw !== "running" && raw !== "paused") {
        const why = `${name(t)} is ${fromDockerState(raw)}: nothing to reboot (use start)`;
        return { kind: "fail", error: new ActionError("invalid-state", why, { from: fromDockerState(raw) }) };
      }
      return { kind: "run", run: async (c) => (force ? (await this.kill(c), await c.start()) : await c.restart({ t: this.stopTimeout })) };
    });
  }

  /** A graceful stop: Docker sends the container's stop signal, then kills it after the timeout. */
  shutdown(t: ActionTarget): Promise<ActionResult> {
    return this.halt(t, "shutdown", false);
  }

  async snapshot(t: ActionTarget, imageName?: string): Promise<ActionResult & { imageId: string }> {
    const raw = await this.raw(t);
    const from = fromDockerState(raw);
    if (raw === "missing" || raw === "removing") throw gone(t, "nothing to snapshot");
    const ref = imageName ?? `${containerName(t.session, t.machine)}-${stamp((this.opts.now ?? (() => new Date()))())}`;
    const { repo, tag } = splitReference(ref);
    // pause: true (Docker's default) freezes the container during the commit, so files are consistent.
    const out = (await this.call(
      t,
      (d) =>
        d.getContainer(id(t)).commit({
          repo,
          tag,
          pause: true,
          comment: `formations snapshot of ${t.session}/${t.machine}`,
          changes: `LABEL ${SNAPSHOT_LABEL}=${t.session}/${t.machine}`,
        }),
      from,
    )) as { Id: string };
    const to = fromDockerState(await this.raw(t));
    return { ...base(t, "snapshot"), outcome: "done", from, to, imageId: out.Id };
  }

  terminate(t: ActionTarget): Promise<ActionResult> {
    return this.act(t, "terminate", () =>
      // v: false keeps even anonymous volumes: storage is never removed with a machine.
      ({ kind: "run", run: (c) => c.remove({ force: true, v: false }) }),
    );
  }

  private halt(t: ActionTarget, action: "stop" | "shutdown", force: boolean): Promise<ActionResult> {
    return this.act(t, action, (raw) => {
      // A created container never ran: it is as stopped as Docker can make it.
      if (raw === "exited" || raw === "dead" || raw === "created") return { kind: "no-op" };
      if (force) return { kind: "run", run: (c) => this.kill(c) };
      return {
        kind: "run",
        run: (c) => c.stop({ t: this.stopTimeout }),
        // 137 = SIGKILL: the graceful stop ran out of time and Docker killed it; say so.
        explain: (after) => (after?.State.ExitCode === 137 ? `did not shut down within ${this.stopTimeout} s: Docker killed it` : undefined),
      };
    });
  }

  /** `docker exec`: the command in the running container, its output demultiplexed and joined. */
  async run(t: ActionTarget, argv: readonly string[]): Promise<CommandResult> {
    return this.call(t, async (d) => {
      const exec = await d.getContainer(id(t)).exec({ Cmd: [...argv], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: false });
      const chunks: Buffer[] = [];
      const sink = { write: (c: Buffer) => (chunks.push(Buffer.from(c)), true) } as unknown as NodeJS.WritableStream;
      d.modem.demuxStream(stream, sink, sink);
      await new Promise<void>((resolve, reject) => {
        stream.on("end", resolve);
        stream.on("close", resolve);
        stream.on("error", reject);
      });
      // The stream ends as the process exits; the engine may record its exit code a moment later.
      let info = await exec.inspect();
      for (const deadline = Date.now() + 30_000; info.Running && Date.now() < deadline; info = await exec.inspect())
        await new Promise((r) => setTimeout(r, 100));
      return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString("utf8") };
    });
  }

  /** Whether a call found the engine gone at or after `since`: what it answered before may have been undone by its restart. */
  interruptedSince(since: number): boolean {
    return this.outageAt >= since;
  }

  /** An engine operation that failed because the Docker provider could not reach this engine: wait for it to answer again. */
  async awaitEngine(error: unknown): Promise<boolean> {
    const text = error instanceof Error ? error.message : String(error);
    if (!/Cannot connect to the Docker daemon|Error pinging Docker server/i.test(text)) return false;
    this.outageAt = Date.now();
    return this.answersAgain(Date.now() + (this.opts.engineWaitMs ?? 30_000));
  }

  retryable(error: unknown): boolean {
    const kind = error instanceof ActionError ? error.kind : classifyDockerError(error, { what: "container" }).kind;
    return kind === "throttled" || kind === "transient";
  }

  /** Read, decide, act, read again: the shape of every state-changing action. */
  private async act(t: ActionTarget, action: SessionActionName, decide: (raw: DockerRawState) => Step): Promise<ActionResult> {
    const raw = await this.raw(t);
    const from = fromDockerState(raw);
    const target = TARGET_STATE[action];
    if (from === "terminated") {
      if (action === "terminate") return { ...base(t, action), outcome: "no-op", from, to: from };
      throw gone(t, `cannot ${action} it`);
    }
    const step = decide(raw);
    if (step.kind === "no-op") return { ...base(t, action), outcome: "no-op", from, to: from };
    if (step.kind === "fail") throw step.error;
    try {
      await this.call(t, (d) => step.run(d.getContainer(id(t))), from);
    } catch (err) {
      // 304 or a lost race (someone else got there first): if the machine is where we wanted it, nothing was needed.
      // A reboot is never satisfied by the state alone.
      const now = await this.raw(t).then(fromDockerState, () => undefined);
      if (now === target && action !== "reboot") return { ...base(t, action), outcome: "no-op", from, to: now };
      throw err;
    }
    const after = await this.inspect(t);
    const to = fromDockerState(after?.State.Status);
    if (action === "start" && to === "stopped") {
      throw new ActionError("other", `${name(t)} exited right after start (exit code ${after?.State.ExitCode}): see \`docker logs ${name(t)}\``, { from, to });
    }
    const fallback = step.fallback ?? step.explain?.(after);
    return { ...base(t, action), outcome: "done", from, to, ...(fallback ? { fallback } : {}) };
  }

  /** SIGKILL, then wait until the engine has seen the exit, so the next read says stopped. */
  private async kill(c: Dockerode.Container): Promise<void> {
    await c.kill();
    await c.wait({ condition: "not-running" });
  }

  private async inspect(t: ActionTarget): Promise<Dockerode.ContainerInspectInfo | undefined> {
    try {
      return await this.call(t, (d) => d.getContainer(id(t)).inspect());
    } catch (err) {
      if (err instanceof ActionError && err.kind === "not-found") return undefined;
      throw err;
    }
  }

  private async raw(t: ActionTarget): Promise<DockerRawState> {
    return ((await this.inspect(t))?.State.Status ?? "missing") as DockerRawState;
  }

  /**
   * Every engine call goes through here, so every failure is classified the same way. An engine
   * that is down for now (a restart in the middle of a batch) is waited for, polling its ping,
   * up to `engineWaitMs`, and the call made again once it answers; only then is it unreachable.
   */
  private async call<R>(t: ActionTarget | null, f: (d: Dockerode) => Promise<R>, from?: MachineState): Promise<R> {
    const deadline = Date.now() + (this.opts.engineWaitMs ?? 30_000);
    for (;;) {
      try {
        return await f(await this.docker());
      } catch (err) {
        const code = (err as { code?: unknown } | undefined)?.code;
        if (engineGone(err)) this.outageAt = Date.now();
        if (typeof code === "string" && DOWN.has(code) && (await this.answersAgain(deadline))) continue;
        throw classifyDockerError(err, { host: this.opts.host, what: t ? name(t) : "containers", ...(from ? { from } : {}) });
      }
    }
  }

  /** Polls the engine until it answers (true) or `deadline` passes (false). */
  private async answersAgain(deadline: number): Promise<boolean> {
    const docker = await this.docker();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      if (
        await docker.ping().then(
          () => true,
          () => false,
        )
      )
        return true;
    }
    return false;
  }
}

const id = (t: ActionTarget) => t.providerId ?? containerName(t.session, t.machine);
const name = (t: ActionTarget) => containerName(t.session, t.machine);
const base = (t: ActionTarget, action: ActionName) => ({ session: t.session, machine: t.machine, action });
const busy = (t: ActionTarget, raw: DockerRawState): Step => ({
  kind: "fail",
  error: new ActionError("transient", `${name(t)} is ${raw}; try again when it settles`, { from: fromDockerState(raw) }),
});
const gone = (t: ActionTarget, what: string) =>
  new ActionError("not-found", `container ${name(t)} does not exist (removed outside formations?): ${what}`, { from: "terminated" });
