/**
 * `formations delete <session> --machine NAME [--yes] [--force] [--json]`: one machine out of a
 * session for good (automation/actions/delete-machine.ts): a Pool member, or a cluster's compute
 * node (drained in Slurm first) or self-managed worker; refused, with the reason, for a machine
 * the session cannot live without. A whole session is `formations destroy`.
 */
import { checkSessionName } from "../automation/session/naming.js";
import { changesText } from "./render.js";
import { EXIT, UsageError } from "./exit.js";
import type { Output } from "./output.js";
import { confirm, isInteractive, reportError, withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

export interface DeleteMachineFlags extends SessionFlags {
  machine?: string;
  yes?: boolean;
  force?: boolean;
}

export async function deleteMachineCommand(session: string, flags: DeleteMachineFlags, io: Output, deps: SessionDeps = {}): Promise<number> {
  try {
    checkSessionName(session);
  } catch (err) {
    return reportError(err, io);
  }
  if (!flags.machine)
    throw new UsageError(
      `name the machine to delete with --machine (names: formations show ${session}); to delete the whole session: formations destroy ${session}`,
    );
  if (!flags.yes && !isInteractive(deps))
    throw new UsageError(`delete removes ${session}/${flags.machine} for good and there is no terminal to confirm on: pass --yes`);
  const machine = flags.machine;
  return withSessions(flags, io, deps, async (sessions) => {
    const r = await sessions.deleteMachine(session, {
      machine,
      ...(flags.force ? { force: true } : {}),
      ...(flags.yes
        ? {}
        : {
            confirm: (m) =>
              confirm(
                deps,
                `Delete ${m.role} ${session}/${m.machine} and its disks? ${m.remaining.length} machine(s) remain (${m.remaining.join(", ")}); the name is not reused.`,
              ),
          }),
    });
    if (r.result === "declined") {
      io.err("formations: not confirmed; nothing changed");
      return EXIT.ok;
    }
    if (flags.json) {
      io.out(JSON.stringify({ type: "result", ...r }));
      return EXIT.ok;
    }
    if (r.scheduler.outcome === "drained" || r.scheduler.outcome === "skipped") io.out(`${session}/${machine}: ${r.scheduler.detail}`);
    io.out(`${session}/${machine}: deleted (${changesText(r.changes)}); ${r.remaining.length} machine(s) remain: ${r.remaining.join(", ")}`);
    for (const n of r.notes) io.err(`note: ${n}`);
    return EXIT.ok;
  });
}
