/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
import { describe, expect, it } from "vitest";
import { CancelledError, classify, ConcurrentUpdateError, engineSummary, exitCodeOf, lockHolder, OperationFailedError, PendingOperationsError, PulumiMissingError, StackNotFoundError } from "../../../automation/session/errors.js";
import { FormationError } from "../../../format/load.js";
import { UsageError } from "../../../cli/exit.js";
import { engineError } from "../fake-engine.js";

const DIY_LOCK =
  "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
  "  file:///home/alice/.formations/state/.pulumi/locks/organization/formations/hpc-dev/0b1c.json: created by alice@laptop (pid 4242) at 2026-03-01T10:00:00Z";

const PENDING =
  "error: the current deployment has 2 resource(s) with pending operations:\n" +
  "  * urn:pulumi:hpc-dev::formations::docker:index/container:Container::hpc-dev-machine-1, interrupted while creating\n" +
  "  * urn:pulumi:hpc-dev::formations::docker:index/network:Network::hpc-dev-net, interrupted while updating\n\nThese resources are in an unknown state";

/** What the Automation API throws when `pulumi` is not on PATH (captured from @pulumi/pulumi 3.248.0 here). */
const NO_CLI = "code: -2\n stdout: \n stderr: Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT\n err?: Error: Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT\n";

describe("classifying engine errors once", () => {
  it("a locked stack is busy (exit 3) and names who holds it", () => {
    const e = classify(engineError("ConcurrentUpdateError", DIY_LOCK), { session: "hpc-dev", action: "up" });
    expect(e).toBeInstanceOf(ConcurrentUpdateError);
    expect(exitCodeOf(e)).toBe(3);
    expect(e.message).toContain("session 'hpc-dev' is busy: held by alice@laptop (pid 4242, since 2026-03-01T10:00:00Z)");
  });

  it("Pulumi Cloud's conflict is busy too, saying the holder is unknown", () => {
    const e = classify(engineError("CommandError", "error: [409] Conflict: Another update is currently in progress."), { session: "s", action: "up" });
    expect(e).toBeInstanceOf(ConcurrentUpdateError);
    expect(e.message).toContain("the backend does not say who");
  });

  it("an unknown session is invalid input (exit 1)", () => {
    const e = classify(engineError("StackNotFoundError", "error: no stack named 'nope' found"), { session: "nope", action: "show" });
    expect(e).toBeInstanceOf(StackNotFoundError);
    expect(exitCodeOf(e)).toBe(1);
    expect(e.message).toBe("no session named 'nope' (formations sessions lists them)");
  });

  it("pending operations list each resource and say exactly how to recover", () => {
    const e = classify(engineError("CommandError", PENDING), { session: "hpc-dev", action: "up" }) as PendingOperationsError;
    expect(e).toBeInstanceOf(PendingOperationsError);
    expect(exitCodeOf(e)).toBe(3);
    expect(e.operations).toEqual([
      { urn: "urn:pulumi:hpc-dev::formations::docker:index/container:Container::hpc-dev-machine-1", type: "creating" },
      { urn: "urn:pulumi:hpc-dev::formations::docker:index/network:Network::hpc-dev-net", type: "updating" },
    ]);
    expect(e.message).toContain("formations refresh hpc-dev --clear-pending");
    expect(e.message).toMatch(/import what still exists .* or delete it/);
  });

  it("a missing Pulumi CLI is one line saying how to install it (exit 3)", () => {
    const e = classify(engineError("CommandError", NO_CLI), { action: "up" });
    expect(e).toBeInstanceOf(PulumiMissingError);
    expect(exitCodeOf(e)).toBe(3);
    expect(e.message.split("\n")).toHaveLength(1);
    expect(e.message).toContain("curl -fsSL https://get.pulumi.com | sh");
  });

  it("a wrong passphrase is a usage error naming the fix", () => {
    const e = classify(engineError("CommandError", "error: getting secrets manager: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase"), { session: "s", action: "up" });
    expect(exitCodeOf(e)).toBe(2);
    expect(e.message).toContain("use the passphrase it was created with");
  });

  it("anything else fails the operation (exit 3) with the engine's first error line and keeps the details", () => {
    const stderr = "Updating (s):\nerror: update failed\n  docker:index/container:Container (s-machine-1):\n    error: Unable to create container: image not found\n";
    const e = classify(engineError("CommandError", stderr), { session: "s", action: "up" }) as OperationFailedError;
    expect(e).toBeInstanceOf(OperationFailedError);
    expect(exitCodeOf(e)).toBe(3);
    expect(e.message).toBe("up of session 's' failed: Unable to create container: image not found");
    expect(e.details).toContain("Updating (s)");
  });

  it("passes user errors through with their own exit codes", () => {
    const fe = new FormationError("f.yaml", [{ file: "f.yaml", line: 1, col: 1, pointer: "", message: "bad" }]);
    expect(classify(fe, { action: "up" })).toBe(fe);
    expect(exitCodeOf(fe)).toBe(1);
    expect(exitCodeOf(new UsageError("x"))).toBe(2);
    expect(exitCodeOf(new CancelledError("s", "up"))).toBe(3);
    expect(exitCodeOf(new Error("boom"))).toBe(3);
  });
});

describe("reading the engine's text", () => {
  it("finds the lock holder, or says nothing when the message has none", () => {
    expect(lockHolder(DIY_LOCK)).toBe("alice@laptop (pid 4242, since 2026-03-01T10:00:00Z)");
    expect(lockHolder("the stack is currently locked by 1 lock(s).")).toBeUndefined();
  });

  it("summarises with the first real error line", () => {
    expect(engineSummary("code: 255\n stdout: \n stderr: error: update failed\nerror: boom\n")).toBe("boom");
    expect(engineSummary("")).toBe("unknown error");
  });
});
