/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { IDLE_AGENT_PATHS, idleAgentEnv, idleAgentFiles, idleAgentRunCmd, idleAgentScript, idleAgentService, idleAgentTimer } from "../../agent/idle-agent.js";

describe("idle agent files for cloud-init", () => {
  it("embeds agent/idle-agent.sh byte for byte (else run `node agent/gen-script.mjs`)", () => {
    expect(idleAgentScript).toBe(readFileSync(new URL("../../agent/idle-agent.sh", import.meta.url), "utf8"));
  });

  it("writes the script, its settings and a service run every minute by a timer", () => {
    const files = idleAgentFiles({ idleMinutes: 45 });
    expect(files.map((f) => [f.path, f.permissions])).toEqual([
      ["/usr/local/lib/formations/idle-agent.sh", "0755"],
      ["/etc/formations/idle-agent.env", "0644"],
      ["/etc/systemd/system/formations-idle-agent.service", "0644"],
      ["/etc/systemd/system/formations-idle-agent.timer", "0644"],
    ]);
    expect(idleAgentService).toContain(`ExecStart=/bin/sh ${IDLE_AGENT_PATHS.script}\n`);
    expect(idleAgentService).toContain(`EnvironmentFile=-${IDLE_AGENT_PATHS.env}\n`);
    expect(idleAgentService).toContain("Type=oneshot\n");
    // Verdict changes reach the serial console, readable with the session's own cloud credentials.
    expect(idleAgentService).toContain("StandardOutput=journal+console\n");
    expect(idleAgentTimer).toContain("OnBootSec=1min\nOnUnitActiveSec=1min\n");
    expect(idleAgentTimer).toContain("WantedBy=timers.target\n");
    expect(idleAgentRunCmd).toEqual(["systemctl daemon-reload", "systemctl enable --now formations-idle-agent.timer"]);
  });

  it("writes only the settings that differ from the script's defaults, quoted for systemd", () => {
    expect(idleAgentEnv({ idleMinutes: 45 })).toBe(
      "# formations idle agent settings (read by formations-idle-agent.service)\n" +
        "FORMATIONS_IDLE_MINUTES=45\n" +
        "FORMATIONS_IDLE_STATE=/run/formations/idle.state\n" +
        "FORMATIONS_IDLE_VERDICT=/var/lib/formations/idle-verdict.json\n",
    );
    const env = idleAgentEnv({
      idleMinutes: 5,
      cpuPercent: 25,
      ports: [22, 8888],
      processes: ["jupyter-lab"],
      stopCommand: 'systemctl poweroff --message="idle"',
    });
    expect(env.split("\n").slice(2, 6)).toEqual([
      "FORMATIONS_IDLE_CPU_PERCENT=25",
      'FORMATIONS_IDLE_PORTS="22 8888"',
      'FORMATIONS_IDLE_PROCESSES="jupyter-lab"',
      'FORMATIONS_IDLE_STOP_COMMAND="systemctl poweroff --message=\\"idle\\""',
    ]);
  });

  it("refuses settings the script would misread", () => {
    expect(() => idleAgentEnv({ idleMinutes: 0 })).toThrow(/idleMinutes/);
    expect(() => idleAgentEnv({ idleMinutes: 5, cpuPercent: 101 })).toThrow(/cpuPercent/);
    expect(() => idleAgentEnv({ idleMinutes: 5, ports: [70000] })).toThrow(/not a TCP port/);
    expect(() => idleAgentEnv({ idleMinutes: 5, processes: ["two words"] })).toThrow(/one word/);
    expect(() => idleAgentEnv({ idleMinutes: 5, stopCommand: "halt\nreboot" })).toThrow(/one line/);
  });
});
