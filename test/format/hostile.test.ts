/**
 * Test layer 1: schema fixtures, with the exact errors expected.
 * Hostile input, all in ONE process on purpose: some failures only show on the second attack
 * (after one stack overflow in the YAML composer, V8 could abort the process on the next deep
 * parse). Every file must give located errors (file, line >= 1, col >= 1, message) and never
 * throw. The files are generated into a temp dir, never into the repository.
 */
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateFormation, validateText, type ValidationResult } from "../../format/load.js";
import { MAX_FILE_BYTES } from "../../format/source.js";

const VALID = "apiVersion: formations/v1\nkind: Machine\nmetadata:\n  name: box\ncloud:\n  provider: docker\nspec:\n  machine: {}\n";
const DOCKER = "apiVersion: formations/v1\nkind: Docker\nmetadata:\n  name: box\ncloud:\n  provider: docker\nspec:\n  container:\n    image: nginx\n";

interface Case {
  name: string;
  content: string | Buffer;
  /** The first error, when we know exactly where and what it is. */
  first?: { line?: number; col?: number; message: RegExp };
}

const times = (s: string, n: number) => s.repeat(n);
const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join("\n");
const deep = /nesting is deeper than 64 levels/;

const CASES: Case[] = [
  // Over 1 MiB: refused before reading, at 1:1.
  {
    name: "big-by-one-byte.yaml",
    content: VALID + "# " + times("x", MAX_FILE_BYTES - VALID.length - 3) + "\n" + "x",
    first: { line: 1, col: 1, message: /1048577 bytes/ },
  },
  { name: "big-5mib.yaml", content: Buffer.alloc(5 * MAX_FILE_BYTES, 0x61), first: { line: 1, col: 1, message: /limited to 1048576 bytes/ } },
  { name: "big-many-keys.yaml", content: lines(150_000, (i) => `k${i}: ${i}`), first: { line: 1, col: 1, message: /1 MiB/ } },
  // Deep nesting, every way YAML can nest.
  { name: "deep-brackets.yaml", content: times("[", 10_000), first: { line: 1, col: 65, message: deep } },
  { name: "deep-brackets-balanced.yaml", content: `a: ${times("[", 10_000)}${times("]", 10_000)}\n`, first: { line: 1, message: deep } },
  { name: "deep-braces.yaml", content: times("{a: ", 10_000), first: { line: 1, message: deep } },
  { name: "deep-indent-2.yaml", content: lines(700, (i) => `${times("  ", i)}k${i}:`) + " x\n", first: { message: deep } },
  { name: "deep-indent-1.yaml", content: lines(1_000, (i) => `${times(" ", i)}k:`) + " x\n", first: { message: deep } },
  { name: "deep-compact-seq.yaml", content: `${times("- ", 10_000)}x\n`, first: { line: 1, col: 129, message: deep } },
  { name: "deep-compact-seq-in-map.yaml", content: `a:\n  - ${times("- ", 10_000)}x\n`, first: { line: 2, message: deep } },
  { name: "deep-explicit-keys.yaml", content: `${times("? ", 10_000)}x\n`, first: { line: 1, message: deep } },
  { name: "deep-after-stray-quote.yaml", content: `a: |\n  'x\nb: ${times("[", 10_000)}\n`, first: { line: 3, message: deep } },
  { name: "deep-after-hash.yaml", content: `a: [b#${times("[", 10_000)}\n`, first: { line: 1, message: deep } },
  { name: "deep-block-then-flow.yaml", content: lines(40, (i) => `${times(" ", i)}k:`) + ` ${times("[", 40)}\n`, first: { message: deep } },
  // Alias bombs.
  {
    name: "billion-laughs-flow.yaml",
    content:
      `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n` +
      lines(8, (i) => {
        const [p, c] = [String.fromCharCode(97 + i), String.fromCharCode(98 + i)];
        return `${c}: &${c} [${times(`*${p},`, 8)}*${p}]`;
      }) +
      "\n",
    first: { line: 1, col: 1, message: /alias/i },
  },
  {
    name: "billion-laughs-block.yaml",
    content:
      "a: &a\n" +
      times("  - lol\n", 10) +
      lines(8, (i) => {
        const [p, c] = [String.fromCharCode(97 + i), String.fromCharCode(98 + i)];
        return `${c}: &${c}\n${times(`  - *${p}\n`, 10).trimEnd()}`;
      }) +
      "\n",
    first: { message: /alias/i },
  },
  {
    name: "alias-chain.yaml",
    content: lines(300, (i) => (i === 0 ? "a0: &a0 [x, y]" : `a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`)) + "\n",
    first: { message: /alias/i },
  },
  { name: "alias-cycle.yaml", content: DOCKER.replace("image: nginx", "image: &i [*i]"), first: { line: 9, message: /cycle/ } },
  {
    name: "alias-unknown-anchor.yaml",
    content: VALID.replace("machine: {}", "machine: *nowhere"),
    first: { line: 8, col: 12, message: /alias '\*nowhere' has no anchor/ },
  },
  // Duplicate keys.
  { name: "dup-top.yaml", content: VALID + "kind: Pool\n", first: { line: 9, col: 1, message: /duplicate key 'kind'/ } },
  { name: "dup-nested.yaml", content: VALID.replace("  name: box", "  name: box\n  name: other"), first: { line: 5, col: 3, message: /duplicate key 'name'/ } },
  {
    name: "dup-flow.yaml",
    content: VALID.replace("machine: {}", "machine: { size: small, size: large }"),
    first: { line: 8, col: 27, message: /duplicate key 'size'/ },
  },
  { name: "dup-quoted.yaml", content: VALID + '"kind": Pool\n', first: { line: 9, col: 1, message: /duplicate key 'kind'/ } },
  {
    name: "dup-number-and-string.yaml",
    content: DOCKER + "    env: { '1': a }\n".replace("{ '1': a }", "{ A: a, 'A': b }"),
    first: { line: 10, message: /duplicate key 'A'/ },
  },
  // Tags a loader must never act on.
  {
    name: "tag-js-function.yaml",
    content: VALID + "x: !!js/function 'function () { return process.exit(1) }'\n",
    first: { line: 9, message: /unsupported YAML tag: .*js\/function/ },
  },
  { name: "tag-js-undefined.yaml", content: VALID.replace("name: box", "name: !!js/undefined ~"), first: { line: 4, message: /unsupported YAML tag/ } },
  {
    name: "tag-python-object.yaml",
    content: VALID + "x: !!python/object/apply:os.system ['rm -rf /']\n",
    first: { line: 9, message: /unsupported YAML tag: .*python/ },
  },
  {
    name: "tag-python-name.yaml",
    content: VALID.replace("machine: {}", "machine: !!python/name:os.system {}"),
    first: { line: 8, message: /unsupported YAML tag/ },
  },
  { name: "tag-custom.yaml", content: VALID.replace("provider: docker", "provider: !Ref Provider"), first: { line: 6, message: /unsupported YAML tag: !Ref/ } },
  {
    name: "tag-omap.yaml",
    content: VALID + "lifecycle: !!omap [ autoStop: { idleMinutes: 1 } ]\n",
    first: { line: 9, message: /unsupported YAML tag: .*omap/ },
  },
  { name: "tag-set.yaml", content: VALID + "access: !!set { a }\n", first: { line: 9, message: /unsupported YAML tag: .*set/ } },
  { name: "tag-binary.yaml", content: VALID.replace("name: box", "name: !!binary Ym94"), first: { line: 4, message: /unsupported YAML tag: .*binary/ } },
  // Several documents in one file.
  { name: "docs-two.yaml", content: `${VALID}---\n${VALID}`, first: { line: 9, col: 1, message: /2 YAML documents/ } },
  { name: "docs-three.yaml", content: `---\n${VALID}---\n${VALID}---\n${VALID}`, first: { line: 10, message: /3 YAML documents/ } },
  { name: "docs-after-end-marker.yaml", content: `${VALID}...\nkind: Pool\n`, first: { line: 10, message: /2 YAML documents/ } },
  // Nothing in it.
  { name: "empty.yaml", content: "", first: { line: 1, col: 1, message: /empty/ } },
  { name: "blank-lines.yaml", content: "\n  \n\t\n", first: { line: 1, col: 1, message: /empty/ } },
  { name: "bom-only.yaml", content: Buffer.from([0xef, 0xbb, 0xbf]), first: { line: 1, col: 1, message: /empty/ } },
  { name: "comments-only.yaml", content: "# a formation\n# to be written\n", first: { line: 1, col: 1, message: /only comments/ } },
  { name: "comments-and-marker.yaml", content: "---\n# nothing yet\n", first: { line: 1, col: 1, message: /only comments/ } },
  // Prototype keys: an error at the key, never pollution.
  { name: "proto-top.yaml", content: VALID + "__proto__: { polluted: yes }\n", first: { line: 9, col: 1, message: /unknown key '__proto__'/ } },
  {
    name: "proto-nested.yaml",
    content: VALID.replace("machine: {}", "machine: { __proto__: { polluted: yes } }"),
    first: { line: 8, col: 14, message: /unknown key '__proto__'/ },
  },
  {
    name: "proto-constructor.yaml",
    content: VALID + "constructor: { prototype: { polluted: yes } }\n",
    first: { line: 9, col: 1, message: /unknown key 'constructor'/ },
  },
  {
    name: "proto-prototype.yaml",
    content: VALID.replace("  name: box", "  name: box\n  prototype: { polluted: yes }"),
    first: { line: 5, col: 3, message: /unknown key 'prototype'/ },
  },
  {
    name: "proto-env-mapping.yaml",
    content: DOCKER + "    env: { __proto__: { polluted: yes } }\n",
    first: { line: 10, message: /'__proto__' must be a string/ },
  },
  {
    name: "proto-labels.yaml",
    content: VALID.replace("  name: box", "  name: box\n  labels: { __proto__: x }"),
    first: { line: 5, message: /key '__proto__'/ },
  },
  // Not UTF-8: the bad byte's own line and column.
  {
    name: "utf8-ff.yaml",
    content: Buffer.concat([Buffer.from("apiVersion: formations/v1\nkind: Mach"), Buffer.from([0xff]), Buffer.from("ine\n")]),
    first: { line: 2, col: 11, message: /invalid UTF-8 byte 0xff/ },
  },
  {
    name: "utf8-latin1.yaml",
    content: Buffer.from(VALID.replace("name: box", "name: caf\u00e9"), "latin1"),
    first: { line: 4, col: 12, message: /invalid UTF-8 byte 0xe9/ },
  },
  {
    name: "utf8-overlong.yaml",
    content: Buffer.concat([Buffer.from("a: \u00e9\u00e9"), Buffer.from([0xc0, 0xaf])]),
    first: { line: 1, col: 6, message: /0xc0/ },
  },
  {
    name: "utf8-surrogate.yaml",
    content: Buffer.concat([Buffer.from("a: b\nc: d"), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from("\n")]),
    first: { line: 2, col: 5, message: /0xed/ },
  },
  { name: "utf8-truncated.yaml", content: Buffer.concat([Buffer.from("a: b\nc: "), Buffer.from([0xe2, 0x82])]), first: { line: 2, col: 4, message: /0xe2/ } },
  { name: "utf16-le.yaml", content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(VALID, "utf16le")]), first: { line: 1, col: 1, message: /UTF-16/ } },
  {
    name: "utf16-be.yaml",
    content: Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(VALID, "utf16le").swap16()]),
    first: { line: 1, col: 1, message: /UTF-16/ },
  },
  // NUL and other control characters.
  { name: "nul-in-value.yaml", content: VALID.replace("name: box", "name: b\u0000x"), first: { line: 4, col: 10, message: /U\+0000/ } },
  { name: "nul-first.yaml", content: "\u0000" + VALID, first: { line: 1, col: 1, message: /U\+0000/ } },
  { name: "nul-in-comment.yaml", content: VALID + "# a\u0000b\n", first: { line: 9, col: 4, message: /U\+0000/ } },
  { name: "escape-char.yaml", content: VALID.replace("name: box", "name: \u001b[31mbox"), first: { line: 4, col: 9, message: /U\+001B/ } },
  // Very long lines.
  { name: "long-value.yaml", content: VALID.replace("name: box", `name: ${times("a", 900_000)}`), first: { line: 4, col: 9, message: /too long/ } },
  { name: "long-key.yaml", content: VALID + `${times("k", 500_000)}: 1\n`, first: { line: 9, col: 1, message: /YAML syntax error: .*1024/ } },
  { name: "long-single-line.yaml", content: `{${lines(20_000, (i) => `k${i}: ${i}`).replace(/\n/g, ", ")}}`, first: { line: 1, message: /./ } },
  // Many keys.
  { name: "keys-10000-top.yaml", content: VALID + lines(10_000, (i) => `k${i}: ${i}`) + "\n", first: { line: 9, col: 1, message: /unknown key 'k0'/ } },
  {
    name: "keys-10000-labels.yaml",
    content: VALID.replace("  name: box", `  name: box\n  labels:\n${lines(10_000, (i) => `    k${i}: v`)}`),
    first: { line: 5, col: 3, message: /too many entries/ },
  },
  {
    name: "keys-10000-env.yaml",
    content: DOCKER + "    env:\n" + lines(10_000, (i) => `      K${i}: v`) + "\n",
    first: { line: 10, message: /too many entries/ },
  },
  // Not a mapping at the top.
  { name: "top-scalar.yaml", content: "just some words\n", first: { line: 1, col: 1, message: /mapping/ } },
  { name: "top-list.yaml", content: "- a\n- b\n", first: { line: 1, col: 1, message: /mapping/ } },
  { name: "collection-key.yaml", content: VALID + "? [a, b]\n: c\n", first: { line: 9, col: 3, message: /plain strings/ } },
];

let dir = "";
const results = new Map<string, ValidationResult>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "formations-hostile-"));
  for (const c of CASES) await writeFile(join(dir, c.name), c.content);
  await mkdir(join(dir, "a-directory.yaml"));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function expectLocated(result: ValidationResult, file: string) {
  expect(result.valid).toBe(false);
  expect(result.errors.length).toBeGreaterThanOrEqual(1);
  for (const e of result.errors) {
    expect(e.file).toBe(file);
    expect(Number.isInteger(e.line) && e.line >= 1, `line ${e.line}`).toBe(true);
    expect(Number.isInteger(e.col) && e.col >= 1, `col ${e.col}`).toBe(true);
    expect(typeof e.message).toBe("string");
    expect(e.message.length).toBeGreaterThan(0);
    expect(typeof e.pointer).toBe("string");
  }
}

describe("hostile files", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s: located errors, no exception", async (_name, c) => {
    const file = join(dir, c.name);
    const result = await validateFormation(file);
    results.set(c.name, result);
    expectLocated(result, file);
    if (c.first) {
      const e = result.errors[0]!;
      expect(e.message).toMatch(c.first.message);
      if (c.first.line !== undefined) expect(e.line).toBe(c.first.line);
      if (c.first.col !== undefined) expect(e.col).toBe(c.first.col);
    }
  });

  it.each([
    ["a directory", (): string => dir],
    ["a directory named like a formation", (): string => join(dir, "a-directory.yaml")],
    ["the root directory", (): string => "/"],
    ["a character device", (): string => "/dev/null"],
    ["a missing file", (): string => join(dir, "missing.yaml")],
  ] as const)("%s passed as a file gives one error at 1:1", async (_name, path) => {
    const result = await validateFormation(path());
    expectLocated(result, path());
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ line: 1, col: 1 });
    expect(result.errors[0]!.message).toMatch(/not a regular file|no such file/);
  });

  it("a file of exactly 1 MiB is not refused for its size", async () => {
    const file = join(dir, "exactly-1mib.yaml");
    await writeFile(file, VALID + "# " + times("x", MAX_FILE_BYTES - VALID.length - 3) + "\n");
    const result = await validateFormation(file);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("validateText applies the same size limit as files", () => {
    const result = validateText(VALID + "# " + times("x", MAX_FILE_BYTES), "big.yaml");
    expectLocated(result, "big.yaml");
    expect(result.errors[0]!.message).toMatch(/1 MiB/);
  });

  it("an alias bomb gives one error, not millions", () => {
    expect(results.get("billion-laughs-flow.yaml")?.errors).toHaveLength(1);
    expect(results.get("billion-laughs-block.yaml")?.errors).toHaveLength(1);
  });

  it("a bad kind-of-file error comes alone (no YAML errors from UTF-16 text, no schema errors from a bomb)", () => {
    for (const name of ["utf16-le.yaml", "utf16-be.yaml", "big-5mib.yaml", "deep-brackets.yaml", "empty.yaml"]) {
      expect(results.get(name)?.errors, name).toHaveLength(1);
    }
  });

  it("every key of a 10,000-key file is reported, each at its own line", () => {
    const errors = results.get("keys-10000-top.yaml")!.errors;
    expect(errors).toHaveLength(10_000);
    expect(new Set(errors.map((e) => e.line)).size).toBe(10_000);
    expect(errors[9_999]).toMatchObject({ line: 9 + 9_999, col: 1, pointer: "/k9999" });
  });

  it("prototype keys pollute nothing", () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain("polluted");
    // A label or env var may be named 'constructor' or '__proto__': an own property, nothing more.
    const env = validateText(DOCKER + "    env: { __proto__: x, constructor: y }\n");
    expect(env.valid && env.formation.kind).toBe("Docker");
    if (env.valid && env.formation.kind === "Docker") {
      const vars = env.formation.spec.container.env ?? {};
      expect(Object.getPrototypeOf(vars)).toBe(Object.prototype);
      expect(Object.getOwnPropertyNames(vars).sort()).toEqual(["__proto__", "constructor"]);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("after all of that, the same process still validates a good formation", () => {
    const result = validateText(VALID, "good.yaml");
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });
});
