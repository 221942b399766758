/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * lifecycle.autoStop puts the idle agent on every Linux VM of every VM provider, through the one
 * shared cloud-init (plan/cloudinit.ts): the exact script, its settings with the formation's
 * idleMinutes and the provider's stop command, the systemd service and timer, and the commands
 * that start it. Never on Windows, never on Docker, never without autoStop.
 */
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { IDLE_AGENT_PATHS, idleAgentRunCmd, idleAgentScript, idleAgentService, idleAgentTimer } from "../../agent/idle-agent.js";
import { idleStopCommand, runsIdleAgent, userData } from "../../plan/cloudinit.js";
import { REPORT_ONLY, SHUTDOWN } from "../../plan/cloudinit/idle.js";
import { loadFormationText } from "../../format/load.js";
import { planSession } from "../../plan/index.js";
import type { SessionPlan } from "../../plan/types.js";
import { config, file, machine, VALUES, type CloudConfig } from "./cloudinit-helpers.js";

/** A plan on `provider` (gcp gets its project), with `extra` top-level keys (access, lifecycle). */
function plan(kind: string, spec: string, provider: string, extra: string): SessionPlan {
  const cloud =
    provider === "docker" ? "{ provider: docker }" : `{ provider: ${provider}, region: eu-west-1${provider === "gcp" ? ", project: lab-project" : ""} }`;
  return planSession(
    loadFormationText(`apiVersion: formations/v1\nkind: ${kind}\nmetadata: { name: t-${kind.toLowerCase()} }\ncloud: ${cloud}\n${extra}spec:\n${spec}`),
  );
}

const PROVIDERS = ["aws", "azure", "gcp", "openstack"] as const;
const ACCESS = "access: { allowFrom: [203.0.113.0/24] }\n";
const autoStop = (minutes: number) => `${ACCESS}lifecycle: { autoStop: { idleMinutes: ${minutes} } }\n`;

/** The four files and two commands of the agent, checked exactly, with the settings file's expected lines. */
function expectAgent(c: CloudConfig, idleMinutes: number, stopCommand: string): void {
  const script = file(c, IDLE_AGENT_PATHS.script)!;
  expect(script.permissions).toBe("0755");
  expect(script.encoding).toBe("gz+b64");
  expect(gunzipSync(Buffer.from(script.content, "base64")).toString("utf8")).toBe(idleAgentScript);
  const quoted = `"${stopCommand.replace(/[\\"]/g, (x) => `\\${x}`)}"`;
  expect(file(c, IDLE_AGENT_PATHS.env)?.content).toBe(
    [
      "# formations idle agent settings (read by formations-idle-agent.service)",
      `FORMATIONS_IDLE_MINUTES=${idleMinutes}`,
      `FORMATIONS_IDLE_STOP_COMMAND=${quoted}`,
      `FORMATIONS_IDLE_STATE=${IDLE_AGENT_PATHS.state}`,
      `FORMATIONS_IDLE_VERDICT=${IDLE_AGENT_PATHS.verdict}`,
      "",
    ].join("\n"),
  );
  expect(file(c, IDLE_AGENT_PATHS.service)?.content).toBe(idleAgentService);
  expect(file(c, IDLE_AGENT_PATHS.timer)?.content).toBe(idleAgentTimer);
  // After the role's own commands: the timer's first run finds the role's services up.
  expect(c.runcmd?.slice(-2)).toEqual([...idleAgentRunCmd]);
}

const noAgent = (text: string) => expect(text).not.toContain("idle-agent");

describe("the idle agent on every VM provider", () => {
  it.each(PROVIDERS)("%s: on every Linux machine of an HPC cluster, with the formation's idleMinutes", (provider) => {
    const p = plan(
      "HPCCluster",
      "  headNode: { machine: {} }\n  computeNodes: { count: 2, machine: {} }\n  sharedStorage: { sizeGb: 100 }\n",
      provider,
      autoStop(45),
    );
    expect(p.machines.map((m) => m.name)).toEqual(["head", "compute-1", "compute-2"]);
    for (const m of p.machines) expectAgent(config(p, m.name), 45, SHUTDOWN);
  });

  it.each(PROVIDERS)("%s: on the Linux proxy of a VirtualLab and a Linux target, with a shutdown", (provider) => {
    const p = plan("VirtualLab", "  target: { machine: { image: ubuntu-22.04 }, protocol: rdp }\n", provider, autoStop(30));
    for (const name of ["proxy", "target"]) expectAgent(config(p, name), 30, SHUTDOWN);
  });

  it.each(PROVIDERS)("%s: never on a Windows machine (no sh: the provider's own idle stop only)", (provider) => {
    const p = plan("VirtualLab", "  target: { machine: { image: windows-2022 }, protocol: rdp }\n", provider, autoStop(30));
    expectAgent(config(p, "proxy"), 30, SHUTDOWN);
    const target = machine(p, "target");
    expect(runsIdleAgent(p, target)).toBe(false);
    const text = userData(p, target, VALUES);
    expect(text.startsWith("<powershell>")).toBe(true);
    noAgent(text);
  });

  it.each(PROVIDERS)("%s: not without lifecycle.autoStop", (provider) => {
    const p = plan("Pool", "  count: 2\n  machine: {}\n", provider, ACCESS);
    for (const m of p.machines) noAgent(userData(p, m, VALUES));
  });

  it("on a Docker kind's host VM, and on each self-managed Spark node", () => {
    const d = plan("Docker", "  container: { image: nginx:1.27 }\n", "gcp", autoStop(20));
    expectAgent(config(d, "host"), 20, SHUTDOWN);
    const emr = plan("EMRCluster", "  master: { machine: {} }\n  workers: { count: 2, machine: {} }\n", "openstack", autoStop(90));
    for (const m of emr.machines) expectAgent(config(emr, m.name), 90, SHUTDOWN);
  });

  it("not on the nodes of a managed big-data service (EMR's own auto-termination stops those); on its proxy", () => {
    const emr = plan("EMRCluster", "  master: { machine: {} }\n  workers: { count: 2, machine: {} }\n", "aws", autoStop(90));
    expect(emr.machines.filter((m) => m.managedBy === "bigdata").map((m) => runsIdleAgent(emr, m))).toEqual([false, false, false]);
    expectAgent(config(emr, "proxy"), 90, SHUTDOWN);
  });

  it("a one-time AWS spot instance only reports (a shutdown would terminate it); other spot machines shut down", () => {
    const oneTime = plan("Machine", "  machine: { spot: true }\n", "aws", `${autoStop(15)}`.replace("} }\n", "}, spotInterruption: terminate }\n"));
    expect(idleStopCommand(oneTime, machine(oneTime, "machine"))).toBe(REPORT_ONLY);
    expectAgent(config(oneTime, "machine"), 15, REPORT_ONLY);
    const persistent = plan("Machine", "  machine: { spot: true }\n", "aws", autoStop(15));
    expectAgent(config(persistent, "machine"), 15, SHUTDOWN);
    const gcpOneTime = plan("Machine", "  machine: { spot: true }\n", "gcp", `${autoStop(15)}`.replace("} }\n", "}, spotInterruption: terminate }\n"));
    expect(idleStopCommand(gcpOneTime, machine(gcpOneTime, "machine"))).toBe(SHUTDOWN);
  });

  it("never on the docker provider (no cloud-init: containers are not VMs)", () => {
    const p = plan("Pool", "  count: 1\n  machine: {}\n", "docker", "lifecycle: { autoStop: { idleMinutes: 10 } }\n");
    expect(runsIdleAgent(p, p.machines[0]!)).toBe(false);
  });

  it("keeps the largest user data under EC2's 16 KiB with the agent in it", () => {
    const p = plan(
      "HPCCluster",
      "  headNode: { machine: {} }\n  computeNodes: { count: 1000, machine: {} }\n  sharedStorage: { sizeGb: 100 }\n",
      "aws",
      autoStop(60),
    );
    const peers = p.machines.filter((m) => m.role === "compute").map((m) => m.name);
    expect(Buffer.byteLength(userData(p, machine(p, "head"), { ...VALUES, peers }))).toBeLessThan(16 * 1024);
  });
});
