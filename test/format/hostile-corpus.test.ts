/**
 * Layer 1: the hostile-input corpus (test/fixtures/hostile/), each file with the exact errors it
 * must give (expected.json: line, col, pointer, message as `validate --json` prints them), then
 * what issue 12 found in the loader: aliases resolved by walking the document once each
 * (quadratic), text rendering per error (quadratic, uncapped), `%YAML 1.1` silently changing
 * meaning, a secret's line echoed, Infinity called "a fraction", and the parser's own recursion.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Alias } from "yaml";
import { FormationError, validateFormation, validateText } from "../../format/load.js";
import { MAX_PRINTED, renderDiagnostics, toJsonError, type Diagnostic, type JsonError } from "../../format/diagnostics.js";

const dir = fileURLToPath(new URL("../fixtures/hostile/", import.meta.url));
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Record<string, JsonError[]>;
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the hostile corpus", () => {
  it("states the expected errors of every file, and of no other", () => {
    expect(Object.keys(expected).sort()).toEqual(files);
  });

  it.each(files)("%s gives exactly its expected errors", async (name) => {
    const result = await validateFormation(join(dir, name));
    expect(result.errors.map(toJsonError)).toEqual(expected[name]);
    expect(result.valid).toBe(expected[name]!.length === 0);
    // Text output never prints a secret's value or an invisible character that reorders the line.
    const text = renderDiagnostics(result.errors, result.source).join("\n");
    expect(text).not.toMatch(/424242|hunter2|\u202e/);
  });

  it("YAML 1.2 keeps its meaning: '010' is ten, CRLF line ends are plain line ends", async () => {
    for (const name of ["count-octal-like.yaml", "crlf-line-ends.yaml", "yaml-1.2-directive.yaml"]) {
      const r = await validateFormation(join(dir, name));
      expect(r.valid && r.formation.kind === "Pool" ? r.formation.spec.count : undefined, name).toBe(name === "count-octal-like.yaml" ? 10 : 2);
    }
  });
});

describe("aliases are resolved in one walk (item 1)", () => {
  it("16,000 aliases of one anchor: no alias is resolved by walking the document again", async () => {
    // yaml's resolve without a context walks the whole document; once per alias was quadratic.
    const resolve = vi.spyOn(Alias.prototype, "resolve");
    const result = await validateFormation(join(dir, "alias-16000.yaml"));
    expect(result.errors).toHaveLength(1);
    expect(resolve.mock.calls.filter(([, ctx]) => ctx === undefined)).toEqual([]);
  });

  it("an error inside aliased data is still located at the anchor", () => {
    const text =
      "apiVersion: formations/v1\nkind: Pool\nmetadata:\n  name: lab\ncloud:\n  provider: docker\nx: &m { size: tiny }\nspec:\n  count: 2\n  machine: *m\n";
    const result = validateText(text, "alias.yaml");
    expect(result.errors.map(toJsonError)).toEqual([
      { line: 7, col: 1, pointer: "/x", message: "unknown key 'x' (allowed keys here: apiVersion, kind, metadata, cloud, access, lifecycle, spec)" },
      {
        line: 7,
        col: 15,
        pointer: "/spec/machine/size",
        message: "'tiny' is not a valid value for 'size' (allowed values: small, medium, large, xlarge, 2xlarge)",
      },
    ]);
  });
});

describe("rendering many errors (item 2)", () => {
  const source = Array.from({ length: 10_000 }, (_, i) => `k${i}: ${i}`).join("\n");
  const many: Diagnostic[] = Array.from({ length: 10_000 }, (_, i) => ({
    file: "f.yaml",
    line: i + 1,
    col: 1,
    pointer: `/k${i}`,
    message: `unknown key 'k${i}'`,
  }));

  it("prints the first MAX_PRINTED with their lines, then one line counting the rest", () => {
    const blocks = renderDiagnostics(many, source);
    expect(MAX_PRINTED).toBe(100);
    expect(blocks).toHaveLength(101);
    expect(blocks[99]).toBe("f.yaml:100:1: error: unknown key 'k99' (at /k99)\n 100 | k99: 99\n     | ^");
    expect(blocks[100]).toBe("f.yaml: 9900 more errors not shown (the first 100 are above; 'formations validate --json f.yaml' lists every one)");
  });

  it("a FormationError keeps every diagnostic, and its message the first 100", () => {
    const e = new FormationError("f.yaml", many, source);
    expect(e.diagnostics).toHaveLength(10_000);
    expect(e.message.split("\n").filter((l) => l.includes(": error: "))).toHaveLength(100);
  });
});

describe("the YAML parser's own limits", () => {
  it("12,000 over-indented lines (each an implicit key one level deeper) give one located error, not a stack overflow", () => {
    const text = readFileSync(join(dir, "over-indented-keys.yaml"), "utf8");
    // Twice: after a stack overflow, V8 may abort on the next deep parse.
    for (let i = 0; i < 2; i++) expect(validateText(text, "deep.yaml").errors.map(toJsonError)).toEqual(expected["over-indented-keys.yaml"]);
  });

  it("more values than any formation holds are refused where the limit is crossed", () => {
    const text = `apiVersion: formations/v1\nx: [${"1,".repeat(250_000)}1]\n`;
    expect(validateText(text, "many.yaml").errors.map(toJsonError)).toEqual([
      // Values counted: apiVersion, its value, x, the list: the 200,001st is the list's 199,997th item.
      {
        line: 2,
        col: 4 + 2 * 199_996 + 1,
        pointer: "",
        message: "more than 200,000 values: formations hold a few thousand at most (this looks like generated data, not a formation; check the file)",
      },
    ]);
  });
});
