/**
 * `formations stop-all|terminate-all [--label k=v]... [--session NAME] [--yes] [--json]
 * [--parallel N] [--timeout S]`: one action over every machine of the sessions matching the
 * labels (all must match), or of one session; one result per machine, as a table or --json;
 * exit 3 if any failed. Asks first on a terminal; without one, --yes is required (exit 2).
 */
import type { BatchActionName } from "../automation/actions/batch-sessions.js";
import { reportExitCode } from "../automation/actions/session-actions.js";
import { checkSessionName, parseSelector } from "../automation/session/naming.js";
import { actionRuntime, batchJson, resultLine, resultsTable, summaryText } from "./action-output.js";
import { EXIT, UsageError } from "./exit.js";
import type { Output } from "./output.js";
import { confirm, isInteractive, reportError, withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

export interface BatchFlags extends SessionFlags {
  label?: string[];
  session?: string;
  yes?: boolean;
  parallel?: string;
  timeout?: string;
}

function positive(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new UsageError(`${name} must be a positive ${integer ? "integer" : "number"}, got '${value}'`);
  return n;
}

export async function batchCommand(action: BatchActionName, flags: BatchFlags, io: Output, deps: SessionDeps = {}): Promise<number> {
  const verb = `${action}-all`;
  const parallel = positive("--parallel", flags.parallel, true);
  const timeout = positive("--timeout", flags.timeout, false);
  if (!flags.yes && !isInteractive(deps)) throw new UsageError(`${verb} acts on every matching machine and there is no terminal to confirm on: pass --yes`);
  let labels: Record<string, string>;
  try {
    labels = parseSelector(flags.label ?? []);
    if (flags.session !== undefined) checkSessionName(flags.session);
  } catch (err) {
    return reportError(err, io);
  }
  const rt = actionRuntime(flags, deps, parallel);
  return withSessions(rt.flags, io, rt.deps, async (sessions) => {
    const report = await (action === "stop" ? sessions.stopAll.bind(sessions) : sessions.terminateAll.bind(sessions))({
      labels,
      ...(flags.session ? { session: flags.session } : {}),
      ...(parallel ? { concurrency: parallel } : {}),
      ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
      onResult: (r) => io.err(resultLine(r)),
      ...(flags.yes
        ? {}
        : {
            confirm: ({ sessions: names }) => {
              const what = action === "stop" ? "Stop (disks kept)" : "TERMINATE (delete)";
              return confirm(deps, `${what} every machine of ${names.length} session${names.length === 1 ? "" : "s"}: ${names.join(", ")}?`);
            },
          }),
    });
    if (report.result === "declined") {
      io.err("formations: not confirmed; nothing changed");
      return EXIT.ok;
    }
    if (flags.json) io.out(JSON.stringify(batchJson(report), null, 2));
    else if (report.sessions.length === 0) io.err("formations: no session matches; nothing to do");
    else {
      io.out(resultsTable(report.results, true));
      io.out(`${verb}: ${report.sessions.length} session${report.sessions.length === 1 ? "" : "s"}, ${summaryText(report.results)}`);
      for (const r of report.reports) {
        if (r.refreshError) io.err(`formations: ${r.session}: refresh failed: ${r.refreshError}`);
        for (const n of r.notes) io.err(`formations: ${r.session}: note: ${n}`);
      }
    }
    return reportExitCode(report.reports);
  });
}
