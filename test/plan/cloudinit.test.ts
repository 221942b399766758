/**
 * plan/cloudinit.ts, directly: the user data of each role (tables of roles x storage kinds x
 * package families), parsed back from YAML and asserted on the parts that make a machine work.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parse } from "yaml";
import { loadFormationText } from "../../format/load.js";
import { planSession } from "../../plan/index.js";
import type { PlannedMachine, PlannedStorage, SessionPlan } from "../../plan/types.js";
import { USER_DATA_LIMIT, cloudConfig, familyOf, hostlist, userData, type CloudInitValues } from "../../plan/cloudinit.js";
import { shq, xml } from "../../plan/cloudinit/parts.js";
import { dockerRun, sparkVersion } from "../../plan/cloudinit/workloads.js";
import { psq } from "../../plan/cloudinit/windows.js";

interface WriteFile {
  path: string;
  content: string;
  permissions: string;
  encoding?: string;
  defer?: boolean;
}
interface CloudConfig {
  hostname: string;
  ssh_authorized_keys?: string[];
  packages?: string[];
  write_files?: WriteFile[];
  runcmd?: string[];
  users?: unknown[];
  chpasswd?: { expire: boolean; users: { name: string; password: string }[] };
}

const KEYS = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7yK5YQQX7+PX1LdZ/1IhisRnKb6bgc7s1lYmM0jQyj alice@example.org", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob@example.org"];
const MUNGE = Buffer.from("m".repeat(128)).toString("base64");
const VALUES: CloudInitValues = {
  headAddress: "10.42.0.5",
  masterAddress: "10.42.0.6",
  targetAddress: "10.42.16.7",
  storageSource: "fs-123.efs.eu-west-1.amazonaws.com:/",
  storageType: "nfs",
  mungeKey: MUNGE,
  gatewayPassword: `Gw<&>"'pass12345`,
  adminPassword: "Adm'n-Pa55!",
  peers: ["compute-1", "compute-2", "compute-3"],
};

function plan(kind: string, spec: string, provider = "aws", access = `access: { sshPublicKeys: ${JSON.stringify(KEYS)} }\n`): SessionPlan {
  const cloud = provider === "docker" ? "{ provider: docker }" : `{ provider: ${provider}, region: eu-west-1 }`;
  return planSession(loadFormationText(`apiVersion: formations/v1\nkind: ${kind}\nmetadata: { name: t-${kind.toLowerCase()} }\ncloud: ${cloud}\n${access}spec:\n${spec}`));
}
const machine = (p: SessionPlan, name: string): PlannedMachine => p.machines.find((m) => m.name === name)!;
const config = (p: SessionPlan, name: string, v: CloudInitValues = VALUES): CloudConfig => {
  const text = userData(p, machine(p, name), v);
  expect(text.startsWith("#cloud-config\n")).toBe(true);
  return parse(text) as CloudConfig;
};
const file = (c: CloudConfig, path: string) => c.write_files?.find((f) => f.path === path);
const commands = (c: CloudConfig) => (c.runcmd ?? []).join("\n");
const withStorage = (p: SessionPlan, kind: PlannedStorage["kind"]): SessionPlan => ({ ...p, storage: { ...p.storage!, kind } });

const hpc = (image: string, count = 3) => plan("HPCCluster", `  headNode: { machine: { size: medium, image: ${image} } }\n  computeNodes: { count: ${count}, machine: { instanceType: c6i.4xlarge, image: ${image} } }\n  sharedStorage: { sizeGb: 200, mountPath: /shared }\n`);

describe("every Linux machine", () => {
  it("gets its hostname and every ssh key of the formation", () => {
    const c = config(plan("Pool", "  count: 2\n  machine: { size: small }\n"), "machine-2");
    expect(c.hostname).toBe("machine-2");
    expect(c.ssh_authorized_keys).toEqual(KEYS);
  });

  it("package family follows the image: apt names on Ubuntu/Debian, dnf + EPEL on Rocky", () => {
    const p = hpc("rocky-9");
    expect(familyOf(machine(p, "head").image)).toBe("rhel");
    expect(familyOf(machine(hpc("debian-12"), "head").image)).toBe("debian");
    expect(familyOf({ id: "ami-0abc", os: "linux" })).toBe("debian");
    expect(familyOf({ id: "rockylinux:9", os: "linux" })).toBe("rhel");
  });
});

describe("HPC: roles x storage kinds x families", () => {
  const cases = [
    { role: "head", storage: "managed", image: "ubuntu-22.04" },
    { role: "head", storage: "head-nfs", image: "ubuntu-22.04" },
    { role: "compute", storage: "managed", image: "ubuntu-22.04" },
    { role: "compute", storage: "head-nfs", image: "ubuntu-22.04" },
    { role: "head", storage: "managed", image: "rocky-9" },
    { role: "head", storage: "head-nfs", image: "rocky-9" },
    { role: "compute", storage: "managed", image: "rocky-9" },
    { role: "compute", storage: "head-nfs", image: "rocky-9" },
  ] as const;

  it.each(cases)("$role with $storage storage on $image", ({ role, storage, image }) => {
    const p = withStorage(hpc(image), storage);
    const name = role === "head" ? "head" : "compute-2";
    const c = config(p, name);
    const run = commands(c);
    const rhel = image === "rocky-9";
    const daemon = role === "head" ? "slurmctld" : "slurmd";

    // Slurm and munge, from the distribution (Debian) or EPEL (RHEL family).
    if (rhel) expect(run).toContain(`dnf install -y munge slurm slurm-${daemon}`);
    else expect(c.packages).toEqual(expect.arrayContaining(["munge", daemon]));
    expect(run).toContain(`systemctl enable ${daemon} && systemctl restart ${daemon}`);

    // The munge key: the session's secret, binary (base64 in YAML), 0400, owned by munge.
    const key = file(c, "/etc/munge/munge.key")!;
    expect(key).toMatchObject({ content: MUNGE, encoding: "b64", permissions: "0400" });
    expect(run).toContain("chown munge:munge /etc/munge /etc/munge/munge.key");

    // slurm.conf lists the compute nodes compactly; compute nodes know the head's address.
    const conf = file(c, "/etc/slurm/slurm.conf")!.content;
    expect(conf).toContain("NodeName=compute-[1-3] CPUs=16 RealMemory=29491 State=CLOUD");
    expect(conf).toContain("PartitionName=compute Nodes=compute-[1-3] Default=YES");
    expect(conf).toContain("SlurmctldParameters=cloud_reg_addrs");
    expect(conf).toContain(role === "head" ? "SlurmctldHost=head(@HEAD_ADDRESS@)" : "SlurmctldHost=head(10.42.0.5)");
    if (role === "head") expect(run).toContain(`sed -i "s/@HEAD_ADDRESS@/$(hostname -I`);
    else expect(run).toContain("echo '10.42.0.5 head' >> /etc/hosts");

    // Shared storage: the head exports it (head-nfs) or everyone mounts the managed one.
    const exports = file(c, "/etc/exports.d/formations.exports");
    const mount = file(c, "/usr/local/sbin/formations-mount-shared");
    if (role === "head" && storage === "head-nfs") {
      expect(exports?.content).toBe("/shared 10.42.0.0/16(rw,sync,no_subtree_check,no_root_squash)\n");
      expect(c.packages).toContain(rhel ? "nfs-utils" : "nfs-kernel-server");
      expect(run).toContain("systemctl enable --now nfs-server");
      expect(mount).toBeUndefined();
    } else {
      const source = storage === "managed" ? VALUES.storageSource : "10.42.0.5:/shared";
      expect(exports).toBeUndefined();
      expect(mount?.content).toContain(`'${source} /shared nfs4 nfsvers=4.1,`);
      expect(c.packages).toContain(rhel ? "nfs-utils" : "nfs-common");
      expect(run).toContain("/usr/local/sbin/formations-mount-shared");
    }
  });

  it("a Docker volume (docker provider storage) is not mounted by cloud-init", () => {
    const c = config(withStorage(hpc("ubuntu-22.04"), "volume"), "compute-1", { ...VALUES, storageType: "volume" });
    expect(file(c, "/usr/local/sbin/formations-mount-shared")).toBeUndefined();
  });

  it("refuses to build a node without what it needs", () => {
    const p = hpc("ubuntu-22.04");
    expect(() => userData(p, machine(p, "compute-1"), { ...VALUES, headAddress: undefined })).toThrow(/head node's address/);
    expect(() => userData(p, machine(p, "head"), { ...VALUES, mungeKey: undefined })).toThrow(/munge key/);
    expect(() => userData(p, machine(p, "head"), { ...VALUES, storageSource: undefined })).toThrow(/shared file system/);
  });

  it("stays under EC2's 16 KiB user data limit with 1,000 compute nodes", () => {
    const p = hpc("rocky-9", 1000);
    const peers = p.machines.filter((m) => m.role === "compute").map((m) => m.name);
    for (const name of ["head", "compute-1000"]) {
      const text = userData(p, machine(p, name), { ...VALUES, peers });
      expect(text).toContain("NodeName=compute-[1-1000]");
      expect(Buffer.byteLength(text)).toBeLessThan(USER_DATA_LIMIT);
    }
  });

  it("hostlist compresses numbered names and keeps the others", () => {
    expect(hostlist(["compute-1", "compute-2", "compute-3", "compute-7", "compute-9", "compute-10"])).toBe("compute-[1-3,7,9-10]");
    expect(hostlist(["gpu-1", "login", "gpu-2"])).toBe("gpu-[1-2],login");
    expect(hostlist(["compute-5"])).toBe("compute-5");
    expect(hostlist([])).toBe("");
  });
});

const lab = (protocol: string, image = "ubuntu-22.04") =>
  plan("VirtualLab", `  target: { protocol: ${protocol}, machine: { size: large, image: ${image} } }\n  proxy: { machine: { size: small } }\n`, "aws", `access: { sshPublicKeys: ${JSON.stringify(KEYS)}, allowFrom: [203.0.113.0/24] }\n`);

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
    expect(() => userData(lab("rdp", "windows-2022"), machine(lab("rdp", "windows-2022"), "target"), { ...VALUES, adminPassword: undefined })).toThrow(/admin password/);
  });
});

describe("EMRCluster", () => {
  const emr = (provider: string, apps: string) => plan("EMRCluster", `  applications: [${apps}]\n  master: { machine: { size: medium } }\n  workers: { count: 2, machine: { size: medium } }\n`, provider);

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
    const p = plan("Docker", `  container:\n    image: nginx:1.27\n    command: [nginx, -g, "daemon off;"]\n    env: { GREETING: "it's a test" }\n    ports: [{ container: 80, host: 8080 }]\n    volumes: [{ name: site, mountPath: /usr/share/nginx/html, readOnly: true }]\n    cpus: 1.5\n    memoryMb: 512\n`);
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

describe("quoting", () => {
  it("shq round-trips any string through sh", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }).filter((s) => !s.includes("\0")), (s) => {
        expect(execFileSync("sh", ["-c", `printf %s ${shq(s)}`], { encoding: "utf8" })).toBe(s);
      }),
      { numRuns: 60 },
    );
  });

  it("xml and PowerShell quoting neutralise their special characters", () => {
    expect(xml(`<a b="c">&'`)).toBe("&lt;a b=&quot;c&quot;&gt;&amp;&apos;");
    expect(psq("it's $HOME")).toBe("'it''s $HOME'");
  });
});
