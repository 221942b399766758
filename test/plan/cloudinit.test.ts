/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * plan/cloudinit.ts, directly: the user data of each role (tables of roles x storage kinds x
 * package families), parsed back from YAML and asserted on the parts that make a machine work.
 * Gateways, Spark and Docker hosts: cloudinit-roles.test.ts.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import fc from "fast-check";
import { USER_DATA_LIMIT, familyOf, hostlist, hostnameLine, userData } from "../../plan/cloudinit.js";
import { shq, xml } from "../../plan/cloudinit/parts.js";
import { psq } from "../../plan/cloudinit/windows.js";
import { KEYS, MUNGE, VALUES, commands, config, file, machine, plan, withStorage } from "./cloudinit-helpers.js";

const hpc = (image: string, count = 3) =>
  plan(
    "HPCCluster",
    `  headNode: { machine: { size: medium, image: ${image} } }\n  computeNodes: { count: ${count}, machine: { instanceType: c6i.4xlarge, image: ${image} } }\n  sharedStorage: { sizeGb: 200, mountPath: /shared }\n`,
  );

describe("every Linux machine", () => {
  it("gets its hostname and every ssh key of the formation", () => {
    const c = config(plan("Pool", "  count: 2\n  machine: { size: small }\n"), "machine-2");
    expect(c.hostname).toBe("machine-2");
    expect(c.ssh_authorized_keys).toEqual(KEYS);
  });

  it("the hostname line is what the YAML library renders, for every name (plain or quoted)", () => {
    for (const name of ["node-0001", "true", "false", "null", "y", "no", "on", "nan", "e", "1e3", "123", "0x1f", "0o7", ".inf", "-a", "Head", "a b", ""]) {
      expect(hostnameLine(name)).toBe(stringify({ hostname: name }, { lineWidth: 0 }));
    }
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9.-]{0,12}$/), (name) => hostnameLine(name) === stringify({ hostname: name }, { lineWidth: 0 })),
      { numRuns: 2000 },
    );
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

describe("quoting", () => {
  it("shq round-trips any string through sh", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 40 }).filter((s) => !s.includes("\0")),
        (s) => {
          expect(execFileSync("sh", ["-c", `printf %s ${shq(s)}`], { encoding: "utf8" })).toBe(s);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("xml and PowerShell quoting neutralise their special characters", () => {
    expect(xml(`<a b="c">&'`)).toBe("&lt;a b=&quot;c&quot;&gt;&amp;&apos;");
    expect(psq("it's $HOME")).toBe("'it''s $HOME'");
  });
});
