/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
/** The per-session lock on its own: order of waiters, wait: false, release on failure, sessions apart. */
import { describe, expect, it } from "vitest";
import { SessionBusyError, SessionLocks } from "../../../automation/actions/index.js";

/** A task that records its start and end, and finishes only when told to. */
function gate(log: string[], name: string) {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return {
    open,
    task: async () => {
      log.push(`${name} begins`);
      await opened;
      log.push(`${name} ends`);
      return name;
    },
  };
}

describe("SessionLocks", () => {
  it("runs actions on one session one at a time, in arrival order", async () => {
    const locks = new SessionLocks();
    const log: string[] = [];
    const [a, b, c] = ["a", "b", "c"].map((n) => gate(log, n)) as [ReturnType<typeof gate>, ReturnType<typeof gate>, ReturnType<typeof gate>];
    const runs = [locks.run("s1", "a", a.task), locks.run("s1", "b", b.task), locks.run("s1", "c", c.task)];
    // Open them in reverse: order must still be a, b, c, each ending before the next begins.
    c.open();
    b.open();
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(["a begins"]);
    a.open();
    expect(await Promise.all(runs)).toEqual(["a", "b", "c"]);
    expect(log).toEqual(["a begins", "a ends", "b begins", "b ends", "c begins", "c ends"]);
    expect(locks.busy("s1")).toBe(false);
  });

  it("with wait: false fails at once naming what holds the session", async () => {
    const locks = new SessionLocks();
    const log: string[] = [];
    const a = gate(log, "a");
    const held = locks.run("s1", "stop", a.task);
    const err = await locks.run("s1", "start", async () => "never", { wait: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionBusyError);
    expect(err).toMatchObject({ session: "s1", heldBy: "stop", message: "session s1 is busy with 'stop': wait for it to finish, or try again later" });
    a.open();
    await held;
    expect(await locks.run("s1", "start", async () => "now free", { wait: false })).toBe("now free");
  });

  it("releases the session when the action throws", async () => {
    const locks = new SessionLocks();
    await expect(locks.run("s1", "stop", () => Promise.reject(new Error("engine gone")))).rejects.toThrow("engine gone");
    expect(locks.busy("s1")).toBe(false);
    expect(await locks.run("s1", "start", async () => "ran")).toBe("ran");
  });

  it("does not make different sessions wait for each other", async () => {
    const locks = new SessionLocks();
    const log: string[] = [];
    const a = gate(log, "a");
    const held = locks.run("s1", "stop", a.task);
    expect(await locks.run("s2", "stop", async () => "s2 done", { wait: false })).toBe("s2 done");
    a.open();
    expect(await held).toBe("a");
  });
});
