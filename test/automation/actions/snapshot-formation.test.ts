/**
 * The parts of the actions layer that need neither an engine nor a driver: the formation a
 * snapshot writes (which block, which name, which schema line, validated before writing), the
 * driver each provider's cloud gives, and the path each provider and action takes.
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerDriver } from "../../../clouds/docker/actions/driver.js";
import { cloudOf, CLOUDS } from "../../../clouds/index.js";
import { freshName, machineBlockPath, saveSnapshotFormation, snapshotFormationText } from "../../../automation/actions/snapshot-formation.js";
import { hibernateRefusal, pathFor } from "../../../automation/actions/strategy.js";
import { sessionView } from "../../../automation/actions/targets.js";
import { emptyRecord } from "../../../automation/session/session-record.js";
import { plannedSession } from "../../../automation/session/stored-session.js";
import { loadFormationText } from "../../../format/load.js";
import { PROVIDERS, type Provider } from "../../../format/types.js";
import { hpc, lab, pool } from "./formations.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "formations-snapfile-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const now = new Date("2026-03-04T05:06:07Z");

function input(text: string, machine: string, image: string, outFile = join(dir, "sub", "new.yaml")) {
  return { text, formation: loadFormationText(text), sourceFile: join(dir, "orig", "lab.yaml"), session: "lab", machine, image, outFile, now };
}

describe("a formation from a snapshot", () => {
  it("finds the machine block of every kind's machines", () => {
    expect(machineBlockPath(loadFormationText(pool(3)), "machine-3")).toEqual(["spec", "machine"]);
    expect(machineBlockPath(loadFormationText(hpc(2)), "head")).toEqual(["spec", "headNode", "machine"]);
    expect(machineBlockPath(loadFormationText(hpc(2)), "compute-2")).toEqual(["spec", "computeNodes", "machine"]);
    expect(machineBlockPath(loadFormationText(lab()), "proxy")).toEqual(["spec", "proxy", "machine"]);
    expect(() => machineBlockPath(loadFormationText(pool(1)), "head")).toThrow("no machine block for 'head' in a Pool formation");
  });

  it("sets the image (creating an absent block), renames the formation, and keeps everything else", () => {
    const { text, name } = snapshotFormationText(input(lab({ provider: "aws" }), "proxy", "ami-0123456789abcdef0"));
    const f = loadFormationText(text);
    expect(name).toBe("lab-proxy-202603040506");
    expect(f.metadata.name).toBe(name);
    expect(f.spec).toMatchObject({ target: { protocol: "ssh", machine: { image: "ubuntu-22.04" } }, proxy: { machine: { image: "ami-0123456789abcdef0" } } });
    expect(f.metadata.labels).toEqual({ team: "bio" });
  });

  it("re-points the schema line from the new file's folder", () => {
    const { text } = snapshotFormationText(input(pool(1), "machine-1", "lab-m1:v1"));
    // The source's "../schemas/..." was relative to <dir>/orig; the new file is in <dir>/sub.
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../schemas/formation.schema.json");
  });

  it("fresh names fit the 40 characters a formation name allows", () => {
    const n = freshName("a-very-long-formation-name-for-a-course", "compute-1000", now);
    expect(n.length).toBeLessThanOrEqual(40);
    expect(n).toMatch(/^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/);
  });

  it("a result that does not validate is refused and nothing is written", async () => {
    const outFile = join(dir, "bad.yaml");
    await expect(saveSnapshotFormation(input(pool(1), "machine-1", "Has Spaces!", outFile))).rejects.toThrow(/bad\.yaml:\d+:\d+: error: .*image/);
    await expect(stat(outFile)).rejects.toThrow(/ENOENT/);
  });

  it("writes the file once, never over an existing one", async () => {
    const outFile = join(dir, "once.yaml");
    await saveSnapshotFormation(input(pool(1), "machine-1", "lab-m1:v1", outFile));
    const first = await readFile(outFile, "utf8");
    await expect(saveSnapshotFormation(input(pool(1), "machine-1", "lab-m1:v2", outFile))).rejects.toThrow("already exists");
    expect(await readFile(outFile, "utf8")).toBe(first);
  });
});

describe("the drivers of the clouds table", () => {
  it("loads the Docker driver by provider name", async () => {
    const d = await cloudOf("docker").actions.driver({ host: "unix:///nowhere.sock" });
    expect(d).toBeInstanceOf(DockerDriver);
    expect(d.provider).toBe("docker");
  });

  it("every provider of the schema has a cloud, whose driver acts on that provider", async () => {
    expect(Object.keys(CLOUDS).sort()).toEqual([...PROVIDERS].sort());
    for (const p of PROVIDERS) expect((await cloudOf(p).actions.driver({})).provider).toBe(p);
  });
});

describe("which path an action takes", () => {
  const view = (text: string, provider: Provider) => {
    const v = sessionView(plannedSession("lab", emptyRecord(text, ""), { machines: [{ name: "machine-1", cloudId: "i-1" }] }));
    expect(v.plan.provider).toBe(provider);
    return v.machines[0]!;
  };

  it.each([
    ["aws", "stop", false, "declarative"],
    ["aws", "stop", true, "driver"],
    ["aws", "hibernate", false, "driver"],
    ["aws", "reboot", false, "driver"],
    ["gcp", "hibernate", false, "declarative"],
    ["openstack", "shutdown", false, "declarative"],
    ["azure", "start", false, "driver"],
    ["docker", "start", false, "driver"],
  ] as const)("%s %s (force %s): %s", (provider, action, force, path) => {
    expect(pathFor(provider, action, view(pool(1, { provider }), provider), force)).toBe(path);
  });

  it("Docker and OpenStack never refuse hibernate (pause; shelve with a note); AWS refuses without hibernation", () => {
    expect(hibernateRefusal("docker", view(pool(1), "docker"))).toBeUndefined();
    expect(hibernateRefusal("openstack", view(pool(1, { provider: "openstack" }), "openstack"))).toBeUndefined();
    expect(hibernateRefusal("aws", view(pool(1, { provider: "aws", machine: ["instanceType: p3.2xlarge"] }), "aws"))).toBe(
      "machine-1 was not launched with hibernation (the p3 family is not among those AWS documents for hibernation)",
    );
  });
});
