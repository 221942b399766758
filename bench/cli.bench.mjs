// CLI start: `formations --version` and `--help` against an empty Node process (issue 17: within
// 100 ms), each a cold process to exit.
import { CLI, NODE, compareCold, row, runChecked, runsFromEnv } from "./lib.mjs";

export const name = "cli";
export const description = "cold `formations --version` and `--help` vs `node -e ''`";

export async function run() {
  const runs = runsFromEnv(15);
  const empty = { label: "node -e ''", cmd: NODE, args: ["-e", ""] };
  const rows = [];
  for (const flag of ["--version", "--help"]) {
    const ours = { label: `formations ${flag}`, cmd: NODE, args: [CLI, flag] };
    await runChecked(ours);
    const cold = await compareCold({ ours, baseline: empty, runs });
    rows.push(
      row({
        bench: name,
        case: flag,
        compared: `formations ${flag} vs an empty Node process, cold to exit`,
        runs,
        ...cold,
        target: { metric: "diffMs", max: 100 },
      }),
    );
  }
  return rows;
}
