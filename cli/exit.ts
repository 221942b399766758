import { UserError } from "../user-error.js";

/** Exit codes of the contract (formation-spec.md, "Command line"). */
export const EXIT = {
  ok: 0,
  /** Invalid input: validation errors, unknown session. */
  invalid: 1,
  /** Usage error: bad flags or arguments. */
  usage: 2,
  /** The operation failed in the cloud or the engine. */
  failed: 3,
} as const;

/** A mistake in how the command was called: printed as one line, exit 2, no stack trace. */
export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
    this.name = "UsageError";
  }
}
