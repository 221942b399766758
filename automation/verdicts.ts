/**
 * The idle agent's last verdict per machine, for `show` and `enforce`: read where it can be read
 * with what the user already has, and otherwise an honest reason why not.
 *
 * - docker: through the engine: the verdict file (agent/idle-agent.ts IDLE_AGENT_PATHS.verdict)
 *   copied out of the container (`docker cp`, which works on a stopped container too). The
 *   Docker adapter does not run the agent in containers (no cloud-init, no systemd there): a
 *   verdict exists where the image or the user runs the agent.
 * - aws, azure, gcp, openstack: the agent copies each verdict change to the serial console,
 *   which the cloud hands to the session's own credentials (verdicts-cloud.ts: EC2
 *   GetConsoleOutput, GCE getSerialPortOutput, Azure boot diagnostics, Nova os-getConsoleOutput).
 *   Read only when asked (`clouds`: `enforce` always, `show --idle`): a cloud API call per machine.
 */
import type { Readable } from "node:stream";
import type Dockerode from "dockerode";
import { IDLE_AGENT_PATHS } from "../agent/idle-agent.js";
import { parseVerdict, type IdleVerdict } from "../cost/idle.js";
import type { IdleReading, MachineDetails, SessionDetails } from "./show.js";

/**
 * Reads one machine's last verdict; undefined = no verdict there yet. Throws with a one-line
 * reason when it cannot read. `changesOnly`: the place read holds the agent's verdict changes
 * only (a console), not its latest run (the verdict file).
 */
export type VerdictSource = ((details: SessionDetails, machine: MachineDetails) => Promise<IdleVerdict | undefined>) & { changesOnly?: boolean };

export interface VerdictOptions {
  /** Where verdicts come from (default: the Docker engine for docker sessions; the serial console on clouds with `clouds`). */
  source?: VerdictSource;
  /** Read cloud machines' serial consoles (one API call per machine, with the session's credentials). */
  clouds?: boolean;
}

/** Why a machine has no verdict to read before any call, or undefined when it may have one. */
function notApplicable(d: SessionDetails, m: MachineDetails): string | undefined {
  if (!d.lifecycle.autoStop) return "auto-stop is off";
  if (m.os === "windows") return "no idle agent on Windows";
  if (m.state === "pending") return "not created yet";
  if (m.state === "terminated") return "terminated";
  return undefined;
}

const CLOUD_UNREAD = "not read: it is on the machine's serial console (formations show --idle reads it) and in /var/lib/formations/idle-verdict.json";

/** The session's details with each machine's `idle` filled in; never throws for an unreadable verdict. */
export async function withVerdicts(d: SessionDetails, opts: VerdictOptions = {}): Promise<SessionDetails> {
  const source = opts.source ?? (d.provider === "docker" ? dockerVerdictSource() : opts.clouds ? (await import("./verdicts-cloud.js")).consoleVerdictSource() : undefined);
  const machines = await Promise.all(
    d.machines.map(async (m): Promise<MachineDetails> => {
      const skip = notApplicable(d, m);
      if (skip) return { ...m, idle: { unavailable: skip } };
      if (!source) return { ...m, idle: { unavailable: CLOUD_UNREAD } };
      let idle: IdleReading;
      try {
        const verdict = await source(d, m);
        idle = verdict ? { verdict, ...(source.changesOnly ? { changesOnly: true } : {}) } : { unavailable: "no verdict yet (the idle agent has not run on it)" };
      } catch (err) {
        idle = { unavailable: (err instanceof Error ? err.message : String(err)).split("\n")[0]! };
      }
      return { ...m, idle };
    }),
  );
  return { ...d, machines };
}

/** The contents of the first regular file in a tar stream (what the engine's archive endpoint returns). */
export function firstFileOfTar(tar: Buffer): Buffer | undefined {
  let at = 0;
  while (at + 512 <= tar.length) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) return undefined; // end of archive
    const size = parseInt(header.subarray(124, 136).toString("latin1").replace(/\0.*$/s, "").trim() || "0", 8);
    const type = String.fromCharCode(header[156]!);
    const body = at + 512;
    // '0' or NUL: a regular file; pax headers ('x', 'g') and anything else are skipped.
    if (type === "0" || type === "\0") return tar.subarray(body, body + size);
    at = body + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

async function drain(stream: Readable | NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer | string>) chunks.push(typeof c === "string" ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

/** The container `docker exec` would enter, from the machine's connect line; else the adapter's name. */
export function containerOf(session: string, m: Pick<MachineDetails, "name" | "connect">): string {
  return /\bexec -it (\S+) \S+$/.exec(m.connect ?? "")?.[1] ?? `${session}-${m.name}`;
}

/** Verdicts copied out of the session's containers through the Docker engine (`cloud.host`, else DOCKER_HOST). */
export function dockerVerdictSource(): VerdictSource {
  const clients = new Map<string, Promise<Dockerode>>();
  return async (d, m) => {
    const host = d.cloud.dockerHost;
    const key = host ?? "";
    if (!clients.has(key)) {
      clients.set(
        key,
        Promise.all([import("dockerode"), import("../clouds/docker/engine.js")]).then(([{ default: Docker }, { dockerOptions }]) => new Docker(dockerOptions(host))),
      );
    }
    const docker = await clients.get(key)!;
    const name = containerOf(d.session, m);
    let tar: Buffer;
    try {
      tar = await drain(await docker.getContainer(name).getArchive({ path: IDLE_AGENT_PATHS.verdict }));
    } catch (err) {
      const e = err as { statusCode?: number; code?: string; message?: string };
      if (e.statusCode === 404) {
        // The engine says 404 for a missing container and for a missing path alike: tell them apart.
        const exists = await docker.getContainer(name).inspect().then(() => true, () => false);
        if (exists) return undefined;
        throw new Error(`container ${name} not found`, { cause: err });
      }
      const { classifyDockerError } = await import("../clouds/docker/engine.js");
      throw new Error(classifyDockerError(err, { ...(host ? { host } : {}), what: name }).message, { cause: err });
    }
    const file = firstFileOfTar(tar);
    if (!file) throw new Error(`${IDLE_AGENT_PATHS.verdict} in ${name} is not a file`);
    const line = file.toString("utf8").trim().split("\n").at(-1) ?? "";
    return parseVerdict(line);
  };
}
