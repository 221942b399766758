/**
 * Test layer 1: the loader and schema on generated input (property-based), with located errors asserted.
 * Property tests of the loader: whatever the text, `validateText` returns either a formation or
 * located errors (line and column inside the file, a JSON pointer), and never throws.
 * (a) mutates the valid fixtures the ways people and editors break files; (b) feeds random
 * YAML-ish text and random JSON values serialized as YAML. Run counts keep the file to about
 * 7 s on an idle 2-core machine; the generous timeouts only keep a busy machine from failing it.
 * fast-check prints the seed and path of any failure: replay with `{ seed, path }` in fc.assert.
 */

/** Not a speed claim: room for a loaded CI machine (vitest's default would be 30 s). */
const SLOW = 180_000;
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, parseDocument, stringify } from "yaml";
import { validateText, type ValidationResult } from "../../format/load.js";
import { decodeUtf8 } from "../../format/source.js";
import { KINDS } from "../../format/types.js";

const dir = fileURLToPath(new URL("../fixtures/valid/", import.meta.url));

type Path = (string | number)[];

interface Fixture {
  name: string;
  text: string;
  /** Every key or index path in the data, to aim mutations at real places. */
  paths: Path[];
  /** Paths of mappings (the root included), to insert keys into. */
  maps: Path[];
}

function walk(value: unknown, path: Path, paths: Path[], maps: Path[]): void {
  if (Array.isArray(value))
    value.forEach((v, i) => {
      paths.push([...path, i]);
      walk(v, [...path, i], paths, maps);
    });
  else if (typeof value === "object" && value !== null) {
    maps.push(path);
    for (const [k, v] of Object.entries(value)) {
      paths.push([...path, k]);
      walk(v, [...path, k], paths, maps);
    }
  }
}

const fixtures: Fixture[] = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((name) => {
    const text = readFileSync(join(dir, name), "utf8");
    const paths: Path[] = [];
    const maps: Path[] = [];
    walk(parse(text), [], paths, maps);
    return { name, text, paths, maps };
  });

const POINTER = /^(\/([^~/]|~[01])*)*$/;

/** The invariant: a frozen formation, or at least one error placed inside the text. */
function checkResult(result: ValidationResult, text: string, file: string): void {
  expect(result.file).toBe(file);
  if (result.valid) {
    expect(result.errors).toEqual([]);
    expect(KINDS).toContain(result.formation.kind);
    expect(Object.isFrozen(result.formation)).toBe(true);
    return;
  }
  expect(result.errors.length).toBeGreaterThanOrEqual(1);
  const lines = text.split("\n");
  for (const e of result.errors) {
    expect(e.file).toBe(file);
    expect(Number.isInteger(e.line) && e.line >= 1 && e.line <= lines.length, `line ${e.line} of ${lines.length}: ${e.message}`).toBe(true);
    const width = lines[e.line - 1]!.length;
    expect(Number.isInteger(e.col) && e.col >= 1 && e.col <= width + 1, `col ${e.col} on a line of ${width}: ${e.message}`).toBe(true);
    expect(e.pointer, e.message).toMatch(POINTER);
    expect(e.message.length).toBeGreaterThan(0);
  }
}

/** Text goes straight in; bytes go through the strict UTF-8 decoder first, as files do. */
function check(input: string | Uint8Array): void {
  const file = "mutant.yaml";
  if (typeof input === "string") return checkResult(validateText(input, file), input, file);
  const decoded = decodeUtf8(file, input);
  if (!decoded.ok) return checkResult({ file, valid: false, errors: decoded.errors }, new TextDecoder().decode(input), file);
  checkResult(validateText(decoded.text, file), decoded.text, file);
}

type Mutation = (f: Fixture) => string | Uint8Array;
const pick = <T>(list: readonly T[], n: number): T => list[n % list.length]!;
const keyLine = /^(\s*(?:- )?)([A-Za-z_][\w-]*)(\s*:)/;

const json = fc.jsonValue({ maxDepth: 3 });
const keyName = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("size", "instanceType", "machine", "spec", "__proto__", "<<", "count", "kind", ""));

/**
 * Edits through yaml's Document API keep comments and layout. On text an earlier mutation broke,
 * the API may refuse the edit: the mutation is not under test, so the text goes on unchanged.
 */
function edit(f: Fixture, change: (d: ReturnType<typeof parseDocument>) => void): string {
  try {
    const d = parseDocument(f.text);
    change(d);
    return d.toString();
  } catch {
    return f.text;
  }
}

const mutations: fc.Arbitrary<[string, Mutation]>[] = [
  fc.nat().map((n) => ["delete a key", (f) => edit(f, (d) => d.deleteIn(pick(f.paths, n)))]),
  fc.tuple(fc.nat(), json).map(([n, v]) => ["change a value", (f) => edit(f, (d) => d.setIn(pick(f.paths, n), v))]),
  fc.tuple(fc.nat(), keyName, json).map(([n, k, v]) => ["insert a key", (f) => edit(f, (d) => d.setIn([...pick(f.maps, n), k], v))]),
  fc.tuple(fc.nat(), keyName, fc.boolean()).map(([n, k, quote]) => [
    "rename a key",
    (f) => {
      const lines = f.text.split("\n");
      const at = lines.map((l, i) => (keyLine.test(l) ? i : -1)).filter((i) => i >= 0);
      if (at.length === 0) return f.text;
      const i = pick(at, n);
      lines[i] = lines[i]!.replace(keyLine, (_m, pre: string, _k: string, colon: string) => `${pre}${quote ? JSON.stringify(k) : k}${colon}`);
      return lines.join("\n");
    },
  ]),
  fc.nat().map((n) => [
    "duplicate a key line",
    (f) => {
      const lines = f.text.split("\n");
      const at = lines.map((l, i) => (keyLine.test(l) ? i : -1)).filter((i) => i >= 0);
      if (at.length === 0) return f.text;
      const i = pick(at, n);
      lines.splice(i, 0, lines[i]!);
      return lines.join("\n");
    },
  ]),
  fc.tuple(fc.nat(), fc.integer({ min: -3, max: 3 })).map(([n, by]) => [
    "re-indent a line",
    (f) => {
      const lines = f.text.split("\n");
      const i = n % lines.length;
      lines[i] = by >= 0 ? " ".repeat(by) + lines[i]! : lines[i]!.replace(new RegExp(`^ {0,${-by}}`), "");
      return lines.join("\n");
    },
  ]),
  fc.nat().map((n) => ["truncate", (f) => f.text.slice(0, n % (f.text.length + 1))]),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([n, bytes]) => [
    "insert random bytes",
    (f) => {
      const b = Buffer.from(f.text);
      const at = n % (b.length + 1);
      return Buffer.concat([b.subarray(0, at), bytes, b.subarray(at)]);
    },
  ]),
  fc.tuple(fc.nat(), fc.string({ unit: "binary", minLength: 1, maxLength: 4 })).map(([n, s]) => [
    "insert random characters",
    (f) => {
      const at = n % (f.text.length + 1);
      return f.text.slice(0, at) + s + f.text.slice(at);
    },
  ]),
];

describe("validateText on mutated valid fixtures", () => {
  it("every fixture is valid before mutation", () => {
    expect(fixtures.length).toBeGreaterThan(0);
    for (const f of fixtures) expect(validateText(f.text, f.name).valid, f.name).toBe(true);
  });

  it(
    "gives a formation or located errors, never an exception (thousands of mutations)",
    () => {
      const seen = new Map<string, number>();
      fc.assert(
        fc.property(fc.nat(), fc.oneof(...mutations), fc.oneof(...mutations), fc.boolean(), (n, [name1, m1], [name2, m2], twice) => {
          const f = pick(fixtures, n);
          let out = m1(f);
          seen.set(name1, (seen.get(name1) ?? 0) + 1);
          // Sometimes two mutations on top of each other (text ones only apply to text).
          if (twice && typeof out === "string") {
            out = m2({ ...f, text: out });
            seen.set(name2, (seen.get(name2) ?? 0) + 1);
          }
          check(out);
        }),
        { numRuns: 4000 },
      );
      // Every kind of mutation ran many times.
      for (const [name] of mutations.map((m) => fc.sample(m, 1)[0]!)) expect(seen.get(name) ?? 0, name).toBeGreaterThan(100);
    },
    SLOW,
  );
});

/** Tokens YAML gives meaning to, so random strings reach the parser's corners. */
const TOKENS = [
  "a",
  "b",
  "kind",
  "spec",
  "apiVersion: formations/v1",
  "kind: Machine",
  "machine:",
  ":",
  ": ",
  " ",
  "  ",
  "\n",
  "\r\n",
  "\t",
  "-",
  "- ",
  "?",
  "? ",
  "[",
  "]",
  "{",
  "}",
  ",",
  "&a ",
  "*a",
  "*b",
  "!!str ",
  "!!map",
  "!x ",
  "!<tag:x> ",
  "'",
  '"',
  "\\",
  "#",
  " #c",
  "|",
  "|-",
  ">",
  "---",
  "...",
  "%YAML 1.2\n",
  "%TAG ! tag:x,2000:\n",
  "~",
  "null",
  "true",
  "1",
  "-1",
  "0x1F",
  "1e9",
  ".inf",
  "<<",
  "__proto__",
  "\u0000",
  "\u0085",
  "\u2028",
  "\ufeff",
  "é",
  "😀",
];

describe("validateText on random text", () => {
  it(
    "YAML-ish strings: a formation or located errors, never an exception",
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => t.join("")),
          check,
        ),
        { numRuns: 3000 },
      );
    },
    SLOW,
  );

  it("arbitrary Unicode strings (including lone surrogates and control characters)", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), check), { numRuns: 1000 });
  });

  it("arbitrary bytes through the UTF-8 decoder", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 1000 });
  });

  it(
    "random JSON values serialized as YAML, alone and as a formation's blocks",
    () => {
      const base = parse(pick(fixtures, 0).text) as Record<string, unknown>;
      const block = fc.constantFrom("spec", "metadata", "cloud", "access", "lifecycle", "kind", "apiVersion");
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 4 }), block, fc.boolean(), (value, key, alone) => {
          check(stringify(alone ? value : { ...base, [key]: value }));
        }),
        { numRuns: 2000 },
      );
    },
    SLOW,
  );
});
