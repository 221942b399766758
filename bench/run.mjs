// `npm run bench [-- NAME...] [--json] [--runs N]`: runs every bench/*.bench.mjs (or the ones named)
// and prints, per bench, each comparison side by side: median and min wall time and peak RSS of
// both sides, their ratio and difference, the target and whether it was met. It reports; it never
// fails because a target was missed (exit 0), only for a bench that could not run (exit 3) or a
// usage mistake (exit 2).
import { readdir } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";
import { availableParallelism, loadavg } from "node:os";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const USAGE = "usage: npm run bench -- [NAME...] [--json] [--runs N]";

function parseArgs(argv) {
  const opts = { names: [], json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") opts.json = true;
    else if (a === "--runs" || a.startsWith("--runs=")) {
      const v = a.includes("=") ? a.slice(7) : argv[++i];
      if (!/^[1-9][0-9]*$/.test(v ?? "")) throw new Error(`--runs needs a positive integer, got '${v ?? ""}'`);
      process.env.BENCH_RUNS = v; // read by each bench through runsFromEnv()
    } else if (a === "-h" || a === "--help") opts.help = true;
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else opts.names.push(a);
  }
  return opts;
}

const ms = (x) => `${x.toFixed(x < 100 ? 1 : 0)} ms`;
const mib = (kb) => (kb === null ? "n/a" : `${(kb / 1024).toFixed(1)} MiB`);
const signed = (x) => `${x >= 0 ? "+" : "-"}${ms(Math.abs(x))}`;

/** Renders rows as aligned columns; numbers right-aligned, text left-aligned. */
function table(header, lines, right) {
  const all = [header, ...lines];
  const w = header.map((_, c) => Math.max(...all.map((l) => l[c].length)));
  const fmt = (l) =>
    l
      .map((cell, c) => (right.has(c) ? cell.padStart(w[c]) : cell.padEnd(w[c])))
      .join("  ")
      .trimEnd();
  return [fmt(header), fmt(w.map((n) => "-".repeat(n))), ...lines.map(fmt)].join("\n");
}

function render(bench, rows) {
  const header = ["case", "ours", "median", "min", "peak RSS", "baseline", "median", "min", "peak RSS", "ratio", "diff", "target", "met"];
  const lines = rows.map((r) => [
    r.case,
    r.ours.label,
    ms(r.ours.medianMs),
    ms(r.ours.minMs),
    mib(r.ours.peakRssKb),
    r.baseline.label,
    ms(r.baseline.medianMs),
    ms(r.baseline.minMs),
    mib(r.baseline.peakRssKb),
    `${r.ratio.toFixed(2)}x`,
    signed(r.diffMs),
    r.target.text,
    r.met ? "yes" : "NO",
  ]);
  const notes = rows.map((r) => `  ${r.case}: ${r.compared}; ${r.runs} runs per side, interleaved${r.note ? `; ${r.note}` : ""}`);
  return `\n== ${bench.name}: ${bench.description ?? ""}\n${table(header, lines, new Set([2, 3, 4, 6, 7, 8, 9, 10]))}\n${notes.join("\n")}\n`;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`bench: ${err.message}\n${USAGE}`);
    return 2;
  }
  const files = (await readdir(HERE)).filter((f) => f.endsWith(".bench.mjs")).sort();
  const benches = [];
  for (const f of files) benches.push({ file: f, ...(await import(pathToFileURL(join(HERE, f)).href)) });
  const known = benches.map((b) => b.name);
  if (opts.help) {
    console.log(`${USAGE}\nbenches: ${known.join(", ")}`);
    return 0;
  }
  const unknown = opts.names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    console.error(`bench: no bench named ${unknown.join(", ")}; known: ${known.join(", ")}`);
    return 2;
  }
  const chosen = opts.names.length ? benches.filter((b) => opts.names.includes(b.name)) : benches;
  const all = [];
  let failed = 0;
  // Other work on the machine widens the spread of samples; say how busy it was.
  const load = () => `load average ${loadavg()[0].toFixed(2)} on ${availableParallelism()} CPUs`;
  if (!opts.json) console.log(`node ${process.version}, ${load()} at start`);
  for (const bench of chosen) {
    if (!opts.json) console.error(`running ${bench.name} ...`);
    try {
      const rows = await bench.run();
      all.push(...rows);
      // A bench whose engines are not here says so in one line instead of an empty table.
      const skipped = rows.length === 0 ? bench.skipReason?.() : undefined;
      if (skipped) console.log(`\n== ${bench.name}: SKIPPED: ${skipped}`);
      else if (!opts.json) console.log(render(bench, rows));
    } catch (err) {
      failed++;
      console.error(`bench ${bench.name} could not run: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (opts.json) console.log(JSON.stringify(all, null, 2));
  else if (all.length) console.log(`${all.filter((r) => r.met).length} of ${all.length} targets met (${load()} at end)`);
  return failed ? 3 : 0;
}

process.exitCode = await main();
