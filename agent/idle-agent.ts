/**
 * The idle agent as files for cloud-init: the script (agent/idle-agent.sh, embedded byte for
 * byte), its settings, and a systemd service + timer that run it every minute. Pure: the
 * emitter puts these in `write_files` and `runcmd` of each Linux machine of a session with
 * `lifecycle.autoStop`. Windows machines have no sh: they rely on the provider's own idle stop.
 */
import { IDLE_AGENT_SH } from "./idle-agent.script.generated.js";

/** The script's text, as the tests run it. */
export const idleAgentScript: string = IDLE_AGENT_SH;

/** Where things go on the machine. */
export const IDLE_AGENT_PATHS = {
  script: "/usr/local/lib/formations/idle-agent.sh",
  /** Settings (systemd EnvironmentFile), editable on the machine. */
  env: "/etc/formations/idle-agent.env",
  /** The last verdict, one JSON line; `show` reports it. Kept across reboots. */
  verdict: "/var/lib/formations/idle-verdict.json",
  /** Idle bookkeeping; in /run so that a reboot starts the count again. */
  state: "/run/formations/idle.state",
  service: "/etc/systemd/system/formations-idle-agent.service",
  timer: "/etc/systemd/system/formations-idle-agent.timer",
} as const;

export interface IdleAgentOptions {
  /** `lifecycle.autoStop.idleMinutes`. */
  idleMinutes: number;
  /** CPU use (percent of all CPUs) above which the machine is busy; default 10; 100 turns it off. */
  cpuPercent?: number;
  /** Local TCP ports whose established sessions keep the machine up; default 22 3389 5900 5901 4822 443 8080. */
  ports?: readonly number[];
  /** Strings in a process's command line that keep the machine up; default: Spark drivers and executors. */
  processes?: readonly string[];
  /** How the machine stops itself; default `shutdown -h now`. */
  stopCommand?: string;
}

/** A systemd EnvironmentFile value: double-quoted, with `\` and `"` escaped. */
function quote(value: string): string {
  if (/[\n\r]/.test(value)) throw new Error(`idle agent setting must be one line: ${JSON.stringify(value)}`);
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The settings file: only what differs from the script's defaults, plus the paths. */
export function idleAgentEnv(opts: IdleAgentOptions): string {
  if (!Number.isInteger(opts.idleMinutes) || opts.idleMinutes < 1)
    throw new Error(`idleMinutes must be a whole number of minutes >= 1, got ${opts.idleMinutes}`);
  if (opts.cpuPercent !== undefined && !(Number.isInteger(opts.cpuPercent) && opts.cpuPercent >= 0 && opts.cpuPercent <= 100))
    throw new Error(`cpuPercent must be a whole number 0..100, got ${opts.cpuPercent}`);
  for (const p of opts.ports ?? []) if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`port ${p} is not a TCP port`);
  for (const s of opts.processes ?? []) if (/\s/.test(s) || s === "") throw new Error(`process string '${s}' must be one word`);
  const lines = [
    "# formations idle agent settings (read by formations-idle-agent.service)",
    `FORMATIONS_IDLE_MINUTES=${opts.idleMinutes}`,
    ...(opts.cpuPercent !== undefined ? [`FORMATIONS_IDLE_CPU_PERCENT=${opts.cpuPercent}`] : []),
    ...(opts.ports ? [`FORMATIONS_IDLE_PORTS=${quote(opts.ports.join(" "))}`] : []),
    ...(opts.processes ? [`FORMATIONS_IDLE_PROCESSES=${quote(opts.processes.join(" "))}`] : []),
    ...(opts.stopCommand !== undefined ? [`FORMATIONS_IDLE_STOP_COMMAND=${quote(opts.stopCommand)}`] : []),
    `FORMATIONS_IDLE_STATE=${IDLE_AGENT_PATHS.state}`,
    `FORMATIONS_IDLE_VERDICT=${IDLE_AGENT_PATHS.verdict}`,
  ];
  return lines.join("\n") + "\n";
}

/**
 * One run of the agent. Root: it reads every socket and may shut the machine down. Its stdout
 * (one JSON line each time the verdict changes) goes to the journal AND the console: on a cloud
 * VM the console is the serial port, which the cloud keeps and hands to whoever holds the
 * session's own credentials (EC2 GetConsoleOutput, GCE getSerialPortOutput, Nova
 * os-getConsoleOutput, Azure boot diagnostics), so the verdict can be read with no credentials
 * on the machine, even after the agent has shut it down (`verdictFromConsole` in cost/idle.ts).
 */
export const idleAgentService = `[Unit]
Description=formations idle agent: stop this machine when nobody uses it, and say why
After=network-online.target

[Service]
Type=oneshot
EnvironmentFile=-${IDLE_AGENT_PATHS.env}
ExecStart=/bin/sh ${IDLE_AGENT_PATHS.script}
StandardOutput=journal+console
Nice=10
IOSchedulingClass=idle
PrivateTmp=yes
`;

/**
 * Every minute from a minute after boot. A monotonic timer (not OnCalendar) so that a run missed
 * while hibernated is not replayed at resume; the script itself ignores the gap.
 */
export const idleAgentTimer = `[Unit]
Description=Run the formations idle agent every minute

[Timer]
OnBootSec=1min
OnUnitActiveSec=1min
AccuracySec=5s

[Install]
WantedBy=timers.target
`;

/** A cloud-init `write_files` item. */
export interface CloudInitFile {
  path: string;
  content: string;
  permissions: string;
  owner: string;
}

/** The files to write on the machine. */
export function idleAgentFiles(opts: IdleAgentOptions): CloudInitFile[] {
  return [
    { path: IDLE_AGENT_PATHS.script, content: idleAgentScript, permissions: "0755", owner: "root:root" },
    { path: IDLE_AGENT_PATHS.env, content: idleAgentEnv(opts), permissions: "0644", owner: "root:root" },
    { path: IDLE_AGENT_PATHS.service, content: idleAgentService, permissions: "0644", owner: "root:root" },
    { path: IDLE_AGENT_PATHS.timer, content: idleAgentTimer, permissions: "0644", owner: "root:root" },
  ];
}

/** The cloud-init `runcmd` lines that start the timer. */
export const idleAgentRunCmd: readonly string[] = ["systemctl daemon-reload", "systemctl enable --now formations-idle-agent.timer"];
