// Hostile files (issue 12): `formations validate` on an alias storm against the same list of plain
// values, on an error storm against half of it, and text against --json on the storm. Linear
// work shows as ratios near 1; the quadratic versions took minutes (alias storm: 63 s text, 89 s
// --json; 50,000 errors: 283 s text, 7.6 s --json, on the loaded 2-core machine of the issue).
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CLI, NODE, ROOT, compareCold, row, runChecked, runsFromEnv, tempDir } from "./lib.mjs";

export const name = "hostile";
export const description = "validate: an alias storm vs plain values; twice the errors vs half; text vs --json";

const ERRORS = 50_000;

export async function run() {
  const runs = runsFromEnv(5);
  const { dir, cleanup } = await tempDir("hostile");
  try {
    const base = await readFile(join(ROOT, "formations", "docker", "machine.yaml"), "utf8");
    // The file: a valid formation, then 16,000 aliases of one anchor (80 KB).
    const aliases = base.replace("team: platform", "team: &a platform") + `x: [${Array(16_000).fill("*a").join(", ")}]\n`;
    const storm = (n) => base + Array.from({ length: n }, (_, i) => `k${i}: ${i}\n`).join("");
    // The same list with plain values instead of aliases: the same size and the same parse work.
    const plain = aliases.replace("&a ", "").replace(/\*a/g, "aa");
    const files = { aliases, "plain-values": plain, storm: storm(ERRORS), "storm-half": storm(ERRORS / 2) };
    for (const [f, text] of Object.entries(files)) await writeFile(join(dir, `${f}.yaml`), text);
    const validate = (f, ...flags) => ({
      label: ["validate", ...flags, `${f}.yaml`].join(" "),
      cmd: NODE,
      args: [CLI, "validate", ...flags, join(dir, `${f}.yaml`)],
    });
    // Every file is invalid (an unknown key at least): each side does its whole job, to exit 1.
    for (const c of [validate("aliases"), validate("plain-values"), validate("storm"), validate("storm", "--json"), validate("storm-half")])
      await runChecked(c, 1);

    const alias = await compareCold({ ours: validate("aliases"), baseline: validate("plain-values"), runs });
    // Twice the errors, twice the time: linear (the quadratic renderer took four times as long).
    const doubling = await compareCold({ ours: validate("storm"), baseline: validate("storm-half"), runs });
    const textJson = await compareCold({ ours: validate("storm"), baseline: validate("storm", "--json"), runs });
    return [
      row({
        bench: name,
        case: "alias storm",
        compared: "16,000 aliases of one anchor vs the same list of plain values (same size)",
        runs,
        ...alias,
        target: { metric: "ratio", max: 2 },
      }),
      row({
        bench: name,
        case: "errors x2, text",
        compared: `${ERRORS} vs ${ERRORS / 2} errors (unknown keys), text: twice the errors, at most 2.5x the time`,
        runs,
        ...doubling,
        target: { metric: "ratio", max: 2.5 },
      }),
      row({
        bench: name,
        case: "text vs --json",
        compared: `${ERRORS} errors: text (first 100 printed) vs --json (every error)`,
        runs,
        ...textJson,
        target: { metric: "ratio", max: 1.5 },
      }),
    ];
  } finally {
    await cleanup();
  }
}
