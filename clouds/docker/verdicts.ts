/**
 * Idle verdicts of a session's containers, through the Docker engine (`cloud.host`, else
 * DOCKER_HOST): the verdict file (agent/idle-agent.ts IDLE_AGENT_PATHS.verdict) copied out of the
 * container (`docker cp`, which works on a stopped container too). Containers boot no cloud-init
 * and run no systemd: `formations enforce` runs the agent in them from outside (idle-watch.ts),
 * which writes the verdict read here.
 */
import type { Readable } from "node:stream";
import type Dockerode from "dockerode";
import { IDLE_AGENT_PATHS } from "../../agent/idle-agent.js";
import { parseVerdict } from "../../cost/idle.js";
import type { MachineDetails } from "../../automation/session/details.js";
import type { VerdictSource } from "../cloud.js";

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
        Promise.all([import("dockerode"), import("./engine.js")]).then(([{ default: Docker }, { dockerOptions }]) => new Docker(dockerOptions(host))),
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
        const exists = await docker
          .getContainer(name)
          .inspect()
          .then(
            () => true,
            () => false,
          );
        if (exists) return undefined;
        throw new Error(`container ${name} not found`, { cause: err });
      }
      const { classifyDockerError } = await import("./engine.js");
      throw new Error(classifyDockerError(err, { ...(host ? { host } : {}), what: name }).message, { cause: err });
    }
    const file = firstFileOfTar(tar);
    if (!file) throw new Error(`${IDLE_AGENT_PATHS.verdict} in ${name} is not a file`);
    const line = file.toString("utf8").trim().split("\n").at(-1) ?? "";
    return parseVerdict(line);
  };
}
