/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
/** Which machines `show` reads an idle verdict for, and what it says when it cannot (no engine, no cloud call). */
import { describe, expect, it } from "vitest";
import type { MachineDetails, SessionDetails } from "../../../automation/session/show.js";
import { withVerdicts } from "../../../automation/policy/verdicts.js";
import { containerOf } from "../../../clouds/docker/verdicts.js";
import type { IdleVerdict } from "../../../cost/idle.js";

const m = (name: string, more: Partial<MachineDetails> = {}): MachineDetails => ({
  name,
  role: "member",
  state: "running",
  os: "linux",
  hourlyUsd: 0,
  ...more,
});
const details = (provider: string, autoStop: boolean, machines: MachineDetails[]): SessionDetails => ({
  session: "lab",
  formation: "lab",
  kind: "Pool",
  provider,
  file: "",
  labels: {},
  cloud: {},
  machines,
  cost: { hourlyUsd: 0, soFarUsd: 0 },
  lifecycle: autoStop ? { autoStop: { idleMinutes: 30 } } : {},
  snapshots: [],
  journal: [],
});
const busy: IdleVerdict = { at: "2026-11-01T10:00:00Z", verdict: "busy", reasons: ["1 established connection on port 22 (ssh)"], idleFor: 0 };

describe("withVerdicts", () => {
  it("reads only machines that may have an agent, and says why the others have none", async () => {
    const asked: string[] = [];
    const d = details("aws", true, [m("a"), m("win", { os: "windows" }), m("new", { state: "pending" }), m("gone", { state: "terminated" }), m("b"), m("c")]);
    const shown = await withVerdicts(d, {
      source: async (_d, x) => {
        asked.push(x.name);
        if (x.name === "b") return undefined;
        if (x.name === "c") throw new Error("console output not available\nsecond line");
        return busy;
      },
    });
    expect(asked).toEqual(["a", "b", "c"]);
    expect(shown.machines.map((x) => x.idle)).toEqual([
      { verdict: busy },
      { unavailable: "no idle agent on Windows" },
      { unavailable: "not created yet" },
      { unavailable: "terminated" },
      { unavailable: "no verdict yet (the idle agent has not run on it)" },
      { unavailable: "console output not available" },
    ]);
  });

  it("reads nothing when auto-stop is off, and says where a cloud machine's verdict is when there is no reader", async () => {
    expect((await withVerdicts(details("docker", false, [m("a")]))).machines[0]!.idle).toEqual({ unavailable: "auto-stop is off" });
    expect((await withVerdicts(details("gcp", true, [m("a")]))).machines[0]!.idle).toEqual({
      unavailable: "not read: it is on the machine's serial console (formations show --idle reads it) and in /var/lib/formations/idle-verdict.json",
    });
  });

  it("finds the container from the machine's docker exec line, else by the adapter's naming", () => {
    expect(containerOf("lab", m("machine-1", { connect: "docker exec -it lab-machine-1 /bin/bash" }))).toBe("lab-machine-1");
    expect(containerOf("lab", m("proxy", { connect: "http://127.0.0.1:49153/guacamole/" }))).toBe("lab-proxy");
  });
});
