/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * Table tests of the GCP adapter's pure parts: machine types and GPUs, images, users, labels,
 * power states, spot scheduling, firewall specs, the NFSv3 switch, Dataproc's components and
 * worker split, Filestore capacity.
 */
import { describe, expect, it } from "vitest";
import {
  bootDiskGb,
  bootImage,
  canSuspend,
  desiredStatus,
  gcpLabels,
  loginUser,
  machineShape,
  powershellBody,
  scheduling,
  sshKeys,
  terminationAction,
} from "../../../clouds/gcp/emit/shapes.js";
import { firewallSpecs, machineTags } from "../../../clouds/gcp/emit/firewall.js";
import { CLOUD_INIT_BOOTSTRAP, withNfsV3 } from "../../../clouds/gcp/emit/boot.js";
import { dataprocComponents, dataprocUser, idleStopTtl, imageVersion, workerSplit } from "../../../clouds/gcp/emit/dataproc.js";
import { filestoreCapacityGb } from "../../../clouds/gcp/emit/storage.js";
import { lastSegment } from "../../../clouds/gcp/emit/network.js";
import { NFS_OPTIONS } from "../../../plan/cloudinit/parts.js";
import { planSession } from "../../../plan/index.js";
import { gcp } from "../../../clouds/gcp/catalog.js";
import { ACCESS, inline } from "./helpers.js";

describe("machine types and GPUs", () => {
  it.each([
    [{ instanceType: "n1-standard-4+1xnvidia-tesla-t4" }, "n1-standard-4", [{ type: "nvidia-tesla-t4", count: 1 }]],
    [{ instanceType: "n1-standard-64+8xnvidia-tesla-v100" }, "n1-standard-64", [{ type: "nvidia-tesla-v100", count: 8 }]],
    [{ instanceType: "n1-standard-8", gpus: { count: 2, type: "nvidia-t4" } }, "n1-standard-8", [{ type: "nvidia-tesla-t4", count: 2 }]],
    [{ instanceType: "g2-standard-8", gpus: { count: 1, type: "nvidia-l4" } }, "g2-standard-8", []],
    [{ instanceType: "a2-highgpu-1g", gpus: { count: 1, type: "nvidia-a100" } }, "a2-highgpu-1g", []],
    [{ instanceType: "e2-medium" }, "e2-medium", []],
  ])("%j → %s with %j", (m, machineType, accelerators) => {
    expect(machineShape(m)).toEqual({ machineType, accelerators });
  });

  it("every GPU entry of the catalog is priced and parses to a machine type", () => {
    for (const options of Object.values(gcp.gpus)) {
      for (const type of Object.values(options ?? {})) {
        expect(gcp.instances[type!], type).toBeDefined();
        expect(
          gcp.hibernationRule!({ instanceType: type!, memoryGb: gcp.instances[type!]!.memoryGb, diskGb: 50, gpus: false, spot: false }),
          `${type} cannot suspend`,
        ).toMatch(/GPUs|series/);
        expect(machineShape({ instanceType: type! }).machineType).toMatch(/^[a-z0-9]+-[a-z]+-\d+g?$/);
      }
    }
  });

  it("sizes map to listed, suspendable types; images are family paths", () => {
    for (const t of Object.values(gcp.sizes))
      expect(gcp.hibernationRule!({ instanceType: t, memoryGb: gcp.instances[t]!.memoryGb, diskGb: 50, gpus: false, spot: false }), t).toBeUndefined();
    for (const i of Object.values(gcp.images)) expect(i.id).toMatch(/^[a-z-]+-cloud\/[a-z0-9-]+$/);
  });
});

describe("images, users, disks, labels", () => {
  const ubuntu = { alias: "ubuntu-22.04", ...gcp.images["ubuntu-22.04"] };
  const win = { alias: "windows-2022", ...gcp.images["windows-2022"] };

  it("arm64 families on Arm types; custom images untouched; no arm Windows", () => {
    expect(bootImage(ubuntu, "n2-standard-2")).toBe("ubuntu-os-cloud/ubuntu-2204-lts");
    expect(bootImage(ubuntu, "c4a-standard-4")).toBe("ubuntu-os-cloud/ubuntu-2204-lts-arm64");
    expect(bootImage({ alias: "ubuntu-24.04", ...gcp.images["ubuntu-24.04"] }, "t2a-standard-2")).toBe("ubuntu-os-cloud/ubuntu-2404-lts-arm64");
    expect(bootImage({ id: "projects/mine/global/images/lab", os: "linux" }, "t2a-standard-2")).toBe("projects/mine/global/images/lab");
    expect(() => bootImage(win, "t2a-standard-2")).toThrow(/no arm64 image/);
  });

  it.each([
    ["ubuntu-22.04", "ubuntu"],
    ["debian-12", "debian"],
    ["rocky-9", "rocky"],
    ["windows-2022", "Administrator"],
  ] as const)("%s logs in as %s", (alias, user) => expect(loginUser({ alias, ...gcp.images[alias] })).toBe(user));

  it("a custom image logs in as formations; ssh-keys has one user:key line per key", () => {
    expect(loginUser({ id: "projects/mine/global/images/lab", os: "linux" })).toBe("formations");
    expect(sshKeys("ubuntu", ["ssh-ed25519 AAAA a", "ssh-rsa BBBB b "])).toBe("ubuntu:ssh-ed25519 AAAA a\nubuntu:ssh-rsa BBBB b");
  });

  it("Windows boot disks are 50 GB at least", () => {
    expect(bootDiskGb({ diskGb: 30, image: win })).toBe(50);
    expect(bootDiskGb({ diskGb: 30, image: ubuntu })).toBe(30);
  });

  it("labels follow GCP's rules: lower case, [a-z0-9_-], keys start with a letter, 63 characters", () => {
    expect(gcpLabels({ Team: "Bio Lab", "1st": "x".repeat(80), "formations-role": "proxy" })).toEqual({
      team: "bio-lab",
      "l-1st": "x".repeat(63),
      "formations-role": "proxy",
    });
  });

  it("the PowerShell body loses the EC2 tags only", () => {
    expect(powershellBody("<powershell>\nWrite-Host 'hi'\n</powershell>\n")).toBe("Write-Host 'hi'\n");
  });
});

describe("power states and spot", () => {
  const m = { hibernation: true, spot: false, instanceType: "e2-standard-2" } as const;
  it.each([
    [{ ...m, desiredState: "running" as const }, "RUNNING"],
    [{ ...m, desiredState: "stopped" as const }, "TERMINATED"],
    [{ ...m, desiredState: "hibernated" as const }, "SUSPENDED"],
    [{ ...m, hibernation: false, desiredState: "hibernated" as const }, "TERMINATED"],
    [{ ...m, spot: true, desiredState: "hibernated" as const }, "TERMINATED"],
    [{ ...m, instanceType: "g2-standard-4", desiredState: "hibernated" as const }, "TERMINATED"],
  ])("%j → %s", (machine, status) => expect(desiredStatus(machine)).toBe(status));

  it("GPUs forbid suspend even where the catalog says the N1 type could", () => {
    expect(canSuspend({ hibernation: true, spot: false, instanceType: "n1-standard-4", gpus: { count: 1, type: "nvidia-t4" } })).toBe(false);
  });

  it.each([
    ["stop", "STOP"],
    ["hibernate", "STOP"],
    ["terminate", "DELETE"],
  ] as const)("spotInterruption %s → %s", (i, action) => {
    expect(terminationAction(i)).toBe(action);
    expect(scheduling({ spot: true, instanceType: "e2-small" }, i)).toEqual({
      provisioningModel: "SPOT",
      preemptible: true,
      automaticRestart: false,
      onHostMaintenance: "TERMINATE",
      instanceTerminationAction: action,
    });
  });

  it("on-demand machines restart and live-migrate unless they have GPUs", () => {
    expect(scheduling({ spot: false, instanceType: "e2-small" }, "stop")).toEqual({
      provisioningModel: "STANDARD",
      preemptible: false,
      automaticRestart: true,
      onHostMaintenance: "MIGRATE",
    });
    expect(scheduling({ spot: false, instanceType: "a2-highgpu-1g" }, "stop").onHostMaintenance).toBe("TERMINATE");
  });
});

describe("firewall specs", () => {
  it("a Pool: one allow rule merging ssh and the pool's ports (ranges kept), then the deny-all", () => {
    const plan = planSession(inline("Pool", "  count: 2\n  ports: [8080, 443]\n  machine: { size: small }\n", ACCESS));
    expect(firewallSpecs(plan)).toEqual([
      {
        suffix: "fw-member-allow-from",
        description: expect.stringContaining("ssh from access.allowFrom"),
        priority: 1000,
        targetTags: ["t-pool-member"],
        sourceRanges: ["203.0.113.0/24"],
        allows: [{ protocol: "tcp", ports: ["22", "443", "8080"] }],
      },
      {
        suffix: "fw-deny-all",
        description: expect.any(String),
        priority: 65534,
        targetTags: ["t-pool"],
        sourceRanges: ["0.0.0.0/0"],
        denies: [{ protocol: "all" }],
      },
    ]);
  });

  it("an HPC cluster: the head from allowFrom, members by the cluster tag, nothing to the compute nodes from outside", () => {
    const plan = planSession(
      inline("HPCCluster", "  headNode: { machine: { size: small } }\n  computeNodes: { count: 3, machine: { size: small } }\n", ACCESS),
    );
    const specs = firewallSpecs(plan);
    expect(specs.map((s) => s.suffix)).toEqual(["fw-head-allow-from", "fw-cluster", "fw-deny-all"]);
    expect(specs.some((s) => s.targetTags.includes("t-hpccluster-compute"))).toBe(false);
    expect(machineTags("t-hpccluster", "compute", true)).toEqual(["t-hpccluster", "t-hpccluster-compute", "t-hpccluster-cluster"]);
  });
});

describe("boot: cloud-init everywhere, NFSv3 for Filestore", () => {
  const script = (content: string) => ({ write_files: [{ path: "/usr/local/sbin/formations-mount-shared", content, permissions: "0755" }] });

  it("switches the mount script's NFSv4.1 line to NFSv3 and leaves other files alone", () => {
    const out = withNfsV3({ ...script(`echo '10.0.0.2:/shared /shared nfs4 ${NFS_OPTIONS} 0 0' >> /etc/fstab`), runcmd: ["x"] });
    expect((out.write_files as { content: string }[])[0]?.content).toBe(
      "echo '10.0.0.2:/shared /shared nfs nfsvers=3,rsize=262144,wsize=1048576,hard,timeo=600,retrans=3,_netdev 0 0' >> /etc/fstab",
    );
    expect(out.runcmd).toEqual(["x"]);
    expect(withNfsV3({ runcmd: [] })).toEqual({ runcmd: [] });
  });

  it("fails loudly when the mount script no longer has the line it switches", () => {
    expect(() => withNfsV3(script("mount -t nfs4 -o nfsvers=4.2 x:/ /shared"))).toThrow(/update the Filestore NFSv3 switch/);
  });

  it("the bootstrap installs cloud-init only when missing, with apt or dnf, then runs its stages", () => {
    expect(CLOUD_INIT_BOOTSTRAP).toMatch(/^#!\/bin\/sh\n/);
    expect(CLOUD_INIT_BOOTSTRAP).toContain("command -v cloud-init >/dev/null 2>&1 && exit 0");
    expect(CLOUD_INIT_BOOTSTRAP).toContain("dnf install -y cloud-init");
    expect(CLOUD_INIT_BOOTSTRAP).toContain("cloud-init init && cloud-init modules --mode=config && cloud-init modules --mode=final");
  });
});

describe("Dataproc and Filestore", () => {
  it.each([
    [[false, false, false], { primary: 3, secondary: 0, moved: 0, added: 0 }],
    [[true, true, true], { primary: 2, secondary: 1, moved: 2, added: 0 }],
    [[false, true, true, true], { primary: 2, secondary: 2, moved: 1, added: 0 }],
    [[false], { primary: 2, secondary: 0, moved: 0, added: 1 }],
    [[true], { primary: 2, secondary: 0, moved: 1, added: 1 }],
  ])("workers %j split as %j", (spots, split) => expect(workerSplit(spots.map((spot) => ({ spot })))).toEqual(split));

  it("components per application and image version; SSH user per image; idle TTL within Dataproc's range", () => {
    expect(imageVersion("2.2-debian12")).toEqual([2, 2]);
    expect(dataprocComponents(["spark", "hadoop", "hive", "jupyter", "presto"], "2.1-ubuntu20")).toEqual(["HIVE_WEBHCAT", "JUPYTER", "TRINO"]);
    expect(dataprocComponents(["presto", "presto"], "1.5-debian10")).toEqual(["PRESTO"]);
    expect(dataprocUser("2.2-rocky9")).toBe("rocky");
    expect(dataprocUser("2.2-debian12")).toBe("debian");
    expect([idleStopTtl(5), idleStopTtl(90), idleStopTtl(10080)]).toEqual(["600s", "5400s", "604800s"]);
  });

  it("Filestore capacity: 1 TiB at least, Basic HDD's maximum at most; names from self links", () => {
    expect([filestoreCapacityGb(100), filestoreCapacityGb(2048), filestoreCapacityGb(100000)]).toEqual([1024, 2048, 65434]);
    expect(lastSegment("projects/p/global/networks/labs")).toBe("labs");
    expect(lastSegment("labs")).toBe("labs");
  });
});
