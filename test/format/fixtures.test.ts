/**
 * Test layer 1: schema fixtures, with the exact errors expected.
 * Fixture harness. Each file under test/fixtures/invalid states, in `# expect:` comment lines at
 * its top, every error the validator must report, and where:
 *
 *     # expect: LINE:COL POINTER -- message substring
 *
 * (POINTER is `""` for the whole document.) The reported (line, col, pointer) list must equal the
 * expected one exactly: a missing error, an extra error (a cascade) or a moved caret all fail.
 * The substring is matched against the message as `--json` prints it (message plus hint).
 *
 * Each file under test/fixtures/valid must validate; its `# default: POINTER = JSON` lines name
 * values the loader fills in from the schema (`# default: POINTER absent` for a key that must stay
 * unset), which proves defaults were applied.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { validateFormation, loadFormation, FormationError } from "../../format/load.js";
import { toJsonError } from "../../format/diagnostics.js";
import { KINDS, PROVIDERS } from "../../format/types.js";

const root = fileURLToPath(new URL("../fixtures/", import.meta.url));
const list = (dir: string) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({ name: f, path: join(root, dir, f), text: readFileSync(join(root, dir, f), "utf8") }));
const invalid = list("invalid");
const valid = list("valid");

interface Expected {
  line: number;
  col: number;
  pointer: string;
  substring: string;
}

const EXPECT = /^# expect: (\d+):(\d+) (.*?) -- (.+)$/;

function expectations(text: string): Expected[] {
  const out: Expected[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("# expect")) continue;
    const m = EXPECT.exec(line);
    // A malformed expectation must fail loudly rather than be skipped.
    if (!m) throw new Error(`malformed expectation: ${line}`);
    out.push({ line: Number(m[1]), col: Number(m[2]), pointer: m[3] === '""' ? "" : m[3]!, substring: m[4]! });
  }
  return out;
}

const place = (e: { line: number; col: number; pointer: string }) => `${e.line}:${e.col} ${e.pointer}`;

/** Reads a JSON pointer; `undefined` when the path does not exist. */
function at(value: unknown, pointer: string): unknown {
  let cur = value;
  for (const raw of pointer.split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof cur !== "object" || cur === null || !Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

describe("invalid fixtures", () => {
  it("are numerous and cover every kind and every provider", () => {
    expect(invalid.length).toBeGreaterThanOrEqual(40);
    const kinds = new Set(invalid.map((f) => /^kind: (\w+)$/m.exec(f.text)?.[1]));
    const providers = new Set(invalid.map((f) => /^ {2}provider: (\w+)$/m.exec(f.text)?.[1]));
    for (const k of KINDS) expect(kinds, `no invalid fixture of kind ${k}`).toContain(k);
    for (const p of PROVIDERS) expect(providers, `no invalid fixture on provider ${p}`).toContain(p);
  });

  it.each(invalid.map((f) => [f.name, f] as const))("%s reports exactly the expected errors", async (_name, f) => {
    const want = expectations(f.text);
    expect(want.length, "an invalid fixture must state at least one '# expect:' line").toBeGreaterThan(0);
    const result = await validateFormation(f.path);
    expect(result.valid).toBe(false);
    const got = result.errors;
    // Same places, same number of errors at each place: nothing missing, no cascade.
    expect(got.map(place).sort()).toEqual(want.map(place).sort());
    const unused = [...got];
    for (const w of want) {
      const i = unused.findIndex((g) => place(g) === place(w) && toJsonError(g).message.includes(w.substring));
      expect(
        i,
        `no error at ${place(w)} contains "${w.substring}"; got:\n${got.map((g) => `${place(g)} -- ${toJsonError(g).message}`).join("\n")}`,
      ).toBeGreaterThanOrEqual(0);
      unused.splice(i, 1);
    }
    for (const g of got) {
      expect(g.file).toBe(f.path);
      expect(g.message).not.toMatch(/\n/); // one error, one line
    }
  });

  it("make loadFormation throw a FormationError that carries every diagnostic", async () => {
    const f = invalid.find((x) => x.name === "several-errors-at-once.yaml")!;
    const err = await loadFormation(f.path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FormationError);
    const fe = err as FormationError;
    expect(fe.diagnostics).toHaveLength(expectations(f.text).length);
    expect(fe.message.split("\n").filter((l) => l.includes(": error: "))).toHaveLength(fe.diagnostics.length);
  });

  it("never echo a pasted private key", async () => {
    const f = invalid.find((x) => x.name === "ssh-private-key.yaml")!;
    const err = (await loadFormation(f.path).catch((e: unknown) => e)) as FormationError;
    expect(err).toBeInstanceOf(FormationError);
    expect(err.message).toContain("PRIVATE key");
    expect(err.message).not.toMatch(/b3BlbnNza|MIIEow|BEGIN [A-Z ]*PRIVATE KEY/);
  });
});

const DEFAULT = /^# default: (\S+) (?:= (.+)|(absent))$/;

describe("valid fixtures", () => {
  it("cover every kind and every provider", () => {
    const pairs = valid.map((f) => [/^kind: (\w+)$/m.exec(f.text)?.[1], /^ {2}provider: (\w+)$/m.exec(f.text)?.[1]]);
    for (const k of KINDS) expect(pairs.map((p) => p[0])).toContain(k);
    for (const p of PROVIDERS) expect(pairs.map((x) => x[1])).toContain(p);
  });

  it.each(valid.map((f) => [f.name, f] as const))("%s validates, with its defaults applied", async (_name, f) => {
    const result = await validateFormation(f.path);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    if (!result.valid) return;
    const raw: unknown = parse(f.text);
    const lines = f.text.split("\n").filter((l) => l.startsWith("# default"));
    expect(lines.length, "a valid fixture must state at least one '# default:' line").toBeGreaterThan(0);
    for (const line of lines) {
      const m = DEFAULT.exec(line);
      if (!m) throw new Error(`malformed default line: ${line}`);
      const [, pointer = "", json, absent] = m;
      if (absent) {
        expect(at(result.formation, pointer), `${pointer} should stay unset`).toBeUndefined();
        continue;
      }
      const want: unknown = JSON.parse(json!);
      expect(at(result.formation, pointer), pointer).toEqual(want);
      // The file did not say it: the loader filled it in.
      expect(at(raw, pointer), `${pointer} is written in the file, so it proves no default`).not.toEqual(want);
    }
    expect(Object.isFrozen(result.formation)).toBe(true);
    expect(Object.isFrozen(result.formation.spec)).toBe(true);
  });
});
