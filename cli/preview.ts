/** `formations preview <file> [--session NAME] [--json]`: what `up` would change, changing nothing. */
import { previewText } from "./render.js";
import { EXIT } from "./exit.js";
import type { Output } from "./output.js";
import { withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

export async function previewCommand(file: string, flags: SessionFlags & { session?: string }, io: Output, deps: SessionDeps = {}): Promise<number> {
  return withSessions(flags, io, deps, async (sessions) => {
    const r = await sessions.preview(file, flags.session ? { session: flags.session } : {});
    if (!flags.json) io.out(`session ${r.session}: ${previewText(r.changes)}`);
    return EXIT.ok;
  });
}
