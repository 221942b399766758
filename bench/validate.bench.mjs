// `formations validate` as a user runs it (a cold process, to exit) against the least that could do
// the same job, and against Node's own start-up.
import { join } from "node:path";
import { CLI, NODE, ROOT, compareCold, row, runChecked, runsFromEnv, tempDir } from "./lib.mjs";
import { writeFormations } from "./gen-formations.mjs";

export const name = "validate";
export const description = "cold `formations validate` vs a bare yaml+ajv script, vs the same with the precompiled standalone validator, and vs `node -e ''`";

const FILES = 200;

export async function run() {
  const runs = runsFromEnv(15);
  const { dir, cleanup } = await tempDir("validate");
  try {
    await writeFormations(dir, FILES);
    const ours = { label: "formations validate", cmd: NODE, args: [CLI, "validate", dir] };
    const bare = { label: "bare yaml+ajv script", cmd: NODE, args: [join(ROOT, "bench", "bare-validate.mjs"), dir] };
    // Every generated file must be valid on both sides, or the sides would not do the same work.
    await runChecked(ours);
    await runChecked(bare);
    const many = await compareCold({ ours, baseline: bare, runs });
    const standalone = { label: "bare yaml+standalone validator", cmd: NODE, args: [join(ROOT, "bench", "bare-validate-standalone.mjs"), dir] };
    await runChecked(standalone);
    const strict = await compareCold({ ours, baseline: standalone, runs });

    const one = { ...ours, args: [CLI, "validate", join(dir, "f0005.yaml")] }; // an HPCCluster on aws
    const empty = { label: "node -e ''", cmd: NODE, args: ["-e", ""] };
    await runChecked(one);
    const single = await compareCold({ ours: one, baseline: empty, runs });

    return [
      row({
        bench: name,
        case: `${FILES} files`,
        compared: `validate ${FILES} formation files (every kind x provider), cold process to exit`,
        runs,
        ...many,
        target: { metric: "ratio", max: 1.5 },
      }),
      row({
        bench: name,
        case: `${FILES} files vs standalone`,
        compared: `validate ${FILES} formation files vs a bare script that parses each with yaml and runs the precompiled standalone validator (issue 17: within 1.2x)`,
        runs,
        ...strict,
        target: { metric: "ratio", max: 1.2 },
      }),
      row({
        bench: name,
        case: "1 file vs node",
        compared: "validate one formation file vs an empty Node process, cold to exit",
        runs,
        ...single,
        target: { metric: "diffMs", max: 500 },
      }),
    ];
  } finally {
    await cleanup();
  }
}
