/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * The Docker adapter's pure parts, as tables: the image table and its resolution, published
 * ports and the bind address, power switches, engine host names, slurm.conf and the gateway's
 * user mapping. No Pulumi runtime here.
 */
import { describe, expect, it } from "vitest";
import { ALIAS_IMAGE, DEFAULT_IMAGES, imageFor, imageSlug, shellFor, slotOf } from "../../../clouds/docker/emit/images.js";
import { bindAddress, dockerAccessNote, networkIsInternal, publishedPorts } from "../../../clouds/docker/emit/ports.js";
import { hostOf, powerSwitches } from "../../../clouds/docker/emit/container.js";
import { nodeRange, slurmConf, slurmStartScript } from "../../../clouds/docker/emit/slurm.js";
import { PASSWORD_PLACEHOLDER, gatewayStartScript, userMapping } from "../../../clouds/docker/emit/gateway.js";
import { CAPS, peersOf } from "../../../clouds/docker/emit/roles.js";
import type { PlannedMachine, Role, SessionPlan } from "../../../plan/types.js";

const alias = (a: string, id: string) => ({ alias: a, id, os: "linux" as const });
const machine = (role: Role, name: string = role, extra: Partial<PlannedMachine> = {}): PlannedMachine => ({
  name,
  role,
  tier: 0,
  instanceType: "2cpu-4g",
  image: alias("ubuntu-22.04", "ubuntu:22.04"),
  diskGb: 30,
  spot: false,
  public: false,
  inbound: [],
  hibernation: false,
  desiredState: "running",
  connect: [{ protocol: "ssh", port: 22 }],
  hourlyUsd: 0,
  ...extra,
});

describe("images per role", () => {
  it.each<[SessionPlan["kind"], Role, string | undefined, string]>([
    ["Machine", "machine", undefined, "ubuntu:22.04"],
    ["Pool", "member", undefined, "ubuntu:22.04"],
    ["HPCCluster", "head", undefined, "giovtorres/slurm-docker-cluster:latest"],
    ["HPCCluster", "compute", undefined, "giovtorres/slurm-docker-cluster:latest"],
    ["EMRCluster", "master", undefined, "apache/spark:3.5.3"],
    ["EMRCluster", "worker", undefined, "apache/spark:3.5.3"],
    ["EMRCluster", "proxy", undefined, "nginx:1.27-alpine"],
    ["VirtualLab", "proxy", "rdp", "guacamole/guacamole:1.5.5"],
    ["VirtualLab", "target", "ssh", "lscr.io/linuxserver/openssh-server:latest"],
    ["VirtualLab", "target", "rdp", "lscr.io/linuxserver/rdesktop:latest"],
    ["VirtualLab", "target", "vnc", "consol/debian-xfce-vnc:latest"],
  ])("%s %s (%s): an alias means the role's default, %s", (kind, role, protocol, image) => {
    const plan = { kind, ...(protocol ? { gateway: { protocol: protocol as "rdp" } } : {}) };
    expect(imageFor(plan, machine(role))).toBe(image);
  });

  it("a non-alias image is used as is, for any role", () => {
    for (const role of ["machine", "head", "worker", "proxy", "target"] as Role[]) {
      expect(
        imageFor({ kind: "VirtualLab", gateway: { protocol: "ssh" } }, machine(role, role, { image: { id: "registry.example.org/lab/x:1", os: "linux" } })),
      ).toBe("registry.example.org/lab/x:1");
    }
  });

  it("the Docker kind runs its container image, whatever the host block says", () => {
    const container = { image: "jupyter/base-notebook:2024-05-27", command: [], env: {}, ports: [], volumes: [] };
    expect(imageFor({ kind: "Docker", container }, machine("machine", "container"))).toBe("jupyter/base-notebook:2024-05-27");
  });

  it("plain machines take their alias's own image; every other slot names a real image", () => {
    expect(DEFAULT_IMAGES.machine).toBe(ALIAS_IMAGE);
    for (const [slot, image] of Object.entries(DEFAULT_IMAGES)) if (slot !== "machine") expect(image, slot).toMatch(/^[a-z0-9./-]+:[A-Za-z0-9._-]+$/);
    expect(slotOf({ kind: "Pool" }, { role: "member" })).toBe("machine");
    expect(slotOf({ kind: "VirtualLab", gateway: { protocol: "vnc" } }, { role: "target" })).toBe("desktop-vnc");
  });

  it.each([
    ["apache/spark:3.5.3", "apache-spark-3-5-3"],
    ["lscr.io/linuxserver/rdesktop:latest", "lscr-io-linuxserver-rdesktop-latest"],
    ["UPPER/Case@sha256:abc", "upper-case-sha256-abc"],
  ])("image slug %s → %s", (image, slug) => expect(imageSlug(image)).toBe(slug));

  it("long image references get distinct, bounded slugs", () => {
    const a = `registry.example.org/${"x".repeat(80)}:1`;
    const b = `registry.example.org/${"x".repeat(80)}:2`;
    expect(imageSlug(a)).not.toBe(imageSlug(b));
    expect(imageSlug(a).length).toBeLessThanOrEqual(60);
  });

  it("Alpine and BusyBox images get sh", () => {
    expect(shellFor("nginx:1.27-alpine")).toBe("/bin/sh");
    expect(shellFor("busybox:1.36")).toBe("/bin/sh");
    expect(shellFor("ubuntu:22.04")).toBe("/bin/bash");
  });
});

describe("published ports", () => {
  const open = { kind: "Machine" as const, allowFrom: ["203.0.113.0/24"] };
  const closed = { kind: "Machine" as const, allowFrom: [] };

  it("bind to loopback unless allowFrom lets everyone in: Docker cannot filter narrower ranges (issue 12)", () => {
    expect(bindAddress(closed)).toBe("127.0.0.1");
    expect(bindAddress(open)).toBe("127.0.0.1");
    expect(bindAddress({ allowFrom: ["203.0.113.0/24", "0.0.0.0/0"] })).toBe("0.0.0.0");
    expect(bindAddress({ allowFrom: ["::/0"] })).toBe("0.0.0.0");
  });

  it("the plan says what allowFrom did on Docker, never silently", () => {
    const ports = machine("machine", "machine", {
      inbound: [
        {
          protocol: "tcp" as const,
          fromPort: 8080,
          toPort: 8080,
          from: { kind: "cidrs" as const, cidrs: ["203.0.113.0/24"] },
          description: "port 8080/tcp from access.allowFrom",
        },
      ],
    });
    expect(dockerAccessNote({ ...closed, machines: [ports] })).toBeUndefined();
    expect(dockerAccessNote({ ...open, machines: [ports] })).toBe(
      "access.allowFrom (203.0.113.0/24) cannot be enforced by Docker, which does not filter published ports by source address: they listen on 127.0.0.1 of the engine's host only (reach them through an SSH tunnel). To publish them on every address of the host, add 0.0.0.0/0 to allowFrom and filter in the host's firewall (the DOCKER-USER iptables chain)",
    );
    expect(dockerAccessNote({ ...open, allowFrom: ["0.0.0.0/0"], machines: [ports] })).toMatch(
      /^access\.allowFrom \(0\.0\.0\.0\/0\) lets everyone in: published ports listen on every address/,
    );
    expect(dockerAccessNote({ ...open, machines: [machine("machine")] })).toBe(
      "access.allowFrom (203.0.113.0/24) has no effect on Docker here: nothing is published (containers are entered with docker exec)",
    );
  });

  it("a proxy publishes its HTTP port on a host port the engine picks", () => {
    expect(publishedPorts({ kind: "VirtualLab", allowFrom: [] }, machine("proxy"))).toEqual([{ internal: 8080, protocol: "tcp", ip: "127.0.0.1" }]);
  });

  it("Slurm and Spark nodes, and ssh rules, publish nothing", () => {
    const ssh = { protocol: "tcp" as const, fromPort: 22, toPort: 22, from: { kind: "cidrs" as const, cidrs: ["203.0.113.0/24"] }, description: "ssh" };
    expect(publishedPorts({ kind: "HPCCluster", allowFrom: ["203.0.113.0/24"] }, machine("head", "head", { inbound: [ssh] }))).toEqual([]);
    expect(publishedPorts(open, machine("machine", "machine", { inbound: [ssh] }))).toEqual([]);
  });

  it("the network is internal exactly when nothing is published", () => {
    expect(networkIsInternal({ kind: "HPCCluster", allowFrom: [], machines: [machine("head"), machine("compute", "compute-1")] })).toBe(true);
    expect(networkIsInternal({ kind: "VirtualLab", allowFrom: [], machines: [machine("proxy"), machine("target")] })).toBe(false);
  });
});

describe("power state", () => {
  it.each([
    ["running", { mustRun: true, start: true }],
    ["stopped", { mustRun: false, start: false }],
    ["hibernated", { mustRun: true, start: true }],
  ] as const)("%s → %o", (state, switches) => expect(powerSwitches(state)).toEqual(switches));
});

describe("engine host names", () => {
  it.each([
    ["tcp://spark-lab.example.org:2376", "spark-lab.example.org"],
    ["ssh://labadmin@teaching-docker.example.org", "teaching-docker.example.org"],
    ["unix:///var/run/docker.sock", undefined],
    ["not a url", undefined],
  ])("%s → %s", (url, host) => expect(hostOf(url)).toBe(host));
});

describe("Slurm", () => {
  it("node ranges use Slurm's bracket syntax when contiguous", () => {
    expect(nodeRange(["compute-1", "compute-2", "compute-3"])).toBe("compute-[1-3]");
    expect(nodeRange(["compute-1"])).toBe("compute-1");
    expect(nodeRange(["compute-1", "compute-3"])).toBe("compute-1,compute-3");
  });

  it("slurm.conf: the head's alias controls, compute sizes come from the containers' limits", () => {
    const conf = slurmConf({
      session: "s",
      machines: [machine("head"), ...[1, 2].map((i) => machine("compute", `compute-${i}`, { instanceType: "4cpu-8g" }))],
    });
    expect(conf).toContain("SlurmctldHost=head\n");
    expect(conf).toContain("NodeName=compute-[1-2] CPUs=4 RealMemory=7372 State=UNKNOWN\n");
    expect(conf).toContain("AuthType=auth/munge\n");
  });

  it("the start script installs the uploaded munge key for munged and waits for slurmctld", () => {
    const script = slurmStartScript();
    expect(script).toContain("install -o munge -g munge -m 0400 /etc/formations/munge.key /etc/munge/munge.key");
    expect(script).toContain("/dev/tcp/head/6817");
    expect(script).not.toMatch(/MUNGE_KEY=/);
  });
});

describe("gateway", () => {
  it("the user mapping holds a placeholder, never a password, and escapes the session name", () => {
    const xml = userMapping("a&b", "rdp");
    expect(xml).toContain(`password="${PASSWORD_PLACEHOLDER}"`);
    expect(xml).toContain('<connection name="a&amp;b">');
    expect(xml).toContain('<param name="port">3389</param>');
    expect(xml).toContain('<param name="username">abc</param>');
    expect(gatewayStartScript()).toContain("$GATEWAY_PASSWORD");
  });

  it("services nobody logs into get no capabilities at all", () => {
    for (const slot of ["gateway", "guacd", "master", "worker", "desktop-vnc"] as const) expect(CAPS[slot]).toEqual([]);
    expect(CAPS.machine).not.toContain("NET_RAW");
    expect(CAPS.machine).not.toContain("SYS_ADMIN");
  });

  it("containers wait for the peers whose alias they use", () => {
    const machines = [machine("head"), machine("compute", "compute-1"), machine("master"), machine("target")];
    expect(peersOf({ kind: "HPCCluster", machines }, { role: "compute" })).toEqual(["head"]);
    expect(peersOf({ kind: "VirtualLab", machines }, { role: "proxy" })).toEqual(["target"]);
    expect(peersOf({ kind: "EMRCluster", machines }, { role: "proxy" })).toEqual(["master"]);
    expect(peersOf({ kind: "HPCCluster", machines }, { role: "head" })).toEqual([]);
  });
});
