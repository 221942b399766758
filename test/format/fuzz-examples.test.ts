/**
 * Layer 1, fuzzed: the example formations (formations/<provider>/<kind>.yaml) mutated the ways
 * issue 12's attacks did (alias storms, error storms, YAML version directives, numbers JSON cannot
 * hold, over-indented lines, secrets in env vars, invisible characters), plus plain edits, a few
 * thousand cases per run (fast-check; a failure prints the seed and path to replay).
 *
 * Whatever the text, the loader and the text renderer never throw, errors stay inside the text,
 * at most MAX_PRINTED errors are printed per file, no printed line holds a secret's value or an
 * invisible character, and a formation that validates plans offline (pure, no Pulumi) with its
 * Docker ports on loopback unless allowFrom lets everyone in. No timing is asserted: the run
 * counts bound the work, the timeout only gives a loaded machine room.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateText } from "../../format/load.js";
import { MAX_PRINTED, renderDiagnostics, secretLine, toJsonError } from "../../format/diagnostics.js";
import { KINDS } from "../../format/types.js";
import { planSession } from "../../plan/index.js";
import { publishedPorts } from "../../clouds/docker/emit/ports.js";

const root = fileURLToPath(new URL("../../formations/", import.meta.url));
const examples = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(root, d.name))
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => ({ name: `${d.name}/${f}`, text: readFileSync(join(root, d.name, f), "utf8") })),
  )
  .sort((a, b) => a.name.localeCompare(b.name));

/** Marks every secret value the fuzzer writes, so a leak in the output is found by name. */
const SECRET = "S3CRET-VALUE";
const INVISIBLE = ["\u202e", "\u200b", "\u2066", "\ufeff"];

type Mutation = (text: string) => string;
const lines = (t: string) => t.split("\n");
const at = (n: number, length: number) => (length === 0 ? 0 : n % length);
/** Lines that hold a `key: value` pair, to aim at real values. */
const valueLines = (t: string) => lines(t).flatMap((l, i) => (/^\s*[A-Za-z][\w-]*:\s+\S/.test(l) ? [i] : []));

function onLine(text: string, n: number, change: (line: string) => string, pick: (t: string) => number[] = (t) => lines(t).map((_, i) => i)): string {
  const all = lines(text);
  const targets = pick(text);
  if (targets.length === 0) return text;
  const i = targets[at(n, targets.length)]!;
  all[i] = change(all[i]!);
  return all.join("\n");
}

const mutations: fc.Arbitrary<[string, Mutation]>[] = [
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 150 })).map(([n, count]) => [
    "alias storm",
    (t) => {
      // An anchor on some value, then a list of many aliases of it.
      const anchored = onLine(t, n, (l) => l.replace(/:\s+(\S)/, ": &z $1"), valueLines);
      return anchored === t ? t : `${anchored.trimEnd()}\nzz: [${Array(count).fill("*z").join(", ")}]\n`;
    },
  ]),
  fc.tuple(fc.nat(), fc.integer({ min: 2, max: 150 })).map(([n, times]) => [
    "error storm: a line repeated",
    (t) => {
      const all = lines(t);
      const i = at(n, all.length);
      all.splice(i, 0, ...Array(times).fill(all[i]));
      return all.join("\n");
    },
  ]),
  fc
    .integer({ min: 101, max: 150 })
    .map((count) => ["error storm: unknown keys", (t) => `${t.trimEnd()}\n${Array.from({ length: count }, (_, i) => `bogus${i}: 1`).join("\n")}\n`]),
  fc.constantFrom("%YAML 1.1", "%YAML 1.2", "%YAML 1.3", "%YAML 2.0", "%YAML 1.1 # old").map((d) => [`directive ${d}`, (t) => `${d}\n---\n${t}`]),
  fc
    .tuple(fc.nat(), fc.constantFrom(".inf", "-.inf", ".nan", ".NaN", "1e400", "-0", "010", "0x1F", "0o17", "1_000"))
    .map(([n, v]) => ["odd number", (t) => onLine(t, n, (l) => l.replace(/:\s+.*$/, `: ${v}`), valueLines)]),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 100 })).map(([n, count]) => [
    "over-indented lines",
    (t) => {
      const all = lines(t);
      all.splice(at(n, all.length), 0, ...Array(count).fill("        k: v"));
      return all.join("\n");
    },
  ]),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom("DB_PASSWORD", "api_key", "GITHUB_TOKEN", "secret", "aws_secret_access_key", "passphrase"),
      fc.constantFrom("", "1234", "true", "[x]"),
    )
    .map(([n, key, extra]) => [
      "a secret",
      (t) => {
        // A secret under env (right place, maybe wrong type) or anywhere else (wrong place).
        const value = extra === "" ? SECRET : extra === "[x]" ? `[${SECRET}]` : `${SECRET}${extra}`;
        const env = /^(\s+)image: .*$/m.exec(t);
        if (env && n % 2 === 0) return t.replace(env[0], `${env[0]}\n${env[1]}env:\n${env[1]}  ${key}: ${value}`);
        return onLine(t, n, (l) => `${l.match(/^\s*/)![0]}${key}: ${value}`);
      },
    ]),
  fc.tuple(fc.nat(), fc.constantFrom(...INVISIBLE)).map(([n, c]) => [
    "invisible character",
    (t) => {
      const i = at(n, t.length + 1);
      return t.slice(0, i) + c + t.slice(i);
    },
  ]),
  fc.nat().map((n) => [
    "delete a line",
    (t) => {
      const all = lines(t);
      all.splice(at(n, all.length), 1);
      return all.join("\n");
    },
  ]),
  fc.nat().map((n) => ["truncate", (t) => t.slice(0, at(n, t.length + 1))]),
  fc.tuple(fc.nat(), fc.string({ unit: "binary", minLength: 1, maxLength: 4 })).map(([n, s]) => [
    "random characters",
    (t) => {
      const i = at(n, t.length + 1);
      return t.slice(0, i) + s + t.slice(i);
    },
  ]),
];

const POINTER = /^(\/([^~/]|~[01])*)*$/;

function check(text: string): void {
  const file = "fuzzed.yaml";
  const result = validateText(text, file);
  if (result.valid) {
    expect(result.errors).toEqual([]);
    expect(KINDS).toContain(result.formation.kind);
    const plan = planSession(result.formation);
    if (plan.provider === "docker") {
      const everyone = plan.allowFrom.some((c) => c === "0.0.0.0/0" || c === "::/0");
      for (const m of plan.machines) for (const p of publishedPorts(plan, m)) expect(p.ip).toBe(everyone ? "0.0.0.0" : "127.0.0.1");
    }
    return;
  }
  const all = lines(text);
  for (const e of result.errors) {
    expect(e.line >= 1 && e.line <= all.length, `line ${e.line}: ${e.message}`).toBe(true);
    expect(e.col >= 1 && e.col <= all[e.line - 1]!.length + 1, `col ${e.col}: ${e.message}`).toBe(true);
    expect(e.pointer).toMatch(POINTER);
  }
  expect(JSON.parse(JSON.stringify(result.errors.map(toJsonError)))).toHaveLength(result.errors.length);
  const printed = renderDiagnostics(result.errors, result.source);
  expect(printed.length).toBeLessThanOrEqual(MAX_PRINTED + 1);
  const out = printed.join("\n");
  // Hidden wherever its line still names a credential key. A later mutation can break the key
  // itself (a space inserted: `DB_P ASSWORD:`), and then the value is an ordinary one: found by a
  // random seed, it is no leak of something the file marked as a credential.
  if (all.filter((l) => l.includes(SECRET)).every((l) => secretLine(l))) expect(out).not.toContain(SECRET);
  for (const c of INVISIBLE) expect(out).not.toContain(c);
}

describe("the example formations, mutated", () => {
  it("are all valid before mutation", () => {
    expect(examples.length).toBeGreaterThanOrEqual(30);
    for (const e of examples) expect(validateText(e.text, e.name).errors, e.name).toEqual([]);
  });

  it("a value under a credential key is never echoed; a key broken by a typo no longer marks it (the fuzzer's counterexample, seed 1380387019)", () => {
    const shown = (text: string) => {
      const r = validateText(text, "fuzzed.yaml");
      return renderDiagnostics(r.errors, r.source).join("\n");
    };
    expect(shown(`DB_PASSWORD: ${SECRET}\n`)).not.toContain(SECRET);
    expect(shown(`DB_PASSWORD: ${SECRET}\n`)).toMatch(/missing required key 'apiVersion'/);
    expect(secretLine(`DB_P ASSWORD: ${SECRET}`)).toBe(false);
  });

  it("give a plannable formation or located, bounded, secret-free errors; never an exception", () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(fc.nat(), fc.array(fc.oneof(...mutations), { minLength: 1, maxLength: 3 }), (n, chosen) => {
        let text = examples[n % examples.length]!.text;
        for (const [name, mutate] of chosen) {
          text = mutate(text);
          seen.set(name, (seen.get(name) ?? 0) + 1);
        }
        check(text);
      }),
      // FUZZ_SEED replays a run; otherwise each run explores new cases (a failure prints its seed).
      { numRuns: 2000, ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) },
    );
    // Every kind of mutation ran many times.
    for (const [name] of mutations.map((m) => fc.sample(m, 1)[0]!)) {
      const key = name.startsWith("directive") ? [...seen.keys()].filter((k) => k.startsWith("directive")) : [name];
      expect(
        key.reduce((sum, k) => sum + (seen.get(k) ?? 0), 0),
        name,
      ).toBeGreaterThan(100);
    }
  }, 300_000);
});
