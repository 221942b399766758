/**
 * Test layer: unit, with FakeEngine (a test double of the Pulumi engine) and test-double drivers; not end-to-end.
 * The session verbs of the CLI (cli/up.ts, preview, refresh, destroy, sessions, show) with
 * their output captured and FakeEngine (a test double) behind the library.
 */
import { EventEmitter } from "node:events";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PulumiMissingError } from "../../automation/session/errors.js";
import { Sessions, type SessionsOptions } from "../../automation/sessions.js";
import type { Output } from "../../cli/output.js";
import { withSessions, type SessionDeps } from "../../cli/session-runtime.js";
import { upCommand } from "../../cli/up.js";
import { previewCommand } from "../../cli/preview.js";
import { refreshCommand } from "../../cli/refresh.js";
import { destroyCommand } from "../../cli/destroy.js";
import { sessionsCommand } from "../../cli/sessions.js";
import { showCommand } from "../../cli/show.js";
import { harness, poolYaml, steppingClock, type Harness } from "./helpers.js";

let h: Harness;
let out: string[];
let err: string[];
const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), color: false };

beforeEach(async () => {
  h = await harness();
  out = [];
  err = [];
});
afterEach(async () => {
  await h.cleanup();
});

/** Deps for a run with no terminal, building the Sessions on the harness's FakeEngine. */
function deps(more: Partial<SessionDeps> = {}, env: Record<string, string> = { PULUMI_CONFIG_PASSPHRASE: "pw" }): SessionDeps {
  return {
    interactive: false,
    live: false,
    signals: new EventEmitter(),
    makeSessions: (o: SessionsOptions) =>
      new Sessions({ ...o, home: h.home, env: { FORMATIONS_HOME: h.home, ...env }, engine: h.engine, actor: "tester@host", now: steppingClock() }),
    ...more,
  };
}

describe("up", () => {
  it("refuses to run unasked without --yes when there is no terminal (exit 2)", async () => {
    await expect(upCommand(await h.file("lab.yaml", poolYaml()), {}, io, deps())).rejects.toThrow(/pass --yes/);
    expect(h.engine.calls).toEqual([]);
  });

  it("--yes applies; progress as plain lines on stderr, the machines on stdout", async () => {
    expect(await upCommand(await h.file("lab.yaml", poolYaml()), { yes: true }, io, deps())).toBe(0);
    expect(err[0]).toBe("lab: up started by tester@host");
    expect(err.at(-1)).toMatch(/^lab: up done in \d+\.\ds: 3 created$/);
    expect(out[0]).toBe("session lab: 3 machines, $0.0000/h while running");
    expect(out[1]!.split("\n")).toEqual([
      "MACHINE    ADDRESS   CONNECT",
      "machine-1  10.0.0.2  docker exec -it fake-lab-machine-1 sh",
      "machine-2  10.0.0.3  docker exec -it fake-lab-machine-2 sh",
      "machine-3  10.0.0.4  docker exec -it fake-lab-machine-3 sh",
    ]);
  });

  it("--json prints only newline-delimited typed events on stdout", async () => {
    expect(await upCommand(await h.file("lab.yaml", poolYaml()), { yes: true, json: true }, io, deps())).toBe(0);
    const events = out.map((l) => JSON.parse(l) as { type: string; session: string });
    expect(events.map((e) => e.type)).toEqual(["operation-start", "resource-start", "resource-done", "summary", "journal", "operation-end"]);
    expect(events.every((e) => e.session === "lab")).toBe(true);
    expect(err).toEqual([]);
  });

  it("on a terminal, shows the preview and asks; no applies nothing", async () => {
    const file = await h.file("lab.yaml", poolYaml());
    const questions: string[] = [];
    const no = deps({ interactive: true, ask: async (q) => (questions.push(q), "n") });
    expect(await upCommand(file, {}, io, no)).toBe(0);
    expect(err).toContain("formations: session 'lab' (new): 1 to create");
    expect(questions).toEqual(["Apply these changes to session 'lab'? [y/N] "]);
    expect(err.at(-1)).toBe("formations: not applied; nothing changed");
    expect(h.engine.stacks.has("lab")).toBe(false);
    expect(await upCommand(file, {}, io, deps({ interactive: true, ask: async () => "yes" }))).toBe(0);
    expect(h.engine.calls).toContain("up:lab");
  });

  it("an engine failure is exit 3 with the reason and the engine's details", async () => {
    h.engine.failNext(
      "up",
      "*",
      Object.assign(new Error("code: 255\n stdout: \n stderr: Updating (lab):\nerror: update failed\nerror: no space left on device\n"), {
        name: "CommandError",
      }),
    );
    expect(await upCommand(await h.file("lab.yaml", poolYaml()), { yes: true }, io, deps())).toBe(3);
    expect(err).toContain("formations: up of session 'lab' failed: no space left on device");
    expect(err.at(-1)).toBe("details (from the engine):\n  Updating (lab):\n  error: update failed\n  error: no space left on device");
  });

  it("an invalid formation is exit 1 with located errors", async () => {
    expect(await upCommand(await h.file("bad.yaml", poolYaml().replace("kind: Pool", "kind: Poool")), { yes: true }, io, deps())).toBe(1);
    expect(err.join("\n")).toMatch(/bad\.yaml:2:7: error:/);
  });
});

/** Waits (at most 20 s, a wait and not a timing assertion) until the engine has an operation in flight. */
async function inFlight(): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (h.engine.inFlight === 0) {
    if (Date.now() > deadline) throw new Error("no operation reached the engine");
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe("Ctrl-C", () => {
  it("first cancels gracefully (exit 3), second stops waiting", async () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    let open!: () => void;
    h.engine.gate = new Promise<void>((r) => (open = r));
    const run = upCommand(await h.file("lab.yaml", poolYaml()), { yes: true }, io, deps({ signals, exit: ((c: number) => void exits.push(c)) as never }));
    await inFlight();
    signals.emit("SIGINT");
    expect(await run).toBe(3);
    expect(err).toContain("formations: cancelling lab: the engine finishes the steps in flight and saves the state; Ctrl-C again to stop waiting");
    expect(err).toContain("lab: cancelling up: the engine finishes its in-flight steps and saves the state");
    expect(err.at(-1)).toBe("formations: up of session 'lab' was cancelled; the engine finished its in-flight steps and saved the state");
    expect(signals.listenerCount("SIGINT")).toBe(0);
    open();

    const again = new EventEmitter();
    h.engine.gate = new Promise<void>((r) => (open = r));
    const second = upCommand(
      await h.file("lab.yaml", poolYaml()),
      { yes: true },
      io,
      deps({ signals: again, exit: ((c: number) => void exits.push(c)) as never }),
    );
    await inFlight();
    h.engine.gate = new Promise<void>(() => {}); // the engine keeps going after the first Ctrl-C
    again.emit("SIGINT");
    again.emit("SIGINT");
    expect(exits).toEqual([3]);
    expect(err.at(-1)).toBe("formations: no longer waiting; the engine goes on in the background until it has saved the state");
    open();
    await second;
  });
});

describe("Ctrl-C before anything runs (issue 12)", () => {
  it("stops at once: nothing was running, so nothing is lost, and going on would start what was interrupted", async () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    let release!: () => void;
    const loading = new Promise<void>((r) => (release = r));
    let ran = false;
    const running = withSessions({}, io, deps({ signals, exit: ((c: number) => void exits.push(c)) as never }), async () => {
      await loading; // still loading (Pulumi, the backend): no operation has started
      ran = true;
      return 0;
    });
    while (signals.listenerCount("SIGINT") === 0) await new Promise((r) => setImmediate(r));
    signals.emit("SIGINT");
    expect(exits).toEqual([3]);
    expect(err).toEqual(["formations: interrupted before any operation started; nothing was changed"]);
    release();
    await running;
    expect(ran).toBe(true); // only because the test's exit does not end the process
  });
});

describe("passphrase", () => {
  it("without one: exit 2 naming every way to set one", async () => {
    expect(await upCommand(await h.file("lab.yaml", poolYaml()), { yes: true }, io, deps({}, {}))).toBe(2);
    expect(err.at(-1)).toMatch(/^formations: no secrets passphrase: .*--create-passphrase/);
  });

  it("--create-passphrase creates one (0600) in the home and goes on", async () => {
    expect(await upCommand(await h.file("lab.yaml", poolYaml()), { yes: true, createPassphrase: true }, io, deps({}, {}))).toBe(0);
    expect((await stat(join(h.home, "passphrase"))).mode & 0o777).toBe(0o600);
    expect(err).toContain(
      `formations: created a passphrase in ${join(h.home, "passphrase")} (mode 0600); back it up: without it this machine's sessions' secrets cannot be read`,
    );
    expect(err.join("\n")).not.toMatch(/[A-Za-z0-9_-]{43}/);
  });

  it("on a terminal, offers to create one", async () => {
    const d = deps({ interactive: true, ask: async () => "y" }, {});
    expect(await upCommand(await h.file("lab.yaml", poolYaml()), { yes: true }, io, d)).toBe(0);
    expect((await stat(join(h.home, "passphrase"))).isFile()).toBe(true);
  });
});

describe("no Pulumi CLI", () => {
  /** An engine whose CLI is missing until `installed` is set, as PulumiEngine reports it. */
  function missingCli(): { installed: boolean; installs: string[]; deps: SessionDeps } {
    const state = { installed: false, installs: [] as string[], deps: {} as SessionDeps };
    const prepare = h.engine.prepare.bind(h.engine);
    h.engine.prepare = async () => {
      if (!state.installed) throw new PulumiMissingError(undefined, h.home);
      return prepare();
    };
    state.deps = deps({
      installPulumi: async (home) => {
        state.installs.push(home);
        state.installed = true;
        return { path: join(home, "pulumi", "bin", "pulumi") };
      },
    });
    return state;
  }

  it("says every way to get one (exit 3) and installs nothing unasked", async () => {
    const m = missingCli();
    expect(await upCommand(await h.file("lab.yaml", poolYaml()), { yes: true }, io, m.deps)).toBe(3);
    expect(err.at(-1)).toMatch(/^formations: the Pulumi CLI is not installed .*--install-pulumi .*scripts\/pulumi-engine\.sh build/);
    expect(m.installs).toEqual([]);
  });

  it("--install-pulumi installs the pinned CLI into the home, then goes on", async () => {
    const m = missingCli();
    expect(await upCommand(await h.file("lab.yaml", poolYaml()), { yes: true, installPulumi: true }, io, m.deps)).toBe(0);
    expect(m.installs).toEqual([h.home]);
    expect(err).toContain(`formations: installed ${join(h.home, "pulumi", "bin", "pulumi")}`);
    expect(out[0]).toBe("session lab: 3 machines, $0.0000/h while running");
  });

  it("a failed download says how to build the CLI instead (exit 3)", async () => {
    const m = missingCli();
    const d = { ...m.deps, installPulumi: async () => Promise.reject(new Error("Failed to download https://get.pulumi.com/install.sh: fetch failed")) };
    expect(await upCommand(await h.file("lab.yaml", poolYaml()), { yes: true, installPulumi: true }, io, d)).toBe(3);
    expect(err.at(-1)).toBe(
      "formations: could not install the Pulumi CLI: Failed to download https://get.pulumi.com/install.sh: fetch failed; without internet, build it from source in a clone of formations: scripts/pulumi-engine.sh build",
    );
  });
});

describe("preview, refresh, destroy", () => {
  it("preview prints what would change", async () => {
    expect(await previewCommand(await h.file("lab.yaml", poolYaml()), {}, io, deps())).toBe(0);
    expect(out).toEqual(["session lab: 1 to create"]);
  });

  it("refresh reports drift and what it recorded", async () => {
    await upCommand(await h.file("lab.yaml", poolYaml()), { yes: true }, io, deps());
    h.engine.state("lab").cloud["machine-1"] = "stopped";
    h.engine.state("lab").cloud["machine-2"] = "deleted";
    out = [];
    expect(await refreshCommand("lab", {}, io, deps())).toBe(0);
    expect(out).toEqual([
      "session lab: refreshed (3 refreshed)",
      "  machine-1: running -> stopped outside formations; recorded, 'up' keeps it stopped",
      "  machine-2: deleted outside formations; recorded, 'up' will not recreate it (start it to bring it back)",
    ]);
  });

  it("refresh of an unknown session is exit 1", async () => {
    expect(await refreshCommand("nope", {}, io, deps())).toBe(1);
    expect(err.at(-1)).toBe("formations: no session named 'nope' (formations sessions lists them)");
  });

  it("destroy needs --yes without a terminal, the session's name on one", async () => {
    await upCommand(await h.file("lab.yaml", poolYaml()), { yes: true }, io, deps());
    await expect(destroyCommand("lab", {}, io, deps())).rejects.toThrow(/pass --yes/);
    expect(await destroyCommand("lab", {}, io, deps({ interactive: true, ask: async () => "y" }))).toBe(0);
    expect(err.at(-1)).toBe("formations: not confirmed; nothing changed");
    expect(h.engine.stacks.has("lab")).toBe(true);
    expect(await destroyCommand("lab", {}, io, deps({ interactive: true, ask: async () => "lab" }))).toBe(0);
    expect(out.at(-1)).toBe("session lab: destroyed (4 deleted)");
    expect(h.engine.stacks.has("lab")).toBe(false);
  });

  it("destroy refuses a bad session name (exit 2)", async () => {
    expect(await destroyCommand("Lab", { yes: true }, io, deps())).toBe(2);
  });
});

describe("sessions and show", () => {
  beforeEach(async () => {
    await upCommand(await h.file("a.yaml", poolYaml({ name: "bio-lab", labels: { team: "bio" } })), { yes: true }, io, deps());
    await upCommand(await h.file("b.yaml", poolYaml({ name: "chem-lab", count: 1, labels: { team: "chem" } })), { yes: true }, io, deps());
    out = [];
    err = [];
  });

  it("sessions lists them as a table, filtered by --label", async () => {
    expect(await sessionsCommand({ label: ["team=chem"] }, io, deps())).toBe(0);
    // COST is per hour now; SO FAR is the session's ledger (nothing to pay on Docker).
    expect(out[0]!.split("\n")).toEqual([
      "SESSION   KIND  PROVIDER  MACHINES  COST       SO FAR  LAST UPDATE  LABELS",
      "chem-lab  Pool  docker    1         $0.0000/h  $0.00   -            team=chem",
    ]);
  });

  it("sessions --no-cost lists from the tags alone", async () => {
    expect(await sessionsCommand({ label: ["team=chem"], cost: false }, io, deps())).toBe(0);
    expect(out[0]!.split("\n")).toEqual([
      "SESSION   KIND  PROVIDER  MACHINES  COST       LAST UPDATE  LABELS",
      "chem-lab  Pool  docker    1         $0.0000/h  -            team=chem",
    ]);
  });

  it("sessions --json is one JSON array", async () => {
    expect(await sessionsCommand({ json: true }, io, deps())).toBe(0);
    expect((JSON.parse(out.join("\n")) as { session: string }[]).map((s) => s.session)).toEqual(["bio-lab", "chem-lab"]);
  });

  it("a malformed --label is a usage error (exit 2)", async () => {
    expect(await sessionsCommand({ label: ["team"] }, io, deps())).toBe(2);
    expect(err).toEqual(["formations: invalid label selector 'team': use key=value"]);
  });

  it("show prints machines, states, addresses, connection details and cost", async () => {
    expect(await showCommand("bio-lab", {}, io, deps())).toBe(0);
    const text = out.join("\n");
    expect(text).toContain("session   bio-lab (Pool on docker, formation bio-lab from");
    expect(text).toContain("labels    team=bio");
    expect(text).toMatch(/cost {6}\$0\.0000\/h now; about \$0\.00 so far since 2026-/);
    expect(text).toContain("machine-1  member  running  10.0.0.2  docker exec -it fake-bio-lab-machine-1 sh");
    expect(text).toMatch(/journal \(latest\)\n {2}2026-\S+ {2}tester@host {2}up {2}ok/);
  });

  it("show --json is the SessionDetails document; an unknown session is exit 1", async () => {
    expect(await showCommand("chem-lab", { json: true }, io, deps())).toBe(0);
    expect(JSON.parse(out.join("\n"))).toMatchObject({ session: "chem-lab", machines: [{ name: "machine-1", state: "running" }] });
    expect(await showCommand("nope", { json: true }, io, deps())).toBe(1);
  });
});
