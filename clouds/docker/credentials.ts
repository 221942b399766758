/**
 * The docker provider needs no cloud credentials, only a Docker engine that answers: the
 * DOCKER_HOST engine (or Docker's default socket), pinged once with a short deadline.
 */
import type { CredentialFinding, CredentialProbe } from "../cloud.js";
import { dockerOptions, engineUrl } from "./engine.js";

export async function dockerEngine(p: CredentialProbe, timeoutMs = 5_000): Promise<CredentialFinding> {
  const url = p.env.DOCKER_HOST ?? engineUrl(undefined);
  const where = `${url}${p.env.DOCKER_HOST ? " (DOCKER_HOST)" : " (Docker's default socket)"}`;
  try {
    const { default: Docker } = await import("dockerode");
    const engine = new Docker({ ...dockerOptions(url), timeout: timeoutMs });
    const info = (await engine.version()) as { Version?: string };
    return { found: true, source: `engine ${info.Version ?? ""} at ${where}`.replace("engine  at", "engine at") };
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    return {
      found: false,
      fix: `no Docker engine answers at ${where} (${why}): start Docker (or scripts/docker-engine.sh start in a clone of formations), or set DOCKER_HOST`,
    };
  }
}
