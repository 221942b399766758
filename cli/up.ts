/**
 * `formations up <file> [--session NAME] [--yes] [--json]`: creates or updates a session. Shows
 * the preview and asks first, unless --yes; with no terminal to ask on, --yes is required
 * (exit 2), so a pipeline never hangs on a question or applies what nobody saw.
 */
import { previewText } from "./render.js";
import type { UpResult } from "../automation/sessions.js";
import { EXIT, UsageError } from "./exit.js";
import { explainCredentials } from "./explain-credentials.js";
import type { Output } from "./output.js";
import { confirm, isInteractive, table, usdPerHour, withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

export interface UpFlags extends SessionFlags {
  session?: string;
  yes?: boolean;
}

/** The machines an update left, as a table (name, address, how to connect). */
export function machinesTable(r: Pick<UpResult, "machines">): string {
  const rows = r.machines.map((m) => [m.name, String(m.publicIp ?? m.privateIp ?? "-"), String(m.connect ?? "-")]);
  return table(["MACHINE", "ADDRESS", "CONNECT"], rows);
}

export async function upCommand(file: string, flags: UpFlags, io: Output, deps: SessionDeps = {}): Promise<number> {
  if (!flags.yes && !isInteractive(deps))
    throw new UsageError("up changes infrastructure and there is no terminal to confirm the preview on: pass --yes to apply it");
  return withSessions(flags, io, deps, async (sessions) => {
    const r = await sessions
      .up(file, {
        ...(flags.session ? { session: flags.session } : {}),
        yes: Boolean(flags.yes),
        confirm: (p) => {
          io.err(`formations: session '${p.session}'${p.created ? " (new)" : ""}: ${previewText(p.changes)}`);
          return confirm(deps, `Apply these changes to session '${p.session}'?`);
        },
      })
      .catch(async (err: unknown) => {
        // A credentials failure is explained by doctor (where credentials were looked for, the fix), then reported as usual.
        await explainCredentials(err, file, io, deps.explainCredentials).catch(() => false);
        throw err;
      });
    if (r.result === "declined") {
      io.err("formations: not applied; nothing changed");
      return EXIT.ok;
    }
    if (!flags.json) {
      io.out(`session ${r.session}: ${r.machines.length} machine${r.machines.length === 1 ? "" : "s"}, ${usdPerHour(r.hourlyUsd)} while running`);
      if (r.machines.length) io.out(machinesTable(r));
    }
    return EXIT.ok;
  });
}
