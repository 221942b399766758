import { Command, CommanderError, Option } from "commander";
import { FormationError } from "../format/diagnostics.js";
import { UserError } from "../user-error.js";
import { EXIT, UsageError } from "./exit.js";
import { failureOf, processOutput, type Output } from "./output.js";
import { VERSION } from "./version.js";

/**
 * Builds the command tree. Each action imports its module on demand, so `validate` never loads
 * Pulumi or a cloud SDK and every command starts fast.
 */
export function buildProgram(io: Output, setCode: (code: number) => void): Command {
  const program = new Command("formations")
    .description("Launch labs and clusters from YAML formations, on any cloud.")
    .version(VERSION)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command("validate")
    .description("check formation files against the schema; a directory is searched for *.yaml/*.yml")
    .argument("<paths...>", "formation files or directories")
    .addOption(new Option("--json", "print results as JSON (every error; text prints the first 100 per file)"))
    .option("--strict", "report YAML files found in a directory that are not formations (default: skip them)")
    .action(async (paths: string[], opts: { json?: boolean; strict?: boolean }) => {
      const { validateCommand } = await import("./validate.js");
      setCode(await validateCommand(paths, opts, io));
    });

  program
    .command("plan")
    .description("compile a formation offline (no credentials, network or Pulumi CLI): resource tree and hourly cost")
    .argument("<file>", "formation file")
    .option("--session <name>", "session name (default: the formation's name)")
    .addOption(new Option("--json", "print the plan as JSON"))
    .action(async (file: string, opts: { json?: boolean; session?: string }) => {
      const { planCommand } = await import("./plan.js");
      setCode(await planCommand(file, opts, io));
    });

  // Session verbs (automation/): each imports its module, and Pulumi, only when it runs.
  const sessionOptions = (c: Command) =>
    c
      .option("--backend-url <url>", "state backend (default: PULUMI_BACKEND_URL, else file://~/.formations/state)")
      .option("--secrets-provider <provider>", "Pulumi secrets provider (default: passphrase)")
      .option("--create-passphrase", "create a passphrase in FORMATIONS_HOME when none is set (local default backend)")
      .option("--install-pulumi", "when no Pulumi CLI is found, download the pinned version into FORMATIONS_HOME (needs the internet)")
      .addOption(new Option("--json", "print newline-delimited JSON events (sessions, show: one JSON document)"));
  const collect = (v: string, all: string[]) => [...all, v];

  sessionOptions(program.command("up").description("create or update a session from a formation (shows the preview and asks, unless --yes)"))
    .argument("<file>", "formation file")
    .option("--session <name>", "session name (default: the formation's name)")
    .option("--yes", "apply without asking (required when not on a terminal)")
    .action(async (file: string, opts) => {
      const { upCommand } = await import("./up.js");
      setCode(await upCommand(file, opts, io));
    });

  sessionOptions(program.command("preview").description("show what up would change, changing nothing"))
    .argument("<file>", "formation file")
    .option("--session <name>", "session name (default: the formation's name)")
    .action(async (file: string, opts) => {
      const { previewCommand } = await import("./preview.js");
      setCode(await previewCommand(file, opts, io));
    });

  sessionOptions(program.command("refresh").description("read the real state of a session's resources; record machines stopped or deleted outside formations"))
    .argument("<session>", "session name")
    .option("--clear-pending", "drop operations left pending by an interrupted update (then import or delete what the cloud still has)")
    .action(async (session: string, opts) => {
      const { refreshCommand } = await import("./refresh.js");
      setCode(await refreshCommand(session, opts, io));
    });

  sessionOptions(program.command("destroy").description("destroy every resource of a session, then the session"))
    .argument("<session>", "session name")
    .option("--yes", "destroy without asking (required when not on a terminal)")
    .action(async (session: string, opts) => {
      const { destroyCommand } = await import("./destroy.js");
      setCode(await destroyCommand(session, opts, io));
    });

  sessionOptions(program.command("sessions").description("list sessions, filtered by labels, with their cost now and so far"))
    .option("--label <k=v>", "only sessions with this label (repeat: all must match)", collect, [] as string[])
    .option("--no-cost", "skip the cost so far (one state read per session): list from the stack tags alone")
    .option("--states", "each session's machines counted by state (pending, running, stopped, hibernated, terminated, interrupted)")
    .option("--live", "with --states: as each provider reports them now, not as recorded")
    .action(async (opts) => {
      if (opts.live && !opts.states) throw new UsageError("--live goes with --states (or: formations show <session> --live)");
      if (opts.states) {
        const { sessionsStatesCommand } = await import("./states.js");
        return setCode(await sessionsStatesCommand(opts, io));
      }
      const { sessionsCommand } = await import("./sessions.js");
      setCode(await sessionsCommand(opts, io));
    });

  sessionOptions(program.command("show").description("a session's machines, states, addresses, connection details and cost so far"))
    .argument("<session>", "session name")
    .option("--idle", "also read each cloud machine's last idle verdict from its serial console (one API call per machine)")
    .option("--live", "machine states as each provider reports them now (interrupted: spot capacity reclaimed), not as recorded")
    .action(async (session: string, opts) => {
      if (opts.live) {
        const { showLiveCommand } = await import("./states.js");
        return setCode(await showLiveCommand(session, opts, io));
      }
      const { showCommand } = await import("./show.js");
      setCode(await showCommand(session, opts, io));
    });

  // Lifecycle actions (automation/actions/): the library's session actions, one thin verb each.
  for (const verb of ["start", "stop", "hibernate", "reboot", "shutdown"] as const) {
    const what = {
      start: "start stopped or hibernated machines",
      stop: "stop machines, disks kept",
      hibernate: "hibernate machines: memory saved to disk (Docker: pause)",
      reboot: "reboot machines",
      shutdown: "shut machines' operating systems down gracefully",
    }[verb];
    sessionOptions(program.command(verb).description(`${what} (a whole session, clusters in tier order, or one machine)`))
      .argument("<session>", "session name")
      .option("--machine <name>", "only this machine (names: formations show <session>)")
      .option("--force", "without a graceful shutdown / forced where the provider has it (stop, hibernate, reboot)")
      .action(async (session: string, opts) => {
        const { actionCommand } = await import("./actions.js");
        setCode(await actionCommand(verb, session, opts, io));
      });
  }

  sessionOptions(program.command("snapshot").description("a machine image of one machine (docker commit for a container), kept when the session is destroyed"))
    .argument("<session>", "session name")
    .requiredOption("--machine <name>", "the machine to image")
    .option("--name <image>", "the image's name (default: <session>-<machine>-<time>)")
    .option("--save-formation <file>", "also write a formation that launches the machine from the image (never over an existing file)")
    .action(async (session: string, opts) => {
      const { snapshotCommand } = await import("./snapshot.js");
      setCode(await snapshotCommand(session, opts, io));
    });

  // The image catalog (automation/images/): every snapshot, kept in the backend after its session is destroyed.
  const images = sessionOptions(
    program
      .command("images")
      .description("every machine image any session took (kept after destroy): provider, region, size, source, age, monthly storage cost"),
  )
    .option("--label <k=v>", "only images whose source formation has this label (repeat: all must match)", collect, [] as string[])
    .action(async (opts) => {
      const { imagesCommand } = await import("./images.js");
      setCode(await imagesCommand(opts, io));
    });
  sessionOptions(
    images.command("delete").description("delete an image and the storage behind it (snapshots, layers), then its catalog entry; asks first unless --yes"),
  )
    .argument("<id>", "the image's ID (formations images), or its provider id or name")
    .option("--yes", "delete without asking (required when not on a terminal)")
    .action(async (id: string, opts) => {
      const { imagesDeleteCommand } = await import("./images.js");
      setCode(await imagesDeleteCommand(id, opts, io));
    });
  sessionOptions(
    images
      .command("forget")
      .description(
        "remove an image's catalog entry only, never touching the cloud (an image images delete refuses, or one deleted by hand); asks first unless --yes",
      ),
  )
    .argument("<id>", "the image's ID (formations images), or its provider id or name")
    .option("--yes", "forget without asking (required when not on a terminal)")
    .action(async (id: string, opts) => {
      const { imagesForgetCommand } = await import("./images.js");
      setCode(await imagesForgetCommand(id, opts, io));
    });
  sessionOptions(
    images.command("save-formation").description("write the formation that launches the image's machine from it (the source session's formation, edited)"),
  )
    .argument("<id>", "the image's ID (formations images), or its provider id or name")
    .option("-o, --output <file>", "where to write it (default: <new formation name>.yaml here; never over an existing file)")
    .option("--name <name>", "the new formation's name (default: <formation>-<machine>-<time>)")
    .action(async (id: string, opts) => {
      const { imagesSaveFormationCommand } = await import("./images.js");
      setCode(await imagesSaveFormationCommand(id, opts, io));
    });

  sessionOptions(
    program
      .command("delete")
      .description(
        "delete one machine of a session: a Pool member, or a cluster's compute node or worker (its name is not reused); a whole session: formations destroy",
      ),
  )
    .argument("<session>", "session name")
    .option("--machine <name>", "the machine to delete (names: formations show <session>)")
    .option("--yes", "delete without asking (required when not on a terminal)")
    .option("--force", "a compute node: do not wait for Slurm to drain it (its jobs are killed)")
    .action(async (session: string, opts) => {
      const { deleteMachineCommand } = await import("./delete-machine.js");
      setCode(await deleteMachineCommand(session, opts, io));
    });

  for (const action of ["stop", "terminate"] as const) {
    sessionOptions(
      program
        .command(`${action}-all`)
        .description(`${action} every machine of the sessions matching --label (or of --session), in parallel, one result per machine`),
    )
      // Either a selector or one session: both at once would leave the user guessing which applied.
      .addOption(
        new Option("--label <k=v>", "only sessions with this label (repeat: all must match)")
          .argParser(collect)
          .default([] as string[])
          .conflicts("session"),
      )
      .option("--session <name>", "only this session")
      .option("--yes", "act without asking (required when not on a terminal)")
      .option("--parallel <n>", "machines acted on at once (default 10)")
      .option("--timeout <seconds>", "time allowed per machine, retries included (default 300)")
      .action(async (opts) => {
        const { batchCommand } = await import("./batch.js");
        setCode(await batchCommand(action, opts, io));
      });
  }

  // Cost, budgets and idle stop, connecting (cost/, connect/).
  sessionOptions(program.command("cost").description("what a session (or every session) has cost so far and costs now, by machine and by state"))
    .argument("[session]", "session name (default: every session, with totals)")
    .option("--label <k=v>", "without a session: only sessions with this label (repeat: all must match)", collect, [] as string[])
    .action(async (session: string | undefined, opts) => {
      const { costCommand } = await import("./cost.js");
      setCode(await costCommand(session, opts, io));
    });

  sessionOptions(
    program.command("enforce").description("apply every session's budget and idle auto-stop rules (for cron or a pipeline); exit 3 if an action failed"),
  )
    .option("--label <k=v>", "only sessions with this label (repeat: all must match)", collect, [] as string[])
    .option("--dry-run", "decide and report, act on nothing, journal nothing")
    .action(async (opts) => {
      const { enforceCommand } = await import("./enforce.js");
      setCode(await enforceCommand(opts, io));
    });

  sessionOptions(
    program.command("connect").description("how to reach a session's machines: SSH command, ~/.ssh/config snippet, .rdp file, gateway URL, docker exec"),
  )
    .argument("<session>", "session name")
    .option("--machine <name>", "only this machine (names: formations show <session>)")
    // One artifact per run, and --json only for the list of artifacts (a snippet or a file is not JSON).
    .addOption(
      new Option("--ssh-config", "print the Host blocks for ~/.ssh/config (jumping through the proxy where a machine is private)").conflicts([
        "rdpFile",
        "json",
      ]),
    )
    .option("--write <file>", "with --ssh-config: write them into this file (e.g. ~/.ssh/config), replacing this session's earlier block")
    .addOption(new Option("--rdp-file <path>", "write an .rdp file for the machine's remote desktop (no password in it)").conflicts("json"))
    .option("--key <path>", "private key file for ssh -i and IdentityFile")
    .addOption(
      new Option("--putty", "print PuTTY's and plink's command lines (Windows), jumping through the proxy with plink where a machine is private").conflicts([
        "sshConfig",
        "rdpFile",
      ]),
    )
    .action(async (session: string, opts) => {
      const { connectCommand } = await import("./connect.js");
      setCode(await connectCommand(session, opts, io));
    });

  program
    .command("doctor")
    .description(
      "check every prerequisite at once: Pulumi CLI and plugins, state backend and passphrase, each provider's credentials (where from, never what), the Docker engine; exit 3 if something required is missing",
    )
    .option("--provider <name>", "a provider your formations use: its checks become required (repeat, or a comma list)", collect, [] as string[])
    .option("--backend-url <url>", "state backend to check (default: PULUMI_BACKEND_URL, else file://~/.formations/state)")
    .option("--secrets-provider <provider>", "Pulumi secrets provider (default: passphrase)")
    .addOption(new Option("--json", "print the report as one JSON document"))
    .action(async (opts: { provider?: string[]; json?: boolean; backendUrl?: string; secretsProvider?: string }) => {
      const { doctorCommand } = await import("./doctor.js");
      setCode(await doctorCommand(opts, io));
    });

  // The web console (console/): a local server over the same library; the framework loads only here.
  sessionOptions(
    program
      .command("console")
      .description("the local web console: sessions, machines, images and formations in a browser, live (prints its URL with a secret token)"),
  )
    .option("--port <n>", "port to listen on (default: a free one)")
    .option("--host <address>", "address to listen on (default 127.0.0.1: this machine only)")
    .option("--label <k=v>", "open the Sessions view filtered by this label (repeat: all must match)", collect, [] as string[])
    .option("--dir <folder>", "the folder of formation files the Formations view offers, and where snapshots save theirs (default: the current folder)")
    .action(async (opts) => {
      const { consoleCommand } = await import("./console.js");
      setCode(await consoleCommand(opts, io));
    });

  return program;
}

/** Whether the command line asks for JSON (before a `--` that ends the options). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

/** Runs the CLI and returns its exit code; never throws for user mistakes. */
export async function run(argv: string[], io: Output = processOutput()): Promise<number> {
  // With --json, a failure prints one JSON document on stdout too (the contract: errors included).
  const out: Output = wantsJson(argv) ? { ...io, json: true } : io;
  let code: number = EXIT.ok;
  const program = buildProgram(out, (c) => (code = c));
  const fail = (err: unknown, exitCode: number, message: string) => {
    if (out.json) out.out(failureOf(err, exitCode, message));
    return exitCode;
  };
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every other parse problem is a usage error.
      return err.exitCode === 0 ? EXIT.ok : fail(err, EXIT.usage, err.message.replace(/^error: /, ""));
    }
    if (err instanceof UserError) {
      // A formation's diagnostics are printed as they are; anything else after the command's name.
      io.err(err instanceof FormationError ? err.message : `formations: ${err.message}`);
      if (err.hint) io.err(`hint: ${err.hint}`);
      return fail(err, err.exitCode, err.message);
    }
    io.err(`formations: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    io.err("this is a bug in formations; please report it with the command you ran");
    return fail(err, EXIT.failed, `internal error: ${err instanceof Error ? err.message : String(err)}`);
  }
}
