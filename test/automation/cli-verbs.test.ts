/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
/** The cost, enforce and connect verbs are wired in the command tree; their usage errors need no backend (exit 2). */
import { describe, expect, it } from "vitest";
import { run } from "../../cli/main.js";
import type { Output } from "../../cli/output.js";

function capture(): { io: Output; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l), color: false }, out, err };
}

describe("cost, enforce and connect in the CLI", () => {
  it.each([
    ["cost", ["[session]", "--label <k=v>", "--json"]],
    ["enforce", ["--label <k=v>", "--dry-run", "--json"]],
    ["connect", ["<session>", "--machine <name>", "--ssh-config", "--write <file>", "--rdp-file <path>", "--key <path>", "--json"]],
    ["sessions", ["--no-cost"]],
  ])("%s --help lists its options", async (verb, options) => {
    const c = capture();
    expect(await run([verb, "--help"], c.io)).toBe(0);
    for (const o of options) expect(c.out.join("\n")).toContain(o);
  });

  it("usage mistakes are exit 2 before any backend is touched", async () => {
    const a = capture();
    expect(await run(["connect", "lab", "--write", "/tmp/ssh_config"], a.io)).toBe(2);
    expect(a.err).toEqual(["formations: --write goes with --ssh-config (the file to write the snippet into)"]);
    const b = capture();
    expect(await run(["enforce", "--label", "team"], b.io)).toBe(2);
    expect(b.err).toEqual(["formations: invalid label selector 'team': use key=value"]);
    expect(await run(["connect"], capture().io)).toBe(2);
  });
});
