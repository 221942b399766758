/**
 * Gateways and desktops by cloud-init. A VirtualLab proxy runs Apache Guacamole (guacd +
 * guacamole + nginx for TLS on 443) with one connection to the target over its protocol; the
 * target runs xrdp, TigerVNC or plain sshd for a `lab` user. An EMRCluster proxy runs nginx on
 * 443 in front of the master's notebook (or Spark) UI.
 */
import type { PlannedMachine, SessionPlan } from "../types.js";
import { installDocker, need, needEpel, selfSignedCert, shq, xml, type Parts } from "./parts.js";
import { required } from "./slurm.js";

/** Container images of the gateway, pinned; the Docker adapter may reuse them. */
export const GATEWAY_IMAGES = { guacd: "guacamole/guacd:1.5.5", guacamole: "guacamole/guacamole:1.5.5", nginx: "nginx:1.27-alpine" } as const;
/** The desktop user on a Linux target, and the Guacamole login on its proxy. */
export const LAB_USER = "lab";
/** The guacamole image runs as this uid: it must read user-mapping.xml, nobody else should. */
const GUACAMOLE_UID = 1001;
const DIR = "/opt/formations";

export interface GatewayValues {
  targetAddress?: string;
  masterAddress?: string;
  gatewayPassword?: string;
  adminPassword?: string;
}

/** VNC passwords are truncated to 8 characters by the protocol: use the first 8 on both ends. */
export const vncPassword = (password: string): string => password.slice(0, 8);

function target(plan: SessionPlan): PlannedMachine {
  const t = plan.machines.find((m) => m.role === "target");
  if (!t) throw new Error("a VirtualLab plan has a target");
  return t;
}

/** Guacamole's file authentication: one user, one connection to the target. */
export function userMapping(plan: SessionPlan, v: GatewayValues): string {
  const t = target(plan);
  const protocol = plan.gateway?.protocol ?? "rdp";
  const password = required(v.gatewayPassword, "the gateway password");
  const windows = t.image.os === "windows";
  const port = t.connect[0]?.port ?? (protocol === "rdp" ? 3389 : protocol === "vnc" ? 5901 : 22);
  const params: Record<string, string> = { hostname: required(v.targetAddress, "the target's address"), port: String(port) };
  if (protocol === "vnc") params.password = vncPassword(password);
  else {
    params.username = windows ? "Administrator" : LAB_USER;
    params.password = windows ? required(v.adminPassword, "the admin password") : password;
  }
  if (protocol === "rdp") Object.assign(params, { security: "any", "ignore-cert": "true", "resize-method": "display-update" });
  return [
    "<user-mapping>",
    `  <authorize username="${xml(LAB_USER)}" password="${xml(password)}">`,
    `    <connection name="${xml(`${plan.session} ${t.name} (${protocol})`)}">`,
    `      <protocol>${protocol}</protocol>`,
    ...Object.entries(params).map(([k, val]) => `      <param name="${xml(k)}">${xml(val)}</param>`),
    "    </connection>",
    "  </authorize>",
    "</user-mapping>",
    "",
  ].join("\n");
}

/** nginx on 443 with a self-signed certificate, proxying (WebSockets included) to `upstream`. */
export function nginxConf(location: string, upstream: string, redirectRoot: boolean): string {
  return [
    "server {",
    "  listen 443 ssl;",
    "  ssl_certificate /etc/nginx/tls/cert.pem;",
    "  ssl_certificate_key /etc/nginx/tls/key.pem;",
    "  ssl_protocols TLSv1.2 TLSv1.3;",
    "  client_max_body_size 1g;",
    ...(redirectRoot ? [`  location = / { return 302 ${location}; }`] : []),
    `  location ${location} {`,
    `    proxy_pass ${upstream};`,
    "    proxy_buffering off;",
    "    proxy_http_version 1.1;",
    "    proxy_ssl_verify off;",
    "    proxy_set_header Host $host;",
    "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "    proxy_set_header X-Forwarded-Proto https;",
    "    proxy_set_header Upgrade $http_upgrade;",
    "    proxy_set_header Connection $http_connection;",
    "  }",
    "}",
    "",
  ].join("\n");
}

function docker(name: string, args: readonly string[], image: string): string {
  return ["docker rm -f", name, ">/dev/null 2>&1; docker run -d --name", name, "--network formations --restart unless-stopped", ...args, image].join(" ");
}

function tlsFrontend(plan: SessionPlan, p: Parts, conf: string): void {
  installDocker(p);
  p.files.push({ path: `${DIR}/gateway/nginx.conf`, permissions: "0644", content: conf });
  selfSignedCert(p, `${DIR}/gateway/tls`, `${plan.session}-gateway`);
  p.commands.push("docker network inspect formations >/dev/null 2>&1 || docker network create formations");
}

export function guacamoleProxy(plan: SessionPlan, p: Parts, v: GatewayValues): void {
  const home = `${DIR}/guacamole`;
  tlsFrontend(plan, p, nginxConf("/guacamole/", "http://guacamole:8080/guacamole/", true));
  p.files.push({ path: `${home}/user-mapping.xml`, permissions: "0600", content: userMapping(plan, v) });
  p.commands.push(
    `chown -R ${GUACAMOLE_UID}:${GUACAMOLE_UID} ${home} && chmod 0700 ${home}`,
    docker("guacd", [], GATEWAY_IMAGES.guacd),
    docker(
      "guacamole",
      ["-e GUACD_HOSTNAME=guacd", "-e GUACAMOLE_HOME=/etc/guacamole-template", `-v ${home}:/etc/guacamole-template:ro`],
      GATEWAY_IMAGES.guacamole,
    ),
    docker(
      "gateway",
      ["-p 443:443", `-v ${DIR}/gateway/nginx.conf:/etc/nginx/conf.d/default.conf:ro`, `-v ${DIR}/gateway/tls:/etc/nginx/tls:ro`],
      GATEWAY_IMAGES.nginx,
    ),
  );
}

/** The UI an EMRCluster proxy puts on 443: JupyterHub (EMR) / JupyterLab, else the Spark UI. */
export function bigDataUpstream(plan: SessionPlan, master: string): string {
  const jupyter = plan.bigData?.applications.includes("jupyter") ?? false;
  if (plan.bigData?.managed) return jupyter ? `https://${master}:9443` : `http://${master}:18080`;
  return jupyter ? `http://${master}:8888` : `http://${master}:8080`;
}

export function bigDataProxy(plan: SessionPlan, p: Parts, v: GatewayValues): void {
  const upstream = bigDataUpstream(plan, required(v.masterAddress, "the master's address"));
  tlsFrontend(plan, p, nginxConf("/", upstream, false));
  p.commands.push(
    docker(
      "gateway",
      ["-p 443:443", `-v ${DIR}/gateway/nginx.conf:/etc/nginx/conf.d/default.conf:ro`, `-v ${DIR}/gateway/tls:/etc/nginx/tls:ro`],
      GATEWAY_IMAGES.nginx,
    ),
  );
}

/** A Linux target: the `lab` user (password = the gateway password) and the server for its protocol. */
export function linuxTarget(plan: SessionPlan, p: Parts, v: GatewayValues): void {
  const password = required(v.gatewayPassword, "the gateway password");
  const protocol = plan.gateway?.protocol ?? "rdp";
  p.extra.users = ["default", { name: LAB_USER, shell: "/bin/bash", lock_passwd: false, sudo: "ALL=(ALL) ALL" }];
  p.extra.chpasswd = { expire: false, users: [{ name: LAB_USER, password, type: "text" }] };
  const home = `/home/${LAB_USER}`;
  if (protocol === "rdp") {
    needEpel(p, ["xrdp", "xfce4", "xfce4-terminal", "dbus-x11"], ["xrdp"]);
    if (p.family === "rhel") p.install.push('dnf groupinstall -y "Xfce"');
    p.files.push({ path: `${home}/.xsession`, permissions: "0644", content: "xfce4-session\n", defer: true });
    p.commands.push(`chown ${LAB_USER}:${LAB_USER} ${home}/.xsession`, "systemctl enable --now xrdp", "systemctl restart xrdp");
  } else if (protocol === "vnc") {
    needEpel(p, ["tigervnc-standalone-server", "tigervnc-common", "xfce4", "xfce4-terminal", "dbus-x11"], ["tigervnc-server"]);
    if (p.family === "rhel") p.install.push('dnf groupinstall -y "Xfce"');
    // Deferred: written after the package, whose own copy of this file it replaces.
    p.files.push({ path: "/etc/tigervnc/vncserver.users", permissions: "0644", content: `:1=${LAB_USER}\n`, defer: true });
    p.files.push({ path: `${home}/.vnc/config`, permissions: "0644", content: "session=xfce\ngeometry=1920x1080\nlocalhost=no\n", defer: true });
    p.commands.push(
      `printf '%s\\n' ${shq(vncPassword(password))} | vncpasswd -f > ${home}/.vnc/passwd`,
      `chmod 0600 ${home}/.vnc/passwd && chown -R ${LAB_USER}:${LAB_USER} ${home}/.vnc`,
      "systemctl enable --now tigervncserver@:1 || systemctl enable --now vncserver@:1",
    );
  } else {
    // The target is reachable only from the proxy's security group: password logins for `lab` only.
    need(p, ["openssh-server"], ["openssh-server"]);
    p.commands.push(
      `printf '\\nMatch User ${LAB_USER}\\n  PasswordAuthentication yes\\n' >> /etc/ssh/sshd_config`,
      "systemctl restart ssh || systemctl restart sshd",
    );
  }
}
