/**
 * `formations start|stop|hibernate|reboot|shutdown <session> [--machine NAME] [--force] [--json]`:
 * one lifecycle action on a session or one of its machines, through the library
 * (`sessions.stop(session, { machine })`). Exit 0 when every machine is done or already there,
 * 3 when one failed or the state could not be refreshed, 1 for an unknown session or machine (or
 * a hibernate the machine cannot do), 2 for a usage error.
 */
import type { SessionActionName } from "../automation/actions/types.js";
import { reportExitCode } from "../automation/actions/session-actions.js";
import { printReport, resultLine, withActionSession } from "./action-output.js";
import { UsageError } from "./exit.js";
import type { Output } from "./output.js";
import type { SessionDeps, SessionFlags } from "./session-runtime.js";

export type PowerVerb = Extract<SessionActionName, "start" | "stop" | "hibernate" | "reboot" | "shutdown">;

export interface ActionFlags extends SessionFlags {
  machine?: string;
  force?: boolean;
}

/** Verbs with a forced variant (formation-spec.md, "Actions"). */
const FORCEABLE = new Set<PowerVerb>(["stop", "hibernate", "reboot"]);

export async function actionCommand(verb: PowerVerb, session: string, flags: ActionFlags, io: Output, deps: SessionDeps = {}): Promise<number> {
  if (flags.force && !FORCEABLE.has(verb)) throw new UsageError(`${verb} has no forced variant (--force applies to stop, hibernate and reboot)`);
  return withActionSession(session, flags, io, deps, async (sessions) => {
    const report = await sessions[verb](session, {
      ...(flags.machine ? { machine: flags.machine } : {}),
      ...(flags.force ? { force: true } : {}),
      onResult: (r) => io.err(resultLine(r)),
    });
    printReport(report, Boolean(flags.json), io);
    return reportExitCode([report]);
  });
}
