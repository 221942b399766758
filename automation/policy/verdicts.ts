/**
 * The idle agent's last verdict per machine, for `show` and `enforce`: read where it can be read
 * with what the user already has, and otherwise an honest reason why not. Each cloud says where
 * (clouds/cloud.ts `idle`): through the Docker engine, read every time (clouds/docker/verdicts.ts);
 * from a VM's serial console, read only when asked (`clouds`: `enforce` always, `show --idle`),
 * since that is a cloud API call per machine (clouds/console.ts).
 */
import { findCloud } from "../../clouds/index.js";
import type { VerdictSource } from "../../clouds/cloud.js";
import type { IdleReading, MachineDetails, SessionDetails } from "../session/details.js";

export type { VerdictSource };

export interface VerdictOptions {
  /** Where verdicts come from (default: the session's cloud's reader, when it reads always or `clouds` is set). */
  source?: VerdictSource;
  /** Read cloud machines' serial consoles (one API call per machine, with the session's credentials). */
  clouds?: boolean;
  /**
   * Where the cloud's machines run no agent of their own (Docker), run it once from outside
   * before reading (the cloud's `idle.watch`): what `enforce` does, never `show`.
   */
  watch?: boolean;
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
  const reader = findCloud(d.provider)?.idle;
  const source =
    opts.source ??
    (opts.watch && reader?.watch ? await reader.watch() : reader && (reader.read === "always" || opts.clouds) ? await reader.source() : undefined);
  const machines = await Promise.all(
    d.machines.map(async (m): Promise<MachineDetails> => {
      const skip = notApplicable(d, m);
      if (skip) return { ...m, idle: { unavailable: skip } };
      if (!source) return { ...m, idle: { unavailable: CLOUD_UNREAD } };
      let idle: IdleReading;
      try {
        const verdict = await source(d, m);
        idle = verdict
          ? { verdict, ...(source.changesOnly ? { changesOnly: true } : {}) }
          : { unavailable: "no verdict yet (the idle agent has not run on it)" };
      } catch (err) {
        idle = { unavailable: (err instanceof Error ? err.message : String(err)).split("\n")[0]! };
      }
      return { ...m, idle };
    }),
  );
  return { ...d, machines };
}
