/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * plan/cloudinit.ts for gateways and workloads: the VirtualLab proxy (Guacamole) and its targets,
 * the EMRCluster proxy, self-managed Spark, Docker formations on a cloud host and GPU machines.
 */
import { describe, expect, it } from "vitest";
import { cloudConfig, userData } from "../../plan/cloudinit.js";
import { dockerRun, sparkVersion } from "../../plan/cloudinit/workloads.js";
import { KEYS, VALUES, commands, config, file, machine, plan } from "./cloudinit-helpers.js";

const lab = (protocol: string, image = "ubuntu-22.04") =>
  plan(
    "VirtualLab",
    `  target: { protocol: ${protocol}, machine: { size: large, image: ${image} } }\n  proxy: { machine: { size: small } }\n`,
    "aws",
    `access: { sshPublicKeys: ${JSON.stringify(KEYS)}, allowFrom: [203.0.113.0/24] }\n`,
  );

describe("VirtualLab", () => {
  it.each([
    { protocol: "rdp", port: "3389", login: "lab" },
    { protocol: "vnc", port: "5901", login: undefined },
    { protocol: "ssh", port: "22", login: "lab" },
  ])("the proxy runs Guacamole behind TLS with one $protocol connection to the target", ({ protocol, port, login }) => {
    const c = config(lab(protocol), "proxy");
    const run = commands(c);
    expect(c.packages).toContain("docker.io");
    for (const image of ["guacamole/guacd:1.5.5", "guacamole/guacamole:1.5.5", "nginx:1.27-alpine"]) expect(run).toContain(image);
    expect(run).toContain("-p 443:443");
    expect(run).toContain("openssl req -x509");
    expect(file(c, "/opt/formations/gateway/nginx.conf")?.content).toContain("listen 443 ssl;");
    const mapping = file(c, "/opt/formations/guacamole/user-mapping.xml")!;
    expect(mapping.permissions).toBe("0600");
    expect(run).toContain("chown -R 1001:1001 /opt/formations/guacamole");
    expect(mapping.content).toContain(`<protocol>${protocol}</protocol>`);
    expect(mapping.content).toContain(`<param name="hostname">10.42.16.7</param>`);
    expect(mapping.content).toContain(`<param name="port">${port}</param>`);
    // The password is XML-escaped, never raw markup.
    expect(mapping.content).toContain(`password="Gw&lt;&amp;&gt;&quot;&apos;pass12345"`);
    if (login) expect(mapping.content).toContain(`<param name="username">${login}</param>`);
    // VNC: no user, and the protocol keeps 8 characters of the password.
    else expect(mapping.content).toContain(`<param name="password">Gw&lt;&amp;&gt;&quot;&apos;p</param>`);
  });

  it.each([
    { protocol: "rdp", server: "xrdp" },
    { protocol: "vnc", server: "tigervnc-standalone-server" },
    { protocol: "ssh", server: "openssh-server" },
  ])("a Linux $protocol target has the lab user and its $server", ({ protocol, server }) => {
    const c = config(lab(protocol), "target");
    expect(c.packages).toContain(server);
    expect(c.users).toEqual(["default", expect.objectContaining({ name: "lab", lock_passwd: false })]);
    expect(c.chpasswd).toEqual({ expire: false, users: [{ name: "lab", password: VALUES.gatewayPassword, type: "text" }] });
    const run = commands(c);
    if (protocol === "vnc") {
      expect(run).toContain("vncpasswd -f > /home/lab/.vnc/passwd");
      expect(file(c, "/home/lab/.vnc/config")).toMatchObject({ defer: true, content: expect.stringContaining("localhost=no") });
    }
    if (protocol === "ssh") expect(run).toContain("Match User lab\\n  PasswordAuthentication yes");
    if (protocol === "rdp") expect(file(c, "/home/lab/.xsession")?.defer).toBe(true);
  });

  it("a Windows target gets PowerShell (RDP on, Administrator password) and the gateway logs in as Administrator", () => {
    const p = lab("rdp", "windows-2022");
    const script = userData(p, machine(p, "target"), VALUES);
    expect(script.startsWith("<powershell>\n")).toBe(true);
    expect(script.trimEnd().endsWith("</powershell>")).toBe(true);
    expect(script).toContain("fDenyTSConnections' -Value 0");
    expect(script).toContain(`ConvertTo-SecureString 'Adm''n-Pa55!' -AsPlainText`);
    expect(script).toContain("administrators_authorized_keys");
    const mapping = file(config(p, "proxy"), "/opt/formations/guacamole/user-mapping.xml")!.content;
    expect(mapping).toContain(`<param name="username">Administrator</param>`);
    expect(mapping).toContain(`<param name="password">Adm&apos;n-Pa55!</param>`);
  });

  it("refuses a gateway without the target's address or the password", () => {
    const p = lab("rdp");
    expect(() => userData(p, machine(p, "proxy"), { ...VALUES, targetAddress: undefined })).toThrow(/target's address/);
    expect(() => userData(p, machine(p, "target"), { ...VALUES, gatewayPassword: undefined })).toThrow(/gateway password/);
    expect(() => userData(lab("rdp", "windows-2022"), machine(lab("rdp", "windows-2022"), "target"), { ...VALUES, adminPassword: undefined })).toThrow(
      /admin password/,
    );
  });
});

describe("EMRCluster", () => {
  const emr = (provider: string, apps: string) =>
    plan("EMRCluster", `  applications: [${apps}]\n  master: { machine: { size: medium } }\n  workers: { count: 2, machine: { size: medium } }\n`, provider);

  it.each([
    { provider: "aws", apps: "spark, jupyter", upstream: "https://10.42.0.6:9443" },
    { provider: "aws", apps: "spark", upstream: "http://10.42.0.6:18080" },
    { provider: "docker", apps: "spark, jupyter", upstream: "http://10.42.0.6:8888" },
    { provider: "docker", apps: "spark", upstream: "http://10.42.0.6:8080" },
  ])("the $provider proxy with [$apps] puts $upstream on 443", ({ provider, apps, upstream }) => {
    const c = config(emr(provider, apps), "proxy");
    expect(file(c, "/opt/formations/gateway/nginx.conf")?.content).toContain(`proxy_pass ${upstream};`);
  });

  it("self-managed Spark: the master runs Master (and JupyterLab), workers join spark://master:7077", () => {
    const p = emr("docker", "spark, jupyter");
    const master = config(p, "master");
    expect(file(master, "/etc/systemd/system/spark-master.service")?.content).toContain("org.apache.spark.deploy.master.Master --host 0.0.0.0 --port 7077");
    expect(file(master, "/etc/systemd/system/jupyterlab.service")?.content).toContain("--port=8888");
    expect(commands(master)).toContain("https://archive.apache.org/dist/spark/spark-3.5.3/spark-3.5.3-bin-hadoop3.tgz");
    const worker = config(p, "worker-2");
    expect(file(worker, "/etc/systemd/system/spark-worker.service")?.content).toContain("spark://10.42.0.6:7077");
    expect(() => userData(p, machine(p, "worker-1"), { ...VALUES, masterAddress: undefined })).toThrow(/master's address/);
  });

  it("managed nodes (EMR) have no user data of ours", () => {
    const p = emr("aws", "spark");
    expect(() => cloudConfig(p, machine(p, "master"), VALUES)).toThrow(/managed big-data service/);
    expect(sparkVersion("spark-3.4.1")).toBe("3.4.1");
    expect(sparkVersion("emr-7.5.0")).toBe("3.5.3");
  });
});

describe("Docker formation on a cloud host", () => {
  it("installs Docker and runs the planned container, every value quoted", () => {
    const p = plan(
      "Docker",
      `  container:\n    image: nginx:1.27\n    command: [nginx, -g, "daemon off;"]\n    env: { GREETING: "it's a test" }\n    ports: [{ container: 80, host: 8080 }]\n    volumes: [{ name: site, mountPath: /usr/share/nginx/html, readOnly: true }]\n    cpus: 1.5\n    memoryMb: 512\n`,
    );
    const c = config(p, "host");
    expect(c.packages).toContain("docker.io");
    const script = file(c, "/usr/local/sbin/formations-run-container")!;
    expect(script.permissions).toBe("0700");
    expect(script.content).toContain(
      `docker run -d --name t-docker --restart unless-stopped -e 'GREETING=it'\\''s a test' -p 8080:80/tcp -v site:/usr/share/nginx/html:ro --cpus 1.5 --memory 512m nginx:1.27 nginx -g 'daemon off;'`,
    );
    expect(dockerRun("x", { image: "alpine", command: [], env: {}, ports: [], volumes: [] })).toBe("docker run -d --name x --restart unless-stopped alpine");
  });
});

describe("GPU machines", () => {
  it("Ubuntu GPU machines install the server driver; others get nothing extra", () => {
    const gpu = config(plan("Machine", "  machine: { size: small, image: ubuntu-22.04, gpus: { count: 1, type: nvidia-t4 } }\n"), "machine");
    expect(commands(gpu)).toContain("ubuntu-drivers install --gpgpu");
    const plain = config(plan("Machine", "  machine: { size: small }\n"), "machine");
    expect(plain.runcmd).toBeUndefined();
    expect(plain.packages).toBeUndefined();
  });
});
