// The baseline of the pulumi-docker bench: a bare Pulumi program as a user would write it by hand,
// run by the Automation API (an inline program, a file backend, the same Pulumi CLI and Docker
// provider plugin as formations): the same COUNT docker.Container resources a formations Pool of
// COUNT makes (same image, names, labels, restart policy, init, capabilities, running), on the same
// engine (DOCKER_HOST), with none of our loading, planning, session record, tags or journal.
// With `network`, it also makes what a formations Docker session makes around its containers: an
// internal bridge network they join and a RemoteImage they run (the provider waits 2 s after
// creating a network before it reads it back, so the containers start 2 s later than without).
//
//   node bench/bare-pulumi-docker.mjs up|destroy STACK COUNT STATE_DIR [network]
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";

const [verb, stack, count, stateDir, shape] = process.argv.slice(2);
const IMAGE = "formations-test/busybox:latest";

const program = async () => {
  const { Container, Network, RemoteImage } = await import("@pulumi/docker");
  const net = shape === "network" ? new Network(`${stack}-net`, { name: `${stack}-net`, driver: "bridge", internal: true }) : undefined;
  const image = shape === "network" ? new RemoteImage(`${stack}-image`, { name: IMAGE, keepLocally: true }).imageId : IMAGE;
  const ids = [];
  for (let i = 1; i <= Number(count); i++) {
    const name = `${stack}-machine-${i}`;
    const c = new Container(name, {
      name,
      hostname: `machine-${i}`,
      image,
      ...(net ? { networksAdvanced: [{ name: net.name, aliases: [`machine-${i}`] }] } : {}),
      labels: [
        { label: "formations-session", value: stack },
        { label: "managed-by", value: "bare-pulumi" },
        { label: "formations-machine", value: `machine-${i}` },
      ],
      restart: "unless-stopped",
      mustRun: true,
      start: true,
      init: true,
      capabilities: { drops: ["ALL"] },
    });
    ids.push(c.id);
  }
  return { ids };
};

await mkdir(stateDir, { recursive: true });
const work = await mkdtemp(join(tmpdir(), "bench-bare-pulumi-"));
try {
  const s = await LocalWorkspace.createOrSelectStack(
    { stackName: stack, projectName: "bare", program },
    {
      workDir: work,
      projectSettings: { name: "bare", runtime: "nodejs", backend: { url: pathToFileURL(stateDir).href } },
      envVars: { PULUMI_CONFIG_PASSPHRASE: "bench" },
    },
  );
  if (verb === "up") await s.up();
  else {
    await s.destroy();
    await s.workspace.removeStack(stack);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
