// `node bench/plan-snapshots.mjs OUT_DIR [--cli PATH]`: writes `plan --json` of every example
// formation under formations/ and of generated large formations (each kind that scales, on each
// provider) into OUT_DIR, one file each. Then `node bench/plan-snapshots.mjs --compare A B`
// reports every file that differs. Performance work uses it to prove that plans stay identical.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, NODE, ROOT } from "./lib.mjs";
import { formationText } from "./gen-formations.mjs";

const PROVIDERS = ["aws", "azure", "gcp", "openstack", "docker"];

function plan(cli, file) {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [cli, "plan", "--json", file], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

/** Example formations plus generated ones of every kind on every provider, some at 60+ machines. */
async function inputs(tmp) {
  const list = [];
  for (const p of PROVIDERS) {
    for (const f of (await readdir(join(ROOT, "formations", p))).sort()) {
      if (f.endsWith(".yaml")) list.push({ name: `${p}-${f.replace(/\.yaml$/, "")}`, file: join(ROOT, "formations", p, f) });
    }
  }
  // formationText(i) cycles kinds (6) and providers (5); 30 consecutive i cover every pair.
  for (let i = 30; i < 60; i++) {
    const file = join(tmp, `gen-${i}.yaml`);
    await writeFile(file, formationText(i));
    list.push({ name: `gen-${i}`, file });
  }
  return list;
}

async function snapshot(outDir, cli) {
  await mkdir(outDir, { recursive: true });
  const tmp = await mkdtemp(join(tmpdir(), "plan-snap-"));
  try {
    const list = await inputs(tmp);
    let next = 0;
    let failed = 0;
    const worker = async () => {
      while (next < list.length) {
        const { name, file } = list[next++];
        const r = await plan(cli, file);
        await writeFile(join(outDir, `${name}.json`), r.code === 0 ? r.out : `exit ${r.code}\n${r.out}${r.err}`);
        if (r.code !== 0) failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(6, availableParallelism() >> 1)) }, worker));
    console.log(`${list.length} plans written to ${outDir}${failed ? `, ${failed} FAILED` : ""}`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function compare(a, b) {
  const names = [...new Set([...(await readdir(a)), ...(await readdir(b))])].sort();
  let differ = 0;
  for (const n of names) {
    const [x, y] = await Promise.all([readFile(join(a, n), "utf8").catch(() => null), readFile(join(b, n), "utf8").catch(() => null)]);
    if (x !== y) {
      differ++;
      console.log(`DIFFERS: ${n}${x === null || y === null ? " (missing on one side)" : ""}`);
    }
  }
  console.log(`${names.length - differ} of ${names.length} plans identical`);
  return differ ? 1 : 0;
}

const args = process.argv.slice(2);
if (args[0] === "--compare") process.exitCode = await compare(args[1], args[2]);
else {
  const cliAt = args.indexOf("--cli");
  await snapshot(args[0], cliAt >= 0 ? args[cliAt + 1] : CLI);
}
