// `formations plan` of a 1,000-node HPC cluster (a cold process, to exit) vs a bare Pulumi
// program registering the same resources under the same mocks; and a cold plan of a small
// Docker formation vs loading @pulumi/pulumi alone.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CLI, NODE, ROOT, compareCold, row, runCold, runChecked, runsFromEnv, tempDir } from "./lib.mjs";

export const name = "plan";
export const description = "cold `formations plan` of 1,000 HPC nodes vs a bare Pulumi program; cold docker plan vs require('@pulumi/pulumi')";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl bench@example.org";

const hpc = (provider) => `apiVersion: formations/v1
kind: HPCCluster
metadata: { name: bench-hpc }
cloud: { provider: ${provider}${provider === "docker" ? "" : ", region: eu-west-1"} }
access: { sshPublicKeys: ["${KEY}"], allowFrom: ["203.0.113.0/24"] }
spec:
  headNode: { machine: { size: large } }
  computeNodes: { count: 1000, machine: { size: xlarge } }
  sharedStorage: { sizeGb: 1000 }
`;

export async function run() {
  const runs = runsFromEnv(5);
  const { dir, cleanup } = await tempDir("plan");
  try {
    const file = join(dir, "hpc-1000.yaml");
    await writeFile(file, hpc("aws"));
    const printed = await runCold({ label: "plan --json", cmd: NODE, args: [CLI, "plan", "--json", file] }, { capture: true });
    const resources = join(dir, "resources.json");
    await writeFile(resources, printed.stdout);
    const count = JSON.parse(printed.stdout).resources.length;
    const ours = { label: "formations plan", cmd: NODE, args: [CLI, "plan", "--json", file] };
    const bare = { label: "bare Pulumi program", cmd: NODE, args: [join(ROOT, "bench", "bare-plan.mjs"), resources] };
    await runChecked(bare);
    const big = await compareCold({ ours, baseline: bare, runs });
    // `plan` turns off the SDK's per-promise stack traces while it compiles; the same setting on
    // the bare program shows what is left of our own overhead.
    const bareNoTraces = { label: "bare, --stack-trace-limit=0", cmd: NODE, args: ["--stack-trace-limit=0", join(ROOT, "bench", "bare-plan.mjs"), resources] };
    const same = await compareCold({ ours, baseline: bareNoTraces, runs });

    const small = join(ROOT, "formations", "docker", "machine.yaml");
    const dockerPlan = { label: "formations plan (docker)", cmd: NODE, args: [CLI, "plan", small] };
    const pulumiOnly = { label: "require('@pulumi/pulumi')", cmd: NODE, args: ["-e", "require('@pulumi/pulumi')"], cwd: ROOT };
    await runChecked(dockerPlan);
    const cold = await compareCold({ ours: dockerPlan, baseline: pulumiOnly, runs: Math.max(runs, 7) });

    return [
      row({
        bench: name,
        case: `HPC 1,000 nodes (${count} resources)`,
        compared:
          "plan --json of an aws HPCCluster with 1,000 compute nodes vs a bare program creating the same resources with the same SDK classes under the same mocks",
        runs,
        ...big,
        target: { metric: "ratio", max: 1.3 },
      }),
      row({
        bench: name,
        case: "HPC 1,000 nodes, same settings",
        compared: "the same plan vs the bare program also run with --stack-trace-limit=0 (what plan sets while compiling)",
        runs,
        ...same,
        target: { metric: "ratio", max: 1.3 },
      }),
      row({
        bench: name,
        case: "HPC 1,000 nodes, peak RSS",
        compared: "peak resident memory of the plan above (target under 1 GiB)",
        runs,
        ...big,
        target: { metric: "oursRssMb", max: 1024 },
      }),
      row({
        bench: name,
        case: "docker plan, cold",
        compared: "plan of formations/docker/machine.yaml vs node -e \"require('@pulumi/pulumi')\", cold to exit",
        runs: Math.max(runs, 7),
        ...cold,
        target: { metric: "ratio", max: 1.3 },
      }),
    ];
  } finally {
    await cleanup();
  }
}
