/**
 * `formations destroy <session> [--yes] [--json]`: destroys every resource of the session, then
 * the session. On a terminal it asks for the session's name; without one, --yes is required.
 */
import { changesText } from "./render.js";
import { checkSessionName } from "../automation/session/naming.js";
import { EXIT, UsageError } from "./exit.js";
import type { Output } from "./output.js";
import { ask, isInteractive, reportError, withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

export async function destroyCommand(session: string, flags: SessionFlags & { yes?: boolean }, io: Output, deps: SessionDeps = {}): Promise<number> {
  try {
    checkSessionName(session);
  } catch (err) {
    return reportError(err, io);
  }
  if (!flags.yes && !isInteractive(deps))
    throw new UsageError(`destroy deletes every resource of session '${session}' and there is no terminal to confirm on: pass --yes`);
  if (!flags.yes) {
    const typed = (await ask(deps, `This destroys every resource of session '${session}' (snapshots are kept). Type the session's name to confirm: `)).trim();
    if (typed !== session) {
      io.err("formations: not confirmed; nothing changed");
      return EXIT.ok;
    }
  }
  return withSessions(flags, io, deps, async (sessions) => {
    const r = await sessions.destroy(session);
    if (!flags.json) io.out(`session ${r.session}: destroyed (${changesText(r.changes)})`);
    return EXIT.ok;
  });
}
