/**
 * Layer: unit. One base for user errors: every error a user can act on extends UserError with
 * the contract's exit code, exitCodeOf reads the class, never an error's name, and the CLI prints
 * one without a stack trace.
 */
import { describe, expect, it } from "vitest";
import { ActionError } from "../automation/actions/types.js";
import { SessionBusyError } from "../automation/actions/lock.js";
import { ConcurrentUpdateError, MissingPassphraseError, SessionError, StackNotFoundError } from "../automation/session/errors.js";
import { UsageError } from "../cli/exit.js";
import type { Output } from "../cli/output.js";
import { reportError } from "../cli/session-runtime.js";
import { FormationError } from "../format/load.js";
import { exitCodeOf, UserError } from "../user-error.js";

const diagnostic = { file: "f.yaml", line: 1, col: 1, pointer: "/kind", message: "unknown kind" };

describe("UserError", () => {
  it.each([
    ["FormationError", new FormationError("f.yaml", [diagnostic]), 1],
    ["UsageError", new UsageError("--yes is required"), 2],
    ["SessionError", new SessionError("no machine named 'x'", 1, "lab"), 1],
    ["StackNotFoundError", new StackNotFoundError("lab"), 1],
    ["MissingPassphraseError", new MissingPassphraseError("none set", true, "/home/a/.formations"), 2],
    ["ConcurrentUpdateError", new ConcurrentUpdateError("lab"), 3],
    ["ActionError", new ActionError("not-found", "i-1 is gone"), 3],
    ["SessionBusyError", new SessionBusyError("lab", "stop"), 3],
  ] as const)("%s is a UserError with exit %i", (name, err, code) => {
    expect(err).toBeInstanceOf(UserError);
    expect(err.name).toBe(name);
    expect(err.exitCode).toBe(code);
    expect(exitCodeOf(err)).toBe(code);
  });

  it("exitCodeOf reads the class, not the name: a plain error named like a user error is a failure (3)", () => {
    const impostor = Object.assign(new Error("x"), { name: "FormationError" });
    expect(exitCodeOf(impostor)).toBe(3);
    expect(exitCodeOf("a string")).toBe(3);
  });

  it("carries a hint beside its message", () => {
    const err = new UsageError("unknown flag --foo", "formations --help lists the flags");
    expect([err.message, err.hint]).toEqual(["unknown flag --foo", "formations --help lists the flags"]);
  });

  it("the CLI prints one with its hint and returns its exit code; anything else is a bug and is rethrown", () => {
    const lines: string[] = [];
    const io: Output = { out: () => undefined, err: (l) => lines.push(l), color: false };
    expect(reportError(new UsageError("unknown flag --foo", "formations --help lists the flags"), io)).toBe(2);
    expect(reportError(new ActionError("not-found", "i-1 is gone"), io)).toBe(3);
    expect(lines).toEqual(["formations: unknown flag --foo", "hint: formations --help lists the flags", "formations: i-1 is gone"]);
    expect(() => reportError(new Error("bug"), io)).toThrow("bug");
  });
});
