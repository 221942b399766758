/**
 * `formations snapshot <session> --machine NAME [--name IMAGE] [--save-formation FILE] [--json]`:
 * a machine image of one machine (`docker commit` for a container), printed as soon as the
 * provider gives its id, recorded in the session, and with --save-formation a new formation
 * that launches the machine from it.
 */
import { withActionSession } from "./action-output.js";
import { EXIT } from "./exit.js";
import type { Output } from "./output.js";
import type { SessionDeps, SessionFlags } from "./session-runtime.js";

export interface SnapshotFlags extends SessionFlags {
  machine: string;
  name?: string;
  saveFormation?: string;
}

export async function snapshotCommand(session: string, flags: SnapshotFlags, io: Output, deps: SessionDeps = {}): Promise<number> {
  return withActionSession(session, flags, io, deps, async (sessions) => {
    const r = await sessions.snapshot(session, {
      machine: flags.machine,
      ...(flags.name ? { name: flags.name } : {}),
      ...(flags.saveFormation ? { saveFormation: flags.saveFormation } : {}),
      // At once, before the record is written: a long image build should not hide its id.
      onImage: (id) => (flags.json ? io.err(`formations: image ${id}`) : io.out(`snapshot of ${session}/${flags.machine}: ${id}`)),
    });
    if (flags.json) {
      io.out(
        JSON.stringify(
          {
            session: r.session,
            machine: r.machine,
            imageId: r.imageId,
            name: r.name,
            image: r.image,
            ...(r.catalogId ? { catalogId: r.catalogId } : {}),
            ...(r.formation ? { formation: r.formation } : {}),
          },
          null,
          2,
        ),
      );
      return EXIT.ok;
    }
    io.out(
      `recorded in session ${session} as ${r.name}${r.catalogId ? `, and in the image catalog as ${r.catalogId} (formations images; kept when the session is destroyed)` : " (kept when the session is destroyed)"}`,
    );
    if (r.catalogError) io.err(`formations: warning: the image is not in the image catalog (${r.catalogError}); 'formations show ${session}' lists it`);
    if (r.formation)
      io.out(`wrote ${r.formation.file} (formation ${r.formation.name}): 'formations up ${r.formation.file}' launches ${r.machine} from ${r.image}`);
    return EXIT.ok;
  });
}
