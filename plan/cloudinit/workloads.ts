/**
 * Workloads installed on plain machines: self-managed Spark (master and workers, for providers
 * without a managed big-data service) and the container of a Docker formation on a cloud host.
 */
import type { PlannedContainer, PlannedMachine, SessionPlan } from "../types.js";
import { installDocker, need, shq, type Parts } from "./parts.js";
import { required } from "./slurm.js";

export const DEFAULT_SPARK_VERSION = "3.5.3";

/** `spark-3.5.3` → 3.5.3; any other release name falls back to the default version. */
export function sparkVersion(release: string | undefined): string {
  const m = /^spark-(\d+\.\d+\.\d+)$/.exec(release ?? "");
  return m ? m[1]! : DEFAULT_SPARK_VERSION;
}

function unit(description: string, exec: string): string {
  return [
    "[Unit]",
    `Description=${description}`,
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    "User=spark",
    `ExecStart=${exec}`,
    "Restart=on-failure",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/**
 * Spark standalone from the Apache archive, run by systemd as a `spark` user. The master listens
 * on 7077 (UI 8080) and, with `jupyter`, runs JupyterLab on 8888; workers join the master.
 */
export function sparkNode(plan: SessionPlan, m: PlannedMachine, p: Parts, masterAddress: string | undefined): void {
  const version = sparkVersion(plan.bigData?.release);
  const dist = `spark-${version}-bin-hadoop3`;
  need(p, ["openjdk-17-jre-headless", "curl"], ["java-17-openjdk-headless", "curl"]);
  p.extra.users = ["default", { name: "spark", system: true, shell: "/usr/sbin/nologin", homedir: "/var/lib/spark" }];
  p.commands.push(
    `[ -d /opt/${dist} ] || curl -fsSL https://archive.apache.org/dist/spark/spark-${version}/${dist}.tgz | tar -xz -C /opt`,
    `ln -sfn /opt/${dist} /opt/spark && mkdir -p /opt/spark/work /var/lib/spark && chown -R spark /opt/${dist} /var/lib/spark`,
  );
  if (m.role === "master") {
    p.files.push({
      path: "/etc/systemd/system/spark-master.service",
      permissions: "0644",
      content: unit("Spark master", "/opt/spark/bin/spark-class org.apache.spark.deploy.master.Master --host 0.0.0.0 --port 7077 --webui-port 8080"),
    });
    p.commands.push("systemctl daemon-reload && systemctl enable --now spark-master");
    if (plan.bigData?.applications.includes("jupyter")) {
      p.files.push({
        path: "/etc/systemd/system/jupyterlab.service",
        permissions: "0644",
        // Reached only through the proxy (security groups), which terminates TLS.
        content: unit("JupyterLab", "/opt/jupyter/bin/jupyter lab --ip=0.0.0.0 --port=8888 --no-browser --ServerApp.base_url=/ --notebook-dir=/var/lib/spark"),
      });
      // A virtualenv: newer distributions refuse system-wide pip installs (PEP 668).
      need(p, ["python3-venv"], ["python3"]);
      p.commands.push(
        `python3 -m venv /opt/jupyter && /opt/jupyter/bin/pip install --quiet jupyterlab pyspark==${version}`,
        "systemctl daemon-reload && systemctl enable --now jupyterlab",
      );
    }
  } else {
    const master = required(masterAddress, "the Spark master's address");
    p.files.push({
      path: "/etc/systemd/system/spark-worker.service",
      permissions: "0644",
      content: unit("Spark worker", `/opt/spark/bin/spark-class org.apache.spark.deploy.worker.Worker --webui-port 8081 spark://${master}:7077`),
    });
    p.commands.push("systemctl daemon-reload && systemctl enable --now spark-worker");
  }
}

/** The `docker run` line for a Docker formation's container, every value shell-quoted. */
export function dockerRun(name: string, c: PlannedContainer): string {
  const args = ["docker", "run", "-d", "--name", shq(name), "--restart", "unless-stopped"];
  for (const [k, v] of Object.entries(c.env)) args.push("-e", shq(`${k}=${v}`));
  for (const port of c.ports) args.push("-p", `${port.host}:${port.container}/${port.protocol}`);
  for (const vol of c.volumes) {
    const source = vol.name ?? vol.hostPath;
    if (source) args.push("-v", shq(`${source}:${vol.mountPath}${vol.readOnly ? ":ro" : ""}`));
  }
  if (c.cpus !== undefined) args.push("--cpus", String(c.cpus));
  if (c.memoryMb !== undefined) args.push("--memory", `${c.memoryMb}m`);
  args.push(shq(c.image), ...c.command.map(shq));
  return args.join(" ");
}

/** A Docker formation's host: Docker Engine, then the planned container (restarted with the machine). */
export function dockerHost(plan: SessionPlan, p: Parts): void {
  const c = plan.container;
  if (!c) throw new Error("a Docker plan has a container");
  installDocker(p);
  const name = plan.formation;
  p.files.push({
    path: "/usr/local/sbin/formations-run-container",
    permissions: "0700",
    content: `#!/bin/sh\nset -e\ndocker rm -f ${shq(name)} >/dev/null 2>&1 || true\n${dockerRun(name, c)}\n`,
  });
  p.commands.push("/usr/local/sbin/formations-run-container");
}
