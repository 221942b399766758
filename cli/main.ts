import { Command, CommanderError, Option } from "commander";
import { EXIT, UsageError } from "./exit.js";
import { processOutput, type Output } from "./output.js";

const VERSION = "0.1.0";

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
    .addOption(new Option("--json", "print results as JSON"))
    .action(async (paths: string[], opts: { json?: boolean }) => {
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

  return program;
}

/** Runs the CLI and returns its exit code; never throws for user mistakes. */
export async function run(argv: string[], io: Output = processOutput()): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every other parse problem is a usage error.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof UsageError) {
      io.err(`formations: ${err.message}`);
      return EXIT.usage;
    }
    if (err instanceof Error && err.name === "FormationError") {
      io.err(err.message);
      return EXIT.invalid;
    }
    io.err(`formations: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    io.err("this is a bug in formations; please report it with the command you ran");
    return EXIT.failed;
  }
}
