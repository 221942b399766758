/**
 * One base for every error a user can act on: a mistake in a formation or a command, or a
 * problem of the environment or the cloud (no passphrase, a busy session, a failed engine
 * operation). Its message says what happened and what to do; it is printed without a stack trace
 * and ends the command with the contract's exit code. Any other error is a bug and keeps its
 * stack (as SST's VisibleError against a plain Error).
 */

/** The contract's exit codes: 0 ok, 1 invalid input, 2 usage, 3 cloud or engine failure. */
export type ExitCode = 0 | 1 | 2 | 3;

export class UserError extends Error {
  constructor(
    message: string,
    /** The contract's exit code for this failure. */
    readonly exitCode: Exclude<ExitCode, 0>,
    /** The fix, when the message alone does not say it (printed on its own line). */
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "UserError";
  }
}

/** The exit code of anything thrown: a user error's own, else 3 (a failure nobody planned for). */
export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof UserError ? err.exitCode : 3;
}
