// Plan at scale: `formations plan --json` of an HPCCluster with 10, 100 and 1,000 compute nodes on
// every provider, and of an Azure Pool of 10 and 1,000 VMs (the provider with the most resources
// per machine). Each 1,000-node plan is compared with the 10-node plan of the same provider
// (issue 17: at most 3x) and its peak RSS with 500 MiB. The notes give the whole series: wall
// time, CPU time (user+sys, which other jobs on the machine disturb less) and peak RSS.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CLI, NODE, interleave, median, row, runCold, runsFromEnv, side, tempDir } from "./lib.mjs";

export const name = "scaling";
export const description = "plan --json of 10/100/1,000 nodes per provider: time and peak RSS, 1,000 vs 10";

const PROVIDERS = ["aws", "azure", "gcp", "openstack", "docker"];
const SIZES = [10, 100, 1000];
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl bench@example.org";
const CLOUD = {
  aws: "{ provider: aws, region: eu-west-1 }",
  azure: "{ provider: azure, region: westeurope }",
  gcp: "{ provider: gcp, region: europe-west1, zone: europe-west1-b, project: bench-1 }",
  openstack: "{ provider: openstack, region: RegionOne }",
  docker: "{ provider: docker }",
};

const hpc = (provider, n) => `apiVersion: formations/v1
kind: HPCCluster
metadata: { name: bench-hpc }
cloud: ${CLOUD[provider]}
access: { sshPublicKeys: ["${KEY}"], allowFrom: ["203.0.113.0/24"] }
lifecycle: { autoStop: { idleMinutes: 60 } }
spec:
  headNode: { machine: { size: large } }
  computeNodes: { count: ${n}, machine: { size: xlarge } }
  sharedStorage: { sizeGb: 1000 }
`;

const pool = (provider, n) => `apiVersion: formations/v1
kind: Pool
metadata: { name: bench-pool }
cloud: ${CLOUD[provider]}
access: { sshPublicKeys: ["${KEY}"], allowFrom: ["203.0.113.0/24"] }
lifecycle: { autoStop: { idleMinutes: 40 } }
spec:
  count: ${n}
  machine: { size: medium }
  ports: [8080]
`;

/** One run under /usr/bin/time: peak RSS (KiB), CPU seconds and the resource count; null fields without it. */
async function measured(file, dir) {
  const out = join(dir, "time.txt");
  const timed = existsSync("/usr/bin/time");
  const r = timed
    ? await runCold({ cmd: "/usr/bin/time", args: ["-f", "%M %U %S", "-o", out, NODE, CLI, "plan", "--json", file] }, { capture: true })
    : await runCold({ cmd: NODE, args: [CLI, "plan", "--json", file] }, { capture: true });
  if (r.code !== 0) throw new Error(`plan ${file}: exit ${r.code}\n${r.stderr}`);
  const resources = JSON.parse(r.stdout).resources.length;
  if (!timed) return { rssKb: null, cpuS: null, resources };
  const [rss, user, sys] = (await readFile(out, "utf8")).trim().split("\n").pop().split(" ").map(Number);
  return { rssKb: rss, cpuS: user + sys, resources };
}

const mib = (kb) => (kb === null ? "n/a" : `${(kb / 1024).toFixed(0)} MiB`);
const secs = (s) => (s === null ? "n/a" : `${s.toFixed(2)} s`);

/**
 * Why the goal is met or missed, from the series' two ends: the small plan is nearly all fixed
 * cost (loading the SDKs), the rest grows with the resources. Says what each added resource costs
 * in CPU and peak RSS and what it may cost for the 1,000-node plan to stay within 3x and 500 MiB.
 */
function why(small, big) {
  const added = big.resources - small.resources;
  if (big.cpuS === null || small.cpuS === null || big.rssKb === null || small.rssKb === null || added <= 0) return "";
  const perMs = ((big.cpuS - small.cpuS) * 1000) / added;
  const allowMs = (2 * small.cpuS * 1000) / added; // big <= 3 x small
  const perKb = (big.rssKb - small.rssKb) / added;
  const allowKb = (500 * 1024 - small.rssKb) / added;
  const perMachineMs = ((big.cpuS - small.cpuS) * 1000) / (big.n - small.n);
  const verdict = (ok) => (ok ? "met" : "MISSED");
  return (
    `CPU ${verdict(perMs <= allowMs)}: fixed cost ${secs(small.cpuS)} (the ${small.n}-node plan), then ${perMs.toFixed(2)} ms per added resource (${perMachineMs.toFixed(2)} ms per added machine, ` +
    `${added} resources added: Pulumi's per-resource registration under its mocks, and GC of it); within 3x needs <= ${allowMs.toFixed(2)} ms; ` +
    `peak RSS ${verdict(big.rssKb < 500 * 1024)}: ${perKb.toFixed(0)} KiB per added resource, under 500 MiB needs <= ${allowKb.toFixed(0)} KiB`
  );
}

export async function run() {
  const runs = runsFromEnv(3);
  const { dir, cleanup } = await tempDir("scaling");
  try {
    const rows = [];
    // BENCH_SERIES="aws HPC,azure Pool" runs only the series named (the whole set runs for minutes).
    const only = (process.env.BENCH_SERIES ?? "")
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
    const series = [
      ...PROVIDERS.map((p) => ({ label: `${p} HPC`, make: (n) => hpc(p, n), sizes: SIZES })),
      { label: "azure Pool", make: (n) => pool("azure", n), sizes: SIZES },
    ].filter((s) => only.length === 0 || only.includes(s.label));
    if (series.length === 0) throw new Error(`BENCH_SERIES names no series: ${process.env.BENCH_SERIES}`);
    for (const s of series) {
      const points = [];
      for (const n of s.sizes) {
        const file = join(dir, `${s.label.replace(" ", "-")}-${n}.yaml`);
        await writeFile(file, s.make(n));
        const extra = [];
        for (let i = 0; i < runs; i++) extra.push(await measured(file, dir));
        const rssKb = extra.some((e) => e.rssKb === null) ? null : median(extra.map((e) => e.rssKb));
        const cpuS = extra.some((e) => e.cpuS === null) ? null : median(extra.map((e) => e.cpuS));
        points.push({ n, file, rssKb, cpuS, resources: extra[0].resources });
        // Progress on stderr (the table comes at the end): a long series shows where it is.
        console.error(`  ${s.label} ${n}: ${extra[0].resources} resources, ${secs(cpuS)} CPU, ${mib(rssKb)}`);
      }
      const small = points[0];
      const big = points[points.length - 1];
      // Wall times of the smallest and largest plan, interleaved so that machine noise hits both.
      const cmd = (p) => ({ label: `plan ${p.n} nodes (${p.resources} resources)`, cmd: NODE, args: [CLI, "plan", "--json", p.file] });
      const [a, b] = await interleave(
        [cmd(big), cmd(small)].map((c) => async () => (await runCold(c)).ms),
        { runs, warmup: 0 },
      );
      const ours = side(cmd(big).label, a, big.rssKb);
      const baseline = side(cmd(small).label, b, small.rssKb);
      const cpuRatio = big.cpuS !== null && small.cpuS ? ` CPU ratio ${(big.cpuS / small.cpuS).toFixed(2)}x;` : "";
      const note = `series (nodes: resources, CPU, peak RSS):${points.map((p) => ` ${p.n}: ${p.resources}, ${secs(p.cpuS)}, ${mib(p.rssKb)}`).join(";")};${cpuRatio} ${why(small, big)}`;
      rows.push(
        row({
          bench: name,
          case: `${s.label} ${big.n} vs ${small.n}`,
          compared: `plan --json of ${s.label} with ${big.n} vs ${small.n} machines`,
          runs,
          ours,
          baseline,
          note,
          target: { metric: "ratio", max: 3 },
        }),
      );
      rows.push(
        row({
          bench: name,
          case: `${s.label} ${big.n}, peak RSS`,
          compared: `peak resident memory of the ${big.n}-machine plan`,
          runs,
          ours,
          baseline,
          target: { metric: "oursRssMb", max: 500 },
        }),
      );
    }
    return rows;
  } finally {
    await cleanup();
  }
}
