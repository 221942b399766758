// Helpers shared by every bench: cold-process timing, interleaved side-by-side sampling, peak RSS,
// statistics and the row shape that bench/run.mjs prints. Benches report; nothing here asserts.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

/** The repository root (bench/..), so benches run the same from any working directory. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The compiled CLI, as a user runs it; BENCH_CLI names another build's bin/formations.js (before/after runs). */
export const CLI = process.env.BENCH_CLI ?? join(ROOT, "bin", "formations.js");
/** This Node binary, so both sides of a comparison run on the same runtime. */
export const NODE = process.execPath;

const USR_BIN_TIME = "/usr/bin/time";

/**
 * @typedef {object} Command
 * @property {string} label  what the side is, as printed (e.g. "formations validate")
 * @property {string} cmd    executable
 * @property {string[]} args arguments
 * @property {string} [cwd]  working directory (default: the repository root)
 * @property {Record<string, string>} [env] extra environment variables
 */

/**
 * @typedef {object} Side
 * @property {string} label
 * @property {number} medianMs
 * @property {number} minMs
 * @property {number[]} samplesMs
 * @property {number | null} peakRssKb  median peak resident set size, null when it cannot be measured
 */

/**
 * @typedef {object} Row  one comparison, as printed by bench/run.mjs and emitted by --json
 * @property {string} bench     the bench's name
 * @property {string} case      short name of the comparison ("200 files")
 * @property {string} compared  what was compared, in words
 * @property {number} runs      samples per side
 * @property {Side} ours
 * @property {Side} baseline
 * @property {number} ratio     ours.medianMs / baseline.medianMs
 * @property {number} diffMs    ours.medianMs - baseline.medianMs
 * @property {{ metric: "ratio" | "diffMs", max: number, text: string }} target
 * @property {boolean} met      whether the target was met (reported, never asserted)
 * @property {string} [note]
 */

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export const min = (xs) => Math.min(...xs);

/**
 * Spawns a cold process and times it from spawn to exit (wall clock). Output is discarded unless
 * `capture` is set, so terminal speed never enters the measurement.
 * @param {Command} c
 * @returns {Promise<{ ms: number, code: number | null, signal: string | null, stdout: string, stderr: string }>}
 */
export function runCold(c, { capture = false } = {}) {
  return new Promise((resolve, reject) => {
    const stdio = capture ? ["ignore", "pipe", "pipe"] : "ignore";
    const t0 = performance.now();
    const child = spawn(c.cmd, c.args, { cwd: c.cwd ?? ROOT, env: { ...process.env, ...c.env }, stdio });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr?.on("data", (d) => (stderr += d));
    child.on("error", reject);
    // 'exit' marks the end of the process; with captured output wait for 'close' to have all of it.
    child.on(capture ? "close" : "exit", (code, signal) => resolve({ ms: performance.now() - t0, code, signal, stdout, stderr }));
  });
}

/** Runs a command once, capturing output; throws (with its output) unless it exits with `expect`. */
export async function runChecked(c, expect = 0) {
  const r = await runCold(c, { capture: true });
  if (r.code !== expect) {
    throw new Error(`${c.label}: exit ${r.code ?? r.signal}, expected ${expect}\n${r.stdout}${r.stderr}`.trimEnd());
  }
  return r;
}

/** A preloaded module that writes the process's own peak RSS (KiB) on exit: the fallback for Node children. */
const RSS_PROBE =
  'data:text/javascript,import{writeFileSync}from"node:fs";' +
  'process.on("exit",()=>writeFileSync(process.env.BENCH_RSS_FILE,String(process.resourceUsage().maxRSS)))';

/**
 * Peak resident set size of one run, in KiB: `/usr/bin/time -f %M` when present (any command),
 * else `process.resourceUsage().maxRSS` reported by a probe preloaded into a Node child. Runs
 * apart from the timed runs so neither wrapper adds to wall times. Null when neither applies.
 * @param {Command} c
 */
export async function peakRssKb(c) {
  const dir = await mkdtemp(join(tmpdir(), "bench-rss-"));
  const out = join(dir, "rss");
  try {
    let wrapped;
    if (existsSync(USR_BIN_TIME)) wrapped = { ...c, cmd: USR_BIN_TIME, args: ["-f", "%M", "-o", out, c.cmd, ...c.args] };
    else if (c.cmd === NODE) wrapped = { ...c, args: ["--import", RSS_PROBE, ...c.args], env: { ...c.env, BENCH_RSS_FILE: out } };
    else return null;
    await runCold(wrapped);
    const kb = Number.parseInt((await readFile(out, "utf8")).trim().split("\n").pop() ?? "", 10);
    return Number.isFinite(kb) ? kb : null;
  } catch {
    return null;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Samples several async measurements side by side: one warm-up each, then rounds of A, B, A, B, ...
 * so that machine noise (other jobs, CPU frequency, page cache) hits every side alike.
 * @param {Array<() => Promise<number>>} measures each returns one sample in ms
 * @returns {Promise<number[][]>} samples per side, in the order given
 */
export async function interleave(measures, { runs, warmup = 1 }) {
  for (let w = 0; w < warmup; w++) for (const m of measures) await m();
  const samples = measures.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (let s = 0; s < measures.length; s++) samples[s].push(await measures[s]());
  }
  return samples;
}

/**
 * Times two cold commands side by side and measures their peak RSS.
 * @param {{ ours: Command, baseline: Command, runs: number, rssRuns?: number }} o
 * @returns {Promise<{ ours: Side, baseline: Side }>}
 */
export async function compareCold({ ours, baseline, runs, rssRuns = 3 }) {
  const [a, b] = await interleave(
    [ours, baseline].map((c) => async () => (await runCold(c)).ms),
    { runs },
  );
  const rss = async (c) => {
    const xs = [];
    for (let i = 0; i < rssRuns; i++) xs.push(await peakRssKb(c));
    return xs.length === 0 || xs.includes(null) ? null : median(xs);
  };
  return { ours: side(ours.label, a, await rss(ours)), baseline: side(baseline.label, b, await rss(baseline)) };
}

/** @returns {Side} */
export function side(label, samplesMs, peakRss = null) {
  return { label, medianMs: median(samplesMs), minMs: min(samplesMs), samplesMs, peakRssKb: peakRss };
}

/**
 * Builds a row, deciding whether the target was met.
 * @param {{ bench: string, case: string, compared: string, runs: number, ours: Side, baseline: Side,
 *   target: { metric: "ratio" | "diffMs" | "oursRssMb" | "report", max: number }, note?: string }} o
 * @returns {Row}
 */
export function row({ target, ...o }) {
  const ratio = o.ours.medianMs / o.baseline.medianMs;
  const diffMs = o.ours.medianMs - o.baseline.medianMs;
  const rssMb = o.ours.peakRssKb === null ? Number.NaN : o.ours.peakRssKb / 1024;
  // "report": a floor to compare with (the docker CLI), no goal: the ratio is reported, never judged.
  if (target.metric === "report") return { ...o, ratio, diffMs, target: { ...target, text: "(floor)" }, met: true };
  const value = target.metric === "ratio" ? ratio : target.metric === "diffMs" ? diffMs : rssMb;
  // "within 1.5x" includes 1.5x; "under 500 ms more" and "under 1 GiB" exclude the limit.
  const met = target.metric === "ratio" ? value <= target.max : value < target.max;
  const text = target.metric === "ratio" ? `<= ${target.max}x` : target.metric === "diffMs" ? `< +${target.max} ms` : `peak RSS < ${target.max} MiB`;
  return { ...o, ratio, diffMs, target: { ...target, text }, met };
}

/** A fresh temporary directory and a function that removes it. */
export async function tempDir(prefix) {
  const dir = await mkdtemp(join(tmpdir(), `bench-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Samples per side: `--runs N` on the command line or BENCH_RUNS, else the bench's default. */
export function runsFromEnv(fallback) {
  const n = Number.parseInt(process.env.BENCH_RUNS ?? "", 10);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}
