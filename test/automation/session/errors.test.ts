/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
import { describe, expect, it } from "vitest";
import {
  CancelledError,
  classify,
  ConcurrentUpdateError,
  engineSummary,
  exitCodeOf,
  lockHolder,
  lockHolders,
  OperationFailedError,
  PendingOperationsError,
  PulumiMissingError,
  StackNotFoundError,
  staleLock,
} from "../../../automation/session/errors.js";
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
const NO_CLI =
  "code: -2\n stdout: \n stderr: Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT\n err?: Error: Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT\n";

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
    const e = classify(
      engineError("CommandError", "error: getting secrets manager: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase"),
      { session: "s", action: "up" },
    );
    expect(exitCodeOf(e)).toBe(2);
    expect(e.message).toContain("use the passphrase it was created with");
  });

  it("anything else fails the operation (exit 3) with the engine's first error line and keeps the details", () => {
    const stderr =
      "Updating (s):\nerror: update failed\n  docker:index/container:Container (s-machine-1):\n    error: Unable to create container: image not found\n";
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

describe("a lock nobody will release (its process was killed with the update)", () => {
  const TWO = `${DIY_LOCK}\n  file:///x/.pulumi/locks/organization/formations/hpc-dev/9f.json: created by bob@ci-7 (pid 77) at 2026-03-01T10:00:05Z`;

  it("reads every holder of the lock message", () => {
    expect(lockHolders(TWO)).toEqual([
      { user: "alice", host: "laptop", pid: 4242 },
      { user: "bob", host: "ci-7", pid: 77 },
    ]);
  });

  it("is stale only when every holder is a process of this machine that no longer runs", () => {
    expect(staleLock(DIY_LOCK, "laptop", () => false)).toBe(true);
    expect(staleLock(DIY_LOCK, "laptop", () => true)).toBe(false);
    expect(staleLock(DIY_LOCK, "desktop", () => false)).toBe(false); // another machine's process may be alive
    expect(staleLock(TWO, "laptop", () => false)).toBe(false);
    expect(staleLock("the stack is currently locked by 1 lock(s).", "laptop", () => false)).toBe(false);
  });

  it("says how to recover instead of asking to wait", () => {
    const e = new ConcurrentUpdateError("hpc-dev", "alice@laptop (pid 4242, since 2026-03-01T10:00:00Z)", DIY_LOCK, true);
    expect(exitCodeOf(e)).toBe(3);
    expect(e.message).toBe(
      "session 'hpc-dev' is locked by alice@laptop (pid 4242, since 2026-03-01T10:00:00Z), a process of this machine that is no longer running: an operation was killed and left its lock in the backend. To recover: formations refresh hpc-dev --clear-pending (it removes that lock, then reads the real state)",
    );
    const p = new PendingOperationsError("hpc-dev", [{ urn: "urn:x", type: "creating" }], undefined, "alice@laptop (pid 4242)");
    expect(p.message).toContain(
      "the update was killed: its process, alice@laptop (pid 4242), is no longer running on this machine and its lock is still in the backend",
    );
    expect(p.message).toContain("formations refresh hpc-dev --clear-pending' (it removes that lock too)");
  });
});
