// Cold `formations plan` of each provider's HPC example vs loading @pulumi/pulumi alone, and which
// Pulumi SDKs each plan loaded: a formation loads its own provider's SDK and no other.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, NODE, ROOT, compareCold, row, runCold, runsFromEnv } from "./lib.mjs";

export const name = "providers";
export const description = "cold `formations plan` per provider vs require('@pulumi/pulumi'), and the SDKs each loads";

const PROVIDERS = ["aws", "azure", "gcp", "openstack", "docker"];
const SDKS = ["aws", "azure-native", "gcp", "openstack", "docker"];

/** Preloaded into the child: on exit, writes the @pulumi packages whose files were loaded. */
const PROBE =
  'data:text/javascript,import{writeFileSync}from"node:fs";import{createRequire}from"node:module";' +
  'process.on("exit",()=>writeFileSync(process.env.BENCH_SDK_FILE,JSON.stringify([...new Set(Object.keys(createRequire(process.cwd()+"/x.js").cache)' +
  ".map((f)=>(f.match(/node_modules\\/@pulumi\\/([^/]+)\\//)||[])[1]).filter(Boolean))])))";

async function sdksLoaded(file) {
  const dir = await mkdtemp(join(tmpdir(), "bench-sdk-"));
  const out = join(dir, "sdks.json");
  try {
    const r = await runCold({ label: "probe", cmd: NODE, args: ["--import", PROBE, CLI, "plan", file], env: { BENCH_SDK_FILE: out } }, { capture: true });
    if (r.code !== 0) throw new Error(`plan ${file} failed: ${r.stderr}`);
    return JSON.parse(await readFile(out, "utf8"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run() {
  const runs = runsFromEnv(5);
  const pulumiOnly = { label: "require('@pulumi/pulumi')", cmd: NODE, args: ["-e", "require('@pulumi/pulumi')"], cwd: ROOT };
  const rows = [];
  for (const provider of PROVIDERS) {
    const file = join(ROOT, "formations", provider, "hpc.yaml");
    const loaded = await sdksLoaded(file);
    const others = loaded.filter((s) => SDKS.includes(s) && s !== (provider === "azure" ? "azure-native" : provider));
    const cold = await compareCold({ ours: { label: `plan ${provider}/hpc.yaml`, cmd: NODE, args: [CLI, "plan", file] }, baseline: pulumiOnly, runs });
    rows.push(
      row({
        bench: name,
        case: `${provider} plan, cold`,
        compared: `plan of formations/${provider}/hpc.yaml, cold to exit; SDKs loaded: ${loaded.join(", ")}${others.length ? ` (OTHER CLOUDS: ${others.join(", ")})` : " (no other cloud's SDK)"}`,
        runs,
        ...cold,
        target: { metric: "ratio", max: 1.5 },
      }),
    );
  }
  return rows;
}
