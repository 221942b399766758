/**
 * `formations refresh <session> [--clear-pending] [--json]`: reads the real state of every
 * resource and records machines stopped or deleted outside formations, so the next `up`
 * respects them. --clear-pending drops the operations an interrupted update left pending; the
 * resources they concern are listed, to import or delete.
 */
import { changesText } from "./render.js";
import { EXIT } from "./exit.js";
import type { Output } from "./output.js";
import { withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

export async function refreshCommand(session: string, flags: SessionFlags & { clearPending?: boolean }, io: Output, deps: SessionDeps = {}): Promise<number> {
  return withSessions(flags, io, deps, async (sessions) => {
    const r = await sessions.refresh(session, { clearPending: Boolean(flags.clearPending) });
    if (flags.json) return EXIT.ok;
    io.out(`session ${r.session}: refreshed (${changesText(r.changes)})`);
    for (const d of r.drift) {
      io.out(
        d.to === "removed"
          ? `  ${d.machine}: deleted outside formations; recorded, 'up' will not recreate it (start it to bring it back)`
          : `  ${d.machine}: ${d.from} -> ${d.to} outside formations; recorded, 'up' keeps it ${d.to}`,
      );
    }
    if (r.drift.length === 0) io.out("  no machine changed outside formations");
    if (r.cleared.length) {
      io.out(
        `cleared ${r.cleared.length} pending operation(s). Check the cloud for these resources; import what still exists ('pulumi import') or delete it, then run 'formations up':`,
      );
      for (const c of r.cleared) io.out(`  ${c.urn} (was ${c.type})`);
    }
    if (r.leftovers.length) io.out(`terminated ${r.leftovers.length} machine(s) the interrupted creates left, unknown to the state: ${r.leftovers.join(", ")}`);
    return EXIT.ok;
  });
}
