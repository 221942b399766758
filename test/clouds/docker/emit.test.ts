/**
 * Test layer 2: components compiled under Pulumi's mocks (pulumi.runtime.setMocks).
 * The Docker adapter under Pulumi's mock runtime: every kind on the docker provider, compiled by
 * the real components and recorded by recordProgram. Asserts types, counts, parents, names,
 * labels, aliases, limits, images, volumes, secrets, ports, power state and outputs; never a
 * whole-object snapshot.
 */
import { describe, expect, it } from "vitest";
import type { Formation } from "../../../format/types.js";
import type { PlanOptions } from "../../../plan/index.js";
import { isSecretValue, redact, unwrapSecrets, type RecordedResource } from "../../../components/offline.js";
import { compile as compileFormation, examples as examplesOf, expectOneComponent, inlineFormation, visible } from "../../helpers/compile.js";

const CONTAINER = "docker:index/container:Container";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const VOLUME = "docker:index/volume:Volume";
const NETWORK = "docker:index/network:Network";
const PROVIDER = "pulumi:providers:docker";

type Label = { label: string; value: string };

/** The harness's compile, plus a machine's container by machine name. */
async function compile(f: Formation, opts: PlanOptions = {}) {
  const c = await compileFormation(f, opts);
  const container = (machine: string) => c.named(CONTAINER, machine);
  return { ...c, container };
}

const { names: examples, example, compileExample } = examplesOf("docker", compile);
const inline = (kind: string, spec: string, extra = "") => inlineFormation("docker", kind, spec, extra);
const labelsOf = (inputs: Record<string, unknown>) => Object.fromEntries((inputs.labels as Label[]).map((l) => [l.label, l.value]));

describe("every docker example", () => {
  it("covers the six kinds", () => expect(examples).toHaveLength(6));

  it.each(examples)("%s: engine, network, one labelled container per machine, all children of the component", async (name) => {
    const { plan, rec, of } = await compileExample(name);
    expectOneComponent({ plan, rec }, "docker:", PROVIDER);
    const net = of(NETWORK).find((r) => r.inputs.name === `${plan.session}-net`);
    const edge = of(NETWORK).find((r) => r.inputs.name === `${plan.session}-edge`);
    // Behind a proxy (VirtualLab, EMRCluster): a private session network and an edge network for the proxy.
    const proxied = plan.machines.some((m) => m.role === "proxy");
    expect(of(NETWORK)).toHaveLength(proxied ? 2 : 1);
    expect(net?.inputs).toMatchObject({ name: `${plan.session}-net`, driver: "bridge" });
    expect(labelsOf(net!.inputs)).toEqual(plan.labels);
    if (proxied) {
      expect(net?.inputs).toMatchObject({ internal: true, options: { "com.docker.network.bridge.inhibit_ipv4": "true" } });
      expect(edge?.inputs).toMatchObject({ name: `${plan.session}-edge`, driver: "bridge", internal: false });
      expect(labelsOf(edge!.inputs)).toEqual(plan.labels);
    }

    const sidecars = plan.kind === "VirtualLab" ? 1 : 0;
    expect(of(CONTAINER)).toHaveLength(plan.machines.length + sidecars);
    for (const m of plan.machines) {
      const c = of(CONTAINER).find((r) => r.name === `${plan.session}-${m.name}`)!.inputs;
      expect(c.name).toBe(`${plan.session}-${m.name}`);
      expect(labelsOf(c)).toEqual({ ...plan.labels, "formations-role": m.role, "formations-machine": m.name });
      const edgeToo = m.role === "proxy" ? [{ name: `${plan.session}-edge`, aliases: [m.name] }] : [];
      expect(c.networksAdvanced).toEqual([{ name: `${plan.session}-net`, aliases: [m.name] }, ...edgeToo]);
      expect(c.restart).toBe("unless-stopped");
      expect(c).toMatchObject({ mustRun: true, start: true });
      expect((c.capabilities as { drops: string[] }).drops).toEqual(["ALL"]);
      expect(c.privileged).toBeUndefined();
    }
    // One pulled image per distinct image, kept on the engine when the session goes.
    const images = of(IMAGE);
    const used = new Set(of(CONTAINER).map((r) => r.inputs.image));
    expect(new Set(images.map((r) => r.inputs.name))).toEqual(used);
    expect(images).toHaveLength(used.size);
    for (const i of images) expect(i.inputs.keepLocally).toBe(true);
    // Nothing of another cloud.
    expect(
      rec.resources.every((r) => r.type.startsWith("docker:") || r.type.startsWith("formations:") || r.type.startsWith("random:") || r.type === PROVIDER),
    ).toBe(true);
  });

  it.each(examples)("%s: no secret in the clear in any input or output", async (name) => {
    const { rec } = await compileExample(name);
    const everything = JSON.stringify([rec.resources.map((r) => redact(r.inputs)), [...rec.outputs.values()].map(redact)]);
    expect(everything).not.toContain("mock-secret-");
    expect(everything).not.toContain(Buffer.from("mock-secret-").toString("base64").slice(0, 12));
  });

  it.each(examples)("%s: outputs name every machine with its container id, address and docker exec", async (name) => {
    const { plan, outputs, machines } = await compileExample(name);
    expect(outputs).toMatchObject({ session: plan.session, kind: plan.kind, provider: "docker" });
    expect(machines.map((m) => m.name)).toEqual(plan.machines.map((m) => m.name));
    for (const m of machines) {
      expect(m.cloudId).toBe(`${plan.session}-${m.name}-id`);
      expect(m.privateIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(m.user).toBe("root");
      const cli = plan.dockerHost ? `docker -H ${plan.dockerHost}` : "docker";
      if (m.role === "proxy") expect(m.connect).toMatch(/^http:\/\//);
      else expect(m.connect).toBe(`${cli} exec -it ${plan.session}-${m.name} /bin/bash`);
    }
  });
});

describe("Machine and Pool", () => {
  it("a machine runs its alias's image, kept alive, with the size's limits and nothing published", async () => {
    const { of, container, plan } = await compileExample("machine.yaml");
    expect(of(CONTAINER)).toHaveLength(1);
    expect(rec(of)).toEqual({ [PROVIDER]: 1, [NETWORK]: 1, [IMAGE]: 1, [CONTAINER]: 1 });
    const c = container("machine");
    expect(c).toMatchObject({ image: "ubuntu:24.04", command: ["sleep", "infinity"], init: true, cpus: "2.0", memory: 2048, hostname: "machine" });
    // Spelled as Docker reads them back (the real engine showed any other spelling replacing the
    // container at the next up): CAP_-prefixed capabilities, swap set to the memory limit.
    expect(c).toMatchObject({
      capabilities: { drops: ["ALL"], adds: ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID"] },
      memorySwap: 2048,
    });
    expect(c.ports).toBeUndefined();
    // allowFrom opens only ssh, and these containers are reached with docker exec: stay internal.
    expect(plan.allowFrom.length).toBeGreaterThan(0);
    expect(of(NETWORK)[0]?.inputs.internal).toBe(true);
  });

  it("a pool is count containers on the formation's remote engine, one image pulled once", async () => {
    const { of, container, plan } = await compileExample("pool.yaml");
    expect(of(CONTAINER)).toHaveLength(15);
    expect(of(IMAGE)).toHaveLength(1);
    expect(of(PROVIDER)[0]?.inputs.host).toBe("ssh://labadmin@teaching-docker.example.org");
    expect(container("machine-15")).toMatchObject({ image: "ubuntu:22.04", cpus: "1.0", memory: 1024 });
    expect(labelsOf(container("machine-7"))["formations-machine"]).toBe("machine-7");
    expect(plan.machines.every((m) => m.role === "member")).toBe(true);
  });

  it("extra ports are published only with allowFrom: the machine keeps its number, pool members get the engine's", async () => {
    const closed = await compile(inline("Machine", "  machine: { size: small }\n  ports: [8080]\n"));
    expect(closed.container("machine").ports).toBeUndefined();
    expect(closed.of(NETWORK)[0]?.inputs.internal).toBe(true);
    // A narrow range cannot be enforced by Docker: the port stays on loopback, and the plan says so (issue 12).
    const narrow = await compile(inline("Machine", "  machine: { size: small }\n  ports: [8080]\n", "access: { allowFrom: [203.0.113.0/24] }\n"));
    expect(narrow.container("machine").ports).toEqual([{ internal: 8080, external: 8080, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(narrow.of(NETWORK)[0]?.inputs.internal).toBe(false);
    expect(narrow.plan.notes).toContain(
      "access.allowFrom (203.0.113.0/24) cannot be enforced by Docker, which does not filter published ports by source address: they listen on 127.0.0.1 of the engine's host only (reach them through an SSH tunnel). To publish them on every address of the host, add 0.0.0.0/0 to allowFrom and filter in the host's firewall (the DOCKER-USER iptables chain)",
    );
    // Everyone: the one opening Docker can do, said in the plan too.
    const open = await compile(inline("Machine", "  machine: { size: small }\n  ports: [8080]\n", "access: { allowFrom: [0.0.0.0/0] }\n"));
    expect(open.container("machine").ports).toEqual([{ internal: 8080, external: 8080, ip: "0.0.0.0", protocol: "tcp" }]);
    expect(open.plan.notes.some((n) => n.startsWith("access.allowFrom (0.0.0.0/0) lets everyone in"))).toBe(true);
    const pool = await compile(inline("Pool", "  count: 2\n  machine: { size: small }\n  ports: [8080]\n", "access: { allowFrom: [0.0.0.0/0] }\n"));
    expect(pool.container("machine-2").ports).toEqual([{ internal: 8080, ip: "0.0.0.0", protocol: "tcp" }]);
  });

  it("GPUs become an NVIDIA device request on the machine's container", async () => {
    const { container } = await compile(inline("Machine", "  machine: { size: large, gpus: { count: 2, type: nvidia-t4 } }\n"));
    expect(container("machine").deviceRequests).toEqual([{ driver: "nvidia", count: 2, capabilities: ["gpu"] }]);
    expect(container("machine")).toMatchObject({ cpus: "4.0", memory: 8192 });
  });

  it("an image that is not an alias is used as is, and gets sh when it is Alpine", async () => {
    const { container, machines } = await compile(inline("Pool", "  count: 2\n  machine: { size: medium, image: alpine:3.20 }\n"));
    expect(container("machine-1")).toMatchObject({ image: "alpine:3.20", command: ["sleep", "infinity"], cpus: "2.0", memory: 4096 });
    expect(machines[0]?.connect).toBe("docker exec -it t-pool-machine-1 /bin/sh");
  });
});

/** Resource counts by type (component and random secrets left out). */
function rec(of: (type: string) => RecordedResource[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of [PROVIDER, NETWORK, IMAGE, VOLUME, CONTAINER]) if (of(t).length > 0) out[t] = of(t).length;
  return out;
}

describe("Docker kind", () => {
  it("runs the planned container with its env, named volume, limits and published ports", async () => {
    const { of, container, outputs } = await compileExample("docker.yaml");
    expect(rec(of)).toEqual({ [PROVIDER]: 1, [NETWORK]: 1, [IMAGE]: 1, [VOLUME]: 1, [CONTAINER]: 1 });
    const c = container("container");
    expect(c).toMatchObject({ image: "jupyter/scipy-notebook:2024-05-27", cpus: "2.0", memory: 4096, envs: ["TZ=Europe/Amsterdam", "JUPYTER_PORT=8888"] });
    expect(c.command).toBeUndefined();
    const [volume] = of(VOLUME);
    expect(volume?.name).toBe("jupyter-scipy-volume-ds101-notebooks");
    expect(labelsOf(volume!.inputs)["formations-session"]).toBe("jupyter-scipy");
    expect(c.volumes).toEqual([{ volumeName: "jupyter-scipy-volume-ds101-notebooks", containerPath: "/home/jovyan/work", readOnly: false }]);
    // allowFrom names a range Docker cannot filter by: bound to loopback only (see ports.ts).
    expect(c.ports).toEqual([{ internal: 8888, external: 8888, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(outputs.image).toBe("jupyter/scipy-notebook:2024-05-27");
  });

  it("without allowFrom ports bind to 127.0.0.1; host paths and commands pass through", async () => {
    const f = inline(
      "Docker",
      "  container:\n    image: nginx:1.27\n    command: [nginx, -g, 'daemon off;']\n    ports: [{ container: 80, host: 8081 }, { container: 53, protocol: udp }]\n    volumes: [{ hostPath: /srv/site, mountPath: /usr/share/nginx/html, readOnly: true }]\n    memoryMb: 256\n",
    );
    const { container, of } = await compile(f);
    const c = container("container");
    expect(c.ports).toEqual([
      { internal: 80, external: 8081, ip: "127.0.0.1", protocol: "tcp" },
      { internal: 53, external: 53, ip: "127.0.0.1", protocol: "udp" },
    ]);
    expect(c.command).toEqual(["nginx", "-g", "daemon off;"]);
    expect(c.volumes).toEqual([{ hostPath: "/srv/site", containerPath: "/usr/share/nginx/html", readOnly: true }]);
    // memoryMb from the container, cpus from the host block's default size (small).
    expect(c).toMatchObject({ memory: 256, cpus: "1.0" });
    expect(of(VOLUME)).toHaveLength(0);
  });
});

describe("HPCCluster", () => {
  it("head and compute run the Slurm image with our entrypoint, the shared volume on every node", async () => {
    const { of, container, outputs, plan } = await compileExample("hpc.yaml");
    expect(rec(of)).toEqual({ [PROVIDER]: 1, [NETWORK]: 1, [IMAGE]: 1, [VOLUME]: 1, [CONTAINER]: 5 });
    const [volume] = of(VOLUME);
    expect(volume?.inputs.name).toBe("slurm-training-shared");
    for (const m of plan.machines) {
      const c = container(m.name);
      expect(c.image).toBe("giovtorres/slurm-docker-cluster:latest");
      expect(c.volumes).toEqual([{ volumeName: "slurm-training-shared", containerPath: "/shared", readOnly: false }]);
      expect(c.entrypoints).toEqual(["/bin/bash", "/etc/formations/slurm-start.sh"]);
      expect(c.command).toEqual([m.role === "head" ? "slurmctld" : "slurmd"]);
      expect(c.hostname).toBe(m.name);
    }
    expect(container("head")).toMatchObject({ cpus: "1.0", memory: 2048 });
    expect(container("compute-4")).toMatchObject({ cpus: "2.0", memory: 2048 });
    expect(of(NETWORK)[0]?.inputs.internal).toBe(true);
    expect(outputs).toMatchObject({ scheduler: "slurm", computeNodes: 4, mountPath: "/shared" });
    expect(outputs.headAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it("the munge key is a secret upload on every node, never plain; slurm.conf lists the nodes", async () => {
    const { rec: r, container, plan } = await compileExample("hpc.yaml");
    const key = Buffer.from("mock-secret-slurm-training-munge-key").toString("base64");
    for (const m of plan.machines) {
      const uploads = container(m.name).uploads;
      expect(isSecretValue(uploads)).toBe(true);
      const files = unwrapSecrets(uploads) as { file: string; content?: string; contentBase64?: string }[];
      expect(files.find((f) => f.file === "/etc/formations/munge.key")?.contentBase64).toBe(key);
      expect(files.find((f) => f.file === "/etc/formations/slurm.conf")?.content).toContain("NodeName=compute-[1-4] CPUs=2 RealMemory=1843");
    }
    for (const res of r.resources) expect(visible(res)).not.toContain(key);
  });

  it("a machine kept stopped by the session is created stopped and not restarted by up", async () => {
    const { container } = await compile(await example("hpc.yaml"), { desired: { "compute-2": "stopped", "compute-3": "hibernated" } });
    expect(container("compute-2")).toMatchObject({ mustRun: false, start: false });
    expect(container("compute-1")).toMatchObject({ mustRun: true, start: true });
    // Hibernated = docker pause (an action); a paused container counts as running, so up keeps it.
    expect(container("compute-3")).toMatchObject({ mustRun: true, start: true });
  });

  it("an image override is used for its role only; the other role keeps the default", async () => {
    const f = inline(
      "HPCCluster",
      "  scheduler: slurm\n  headNode: { machine: { size: small, image: myorg/slurm:24.05 } }\n  computeNodes: { count: 2, machine: { size: small } }\n",
    );
    const { of, container } = await compile(f);
    expect(container("head").image).toBe("myorg/slurm:24.05");
    expect(container("compute-2").image).toBe("giovtorres/slurm-docker-cluster:latest");
    expect(
      of(IMAGE)
        .map((i) => i.inputs.name)
        .sort(),
    ).toEqual(["giovtorres/slurm-docker-cluster:latest", "myorg/slurm:24.05"]);
  });
});

describe("EMRCluster", () => {
  it("self-managed Spark: master and workers on apache/spark, the proxy in front, no managed service", async () => {
    const { of, container, outputs, machines } = await compileExample("emr.yaml");
    expect(rec(of)).toEqual({ [PROVIDER]: 1, [NETWORK]: 2, [IMAGE]: 2, [CONTAINER]: 5 });
    expect(of(PROVIDER)[0]?.inputs.host).toBe("tcp://spark-lab.example.org:2376");
    expect(container("master")).toMatchObject({ image: "apache/spark:3.5.3", cpus: "2.0", memory: 4096 });
    expect(container("master").command).toEqual(expect.arrayContaining(["org.apache.spark.deploy.master.Master", "--host", "master"]));
    for (const w of ["worker-1", "worker-2", "worker-3"]) {
      const c = container(w);
      expect(c.image).toBe("apache/spark:3.5.3");
      expect(c.envs).toEqual(["SPARK_MASTER_URL=spark://master:7077"]);
      expect(c.command).toEqual(expect.arrayContaining(["org.apache.spark.deploy.worker.Worker", "spark://master:7077"]));
    }
    const proxy = container("proxy");
    // allowFrom names a range Docker cannot filter by: the remote engine's loopback only.
    expect(proxy).toMatchObject({ image: "nginx:1.27-alpine", ports: [{ internal: 8080, ip: "127.0.0.1", protocol: "tcp" }] });
    expect(outputs).toMatchObject({ managed: false, applications: ["spark", "jupyter"] });
    expect(outputs.clusterId).toBeUndefined();
    expect(machines.find((m) => m.name === "proxy")?.connect).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });

  it("a remote engine bound to every address (allowFrom 0.0.0.0/0): the URL names the engine's host", async () => {
    const spec = "  applications: [spark]\n  master: { machine: { size: medium } }\n  workers: { count: 1, machine: { size: medium } }\n";
    const { container, machines } = await compile(
      inlineFormation("docker", "EMRCluster", spec, "access: { allowFrom: [0.0.0.0/0] }\n", ", host: tcp://spark-lab.example.org:2376"),
    );
    expect(container("proxy").ports).toEqual([{ internal: 8080, ip: "0.0.0.0", protocol: "tcp" }]);
    expect(machines.find((m) => m.name === "proxy")?.connect).toMatch(/^http:\/\/spark-lab\.example\.org:/);
  });
});

describe("VirtualLab", () => {
  it("Guacamole with a guacd sidecar and the target desktop; the password only as a secret", async () => {
    const { of, container, outputs, plan } = await compileExample("virtual-lab.yaml");
    expect(rec(of)).toEqual({ [PROVIDER]: 1, [NETWORK]: 2, [IMAGE]: 3, [CONTAINER]: 3 });
    const guacd = container("guacd");
    expect(guacd.image).toBe("guacamole/guacd:1.5.5");
    expect(guacd.networksAdvanced).toEqual([{ name: `${plan.session}-net`, aliases: ["guacd"] }]);
    expect(labelsOf(guacd)).toMatchObject({ "formations-machine": "proxy", "formations-sidecar": "guacd", "formations-session": plan.session });
    const proxy = container("proxy");
    expect(proxy.networksAdvanced).toEqual([
      { name: `${plan.session}-net`, aliases: ["proxy"] },
      { name: `${plan.session}-edge`, aliases: ["proxy"] },
    ]);
    expect(container("target").networksAdvanced).toEqual([{ name: `${plan.session}-net`, aliases: ["target"] }]);
    expect(proxy.image).toBe("guacamole/guacamole:1.5.5");
    expect(proxy.ports).toEqual([{ internal: 8080, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(isSecretValue(proxy.envs)).toBe(true);
    const env = unwrapSecrets(proxy.envs) as string[];
    expect(env).toEqual(expect.arrayContaining(["GUACD_HOSTNAME=guacd", "GATEWAY_PASSWORD=mock-secret-git-workshop-terminal-gateway-password"]));
    const mapping = (proxy.uploads as { file: string; content: string }[])[0]!;
    expect(mapping.content).toContain("<protocol>ssh</protocol>");
    expect(mapping.content).toContain('<param name="hostname">target</param>');
    expect(mapping.content).not.toContain("mock-secret");
    const target = container("target");
    expect(target.image).toBe("lscr.io/linuxserver/openssh-server:latest");
    expect(target.ports).toBeUndefined();
    expect(unwrapSecrets(target.envs)).toEqual(expect.arrayContaining(["USER_PASSWORD=mock-secret-git-workshop-terminal-gateway-password"]));
    expect(outputs.gatewayUrl).toMatch(/^http:\/\/127\.0\.0\.1:.*\/guacamole\/$/);
    expect(outputs.protocol).toBe("ssh");
  });

  it.each([
    ["rdp", "lscr.io/linuxserver/rdesktop:latest"],
    ["vnc", "consol/debian-xfce-vnc:latest"],
  ])("a %s lab runs %s, and binds the gateway to 127.0.0.1 without allowFrom", async (protocol, image) => {
    const { container } = await compile(inline("VirtualLab", `  target: { protocol: ${protocol}, machine: { size: medium } }\n`));
    expect(container("target").image).toBe(image);
    expect(container("proxy").ports).toEqual([{ internal: 8080, ip: "127.0.0.1", protocol: "tcp" }]);
    const mapping = (container("proxy").uploads as { content: string }[])[0]!.content;
    expect(mapping).toContain(`<protocol>${protocol}</protocol>`);
  });

  it.each([
    ["rdp", "root", "root"],
    ["ssh", "root", "root"],
    ["vnc", "the image's own user", undefined],
  ])("a %s target runs as %s", async (protocol, _what, user) => {
    const { container } = await compile(inline("VirtualLab", `  target: { protocol: ${protocol}, machine: { size: medium } }\n`));
    expect(container("target").user).toBe(user);
    expect(container("proxy").user).toBeUndefined();
  });

  it("a gateway image that is not guacamole/guacamole runs as the guacd sidecar too", async () => {
    const spec = `  target: { protocol: vnc, machine: { size: small, image: "formations-local/desktop:1" } }\n  proxy: { machine: { size: small, image: "formations-local/guacamole:1" } }\n`;
    const { container } = await compile(inline("VirtualLab", spec));
    expect(container("proxy").image).toBe("formations-local/guacamole:1");
    expect(container("guacd").image).toBe("formations-local/guacamole:1");
    expect(container("guacd").command).toBeUndefined();
    expect(container("target").image).toBe("formations-local/desktop:1");
  });

  it("an override of guacamole/guacamole takes guacd of the same release", async () => {
    const { container } = await compile(
      inline(
        "VirtualLab",
        `  target: { protocol: rdp, machine: { size: small } }\n  proxy: { machine: { size: small, image: "guacamole/guacamole:1.5.4" } }\n`,
      ),
    );
    expect(container("guacd").image).toBe("guacamole/guacd:1.5.4");
  });
});
