/**
 * `formations connect <session> [--machine NAME] [--ssh-config [--write FILE]] [--rdp-file PATH]
 * [--key PATH] [--json]`: how to reach a session's machines, from its recorded outputs
 * (connect/artifacts.ts does the text, byte for byte): the SSH command (through the proxy or head
 * node where the machine is private), a `~/.ssh/config` snippet (printed, or written into a file
 * between markers, replacing this session's earlier block), an `.rdp` file (never a password),
 * a VirtualLab's gateway URL, `docker exec` for a container. Unknown machine: exit 1 with the list.
 */
import { chmod, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { connectionArtifacts, sshConfigSnippet, type ConnectionArtifacts, type ConnectMachine } from "../connect/artifacts.js";
import { connectMachines } from "../connect/session.js";
import { puttyCommands, type PuttyCommands } from "../connect/putty.js";
import { SessionError } from "../automation/session/errors.js";
import type { SessionDetails } from "../automation/session/show.js";
import { EXIT, UsageError } from "./exit.js";
import type { Output } from "./output.js";
import { table, withSessions, type SessionDeps, type SessionFlags } from "./session-runtime.js";

export interface ConnectFlags extends SessionFlags {
  machine?: string;
  sshConfig?: boolean;
  /** With --ssh-config: write the snippet into this file instead of printing it. */
  write?: string;
  rdpFile?: string;
  key?: string;
  /** PuTTY's and plink's command lines instead of OpenSSH's. */
  putty?: boolean;
}

const expand = (p: string) => (p === "~" || p.startsWith("~/") ? `${homedir()}${p.slice(1)}` : p);

/** The one line that gets you onto a machine: ssh, else docker exec, else the desktop tunnel, else the gateway URL. */
function primary(a: ConnectionArtifacts): string | undefined {
  return a.ssh ?? a.dockerExec ?? a.tunnel ?? a.url;
}

/** The machines to act on: the one named (exit 1 with the list when unknown), else all. */
function pick(d: SessionDetails, all: ConnectMachine[], machine: string | undefined): ConnectMachine[] {
  if (machine === undefined) return all;
  const names = d.machines.map((m) => m.name);
  if (!names.includes(machine)) throw new SessionError(`no machine named '${machine}' in session '${d.session}' (machines: ${names.join(", ")})`, 1, d.session);
  const m = all.find((x) => x.machine === machine);
  if (!m) {
    const state = d.machines.find((x) => x.name === machine)?.state;
    const why =
      state === "terminated"
        ? `was removed outside formations (formations start ${d.session} --machine ${machine} creates it again)`
        : "has no address recorded: not created yet, or a node the managed big-data service runs itself (reach it through the proxy)";
    throw new SessionError(`${d.session}/${machine} ${why}`, 1, d.session);
  }
  return [m];
}

/** What connect/artifacts.ts refuses (no address yet, an address that is not one) is a message, not a crash. */
function asSessionError<T>(session: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    throw new SessionError((err as Error).message, 1, session);
  }
}

function artifacts(m: ConnectMachine, key: string | undefined): ConnectionArtifacts {
  return asSessionError(m.session, () => connectionArtifacts(m, key ? { keyPath: key } : {}));
}

const BEGIN = (s: string) => `# BEGIN formations session ${s} (written by formations connect --ssh-config)`;
const END = (s: string) => `# END formations session ${s}`;

/** The file's text with this session's block replaced, or appended when it has none. */
export function withSessionBlock(current: string, session: string, snippet: string): string {
  const block = `${BEGIN(session)}\n${snippet}${END(session)}\n`;
  const start = current.indexOf(BEGIN(session));
  const end = start < 0 ? -1 : current.indexOf(END(session), start);
  if (start >= 0 && end >= 0) return current.slice(0, start) + block + current.slice(end + END(session).length).replace(/^\n/, "");
  return `${current}${current === "" || current.endsWith("\n") ? "" : "\n"}${current === "" ? "" : "\n"}${block}`;
}

async function writeSshConfig(file: string, session: string, snippet: string): Promise<void> {
  const current = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return "";
    throw err;
  });
  await writeFile(file, withSessionBlock(current, session, snippet), { mode: 0o600 });
  if (current === "") await chmod(file, 0o600); // ssh refuses a config others can write
}

/** `--putty`: PuTTY's and plink's command lines (connect/putty.ts), for each machine reached with SSH. */
function printPutty(d: SessionDetails, chosen: ConnectMachine[], key: string | undefined, flags: ConnectFlags, io: Output): number {
  const session = d.session;
  const all = chosen
    .map((m) => asSessionError(session, () => puttyCommands(m, key ? { keyPath: key } : {})))
    .filter((p): p is PuttyCommands => p !== undefined);
  if (!all.length)
    throw new SessionError(
      `no machine of ${session}${flags.machine ? ` named ${flags.machine}` : ""} is reached with SSH, so PuTTY cannot reach it (containers: docker exec; desktops: --rdp-file or the gateway)`,
      1,
      session,
    );
  if (flags.json) {
    io.out(JSON.stringify({ session, machines: all }, null, 2));
    return EXIT.ok;
  }
  for (const p of all) {
    const state = d.machines.find((m) => m.name === p.machine)?.state;
    if (state !== "running") p.notes.unshift(`${p.machine} is ${state}: formations start ${session} --machine ${p.machine}`);
  }
  if (all.length === 1) {
    io.out(all[0]!.putty);
    io.out(all[0]!.plink);
  } else for (const p of all) io.out(`${p.machine}:\n  ${p.putty}\n  ${p.plink}`);
  // The same note (the .ppk conversion) once, not once per machine.
  for (const n of new Set(all.flatMap((p) => p.notes))) io.err(`note: ${n}`);
  return EXIT.ok;
}

export async function connectCommand(session: string, flags: ConnectFlags, io: Output, deps: SessionDeps = {}): Promise<number> {
  if (flags.write !== undefined && !flags.sshConfig) throw new UsageError("--write goes with --ssh-config (the file to write the snippet into)");
  return withSessions({ ...flags, json: false }, io, deps, async (sessions) => {
    const d = await sessions.show(session);
    const chosen = pick(d, connectMachines(d), flags.machine);
    const key = flags.key;

    if (flags.sshConfig) {
      const snippet = asSessionError(session, () => sshConfigSnippet(chosen, key ? { keyPath: key } : {}));
      if (snippet === "")
        throw new SessionError(
          `no machine of ${session}${flags.machine ? ` named ${flags.machine}` : ""} is reached with SSH (containers: docker exec; desktops: --rdp-file or the gateway)`,
          1,
          session,
        );
      if (flags.write === undefined) io.out(snippet.trimEnd());
      else {
        await writeSshConfig(expand(flags.write), session, snippet);
        io.err(
          `formations: wrote ${session}'s hosts to ${flags.write} (${chosen
            .filter((m) => snippet.includes(`Host ${m.session}-${m.machine}\n`))
            .map((m) => `ssh ${m.session}-${m.machine}`)
            .join(", ")})`,
        );
      }
      return EXIT.ok;
    }

    if (flags.putty) return printPutty(d, chosen, key, flags, io);

    const all = chosen.map((m) => artifacts(m, key));
    if (flags.rdpFile !== undefined) {
      const withRdp = all.filter((a) => a.rdpFile !== undefined);
      if (withRdp.length !== 1) {
        throw new SessionError(
          withRdp.length === 0
            ? `no machine of ${session}${flags.machine ? ` named ${flags.machine}` : ""} has a remote desktop (RDP)`
            : `more than one machine has a remote desktop: name one with --machine (${withRdp.map((a) => a.machine).join(", ")})`,
          1,
          session,
        );
      }
      const a = withRdp[0]!;
      await writeFile(expand(flags.rdpFile), a.rdpFile!);
      if (a.tunnel) io.out(a.tunnel);
      io.err(
        `formations: wrote ${flags.rdpFile} for ${session}/${a.machine}${a.tunnel ? ": open the tunnel above first, then the file; the client asks for the password" : "; the client asks for the password"}`,
      );
      return EXIT.ok;
    }

    if (flags.json) {
      io.out(JSON.stringify({ session, machines: all }, null, 2));
      return EXIT.ok;
    }
    for (const a of all) {
      const state = d.machines.find((m) => m.name === a.machine)?.state;
      if (state !== "running") a.notes.unshift(`${a.machine} is ${state}: formations start ${session} --machine ${a.machine}`);
    }
    if (all.length === 1) {
      const a = all[0]!;
      for (const line of [a.ssh, a.url, a.dockerExec, a.tunnel]) if (line !== undefined) io.out(line);
      for (const n of a.notes) io.err(`note: ${n}`);
      return EXIT.ok;
    }
    // A VirtualLab is used through its gateway: its URL comes first, on a line of its own.
    const url = d.kind === "VirtualLab" ? all.find((a) => a.url)?.url : undefined;
    if (url) io.out(url);
    io.out(
      table(
        ["MACHINE", "CONNECT"],
        all.map((a) => [a.machine, primary(a) ?? "-"]),
      ),
    );
    for (const a of all) for (const n of a.notes) io.err(`note: ${a.machine}: ${n}`);
    return EXIT.ok;
  });
}
