/**
 * Test layer 2: components compiled under Pulumi's mocks (pulumi.runtime.setMocks).
 * The AWS adapter for the kinds made of several machines: VirtualLab (target reachable only from
 * the proxy's group), HPCCluster (EFS, Slurm, munge key as a secret) and EMRCluster (aws.emr.Cluster
 * with its roles, applications, instance groups and idle timeout, behind a proxy instance; or,
 * with spec.managed: false, Spark on instances). Layer 2: components under Pulumi's mock runtime.
 */
import { describe, expect, it } from "vitest";
import { ACCESS, compile, compileExample, ingress, inline, T, type Inputs } from "./helpers.js";

const id = (session: string, suffix: string) => `${session}-${suffix}-id`;
const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("VirtualLab", () => {
  it("virtual-lab.yaml: the target is reachable on VNC from the proxy's group only, and has no public address", async () => {
    const { plan, counts, named } = await compileExample("virtual-lab.yaml");
    expect(counts()).toEqual({ provider: 1, vpc: 1, subnet: 2, igw: 1, nat: 1, eip: 1, routes: 2, sg: 2, key: 1, instance: 2, state: 2, alarm: 2 });
    expect(ingress(named(T.sg, "sg-target"))).toEqual([
      { protocol: "tcp", fromPort: 5901, toPort: 5901, securityGroups: [id(plan.session, "sg-proxy")], description: "vnc from the gateway only" },
    ]);
    expect(ingress(named(T.sg, "sg-proxy")).map((r) => [r.fromPort, r.cidrBlocks])).toEqual([
      [443, ["203.0.113.0/24"]],
      [22, ["203.0.113.0/24"]],
    ]);
    expect(named(T.instance, "target")).toMatchObject({
      associatePublicIpAddress: false,
      subnetId: id(plan.session, "subnet-private"),
      vpcSecurityGroupIds: [id(plan.session, "sg-target")],
    });
    expect(named(T.instance, "proxy")).toMatchObject({
      associatePublicIpAddress: true,
      subnetId: id(plan.session, "subnet-public"),
      vpcSecurityGroupIds: [id(plan.session, "sg-proxy")],
    });
  });

  it("virtual-lab.yaml: the gateway reaches the target's address with the session's secret password", async () => {
    const { plan, userData, machines, outputs, of } = await compileExample("virtual-lab.yaml");
    expect(of("random:index/randomPassword:RandomPassword").map((r) => r.name)).toEqual([`${plan.session}-gateway-password`]);
    const target = machines.find((m) => m.name === "target")!;
    const proxy = userData("proxy");
    expect(proxy).toContain(`<param name="hostname">${target.privateIp}</param>`);
    expect(proxy).toContain(`password="mock-secret-${plan.session}-gateway-password"`);
    expect(proxy).toContain("guacamole/guacamole:1.5.5");
    expect(userData("target")).toContain(`password: mock-secret-${plan.session}-gateway-password`);
    expect(outputs).toMatchObject({ gatewayUrl: `https://${machines.find((m) => m.name === "proxy")!.publicIp}/guacamole/`, protocol: "vnc" });
  });

  it("an RDP lab to Windows: the target allows 3389 from the proxy only and boots with the admin password", async () => {
    const f = inline("VirtualLab", "  target: { protocol: rdp, machine: { size: medium, image: windows-2022 } }\n", ACCESS);
    const { plan, named, userData } = await compile(f);
    expect(ingress(named(T.sg, "sg-target"))).toEqual([
      { protocol: "tcp", fromPort: 3389, toPort: 3389, securityGroups: [id(plan.session, "sg-proxy")], description: "rdp from the gateway only" },
    ]);
    expect(userData("target")).toContain(`mock-secret-${plan.session}-admin-password`);
    expect(userData("proxy")).toContain(`<param name="username">Administrator</param>`);
  });
});

describe("HPCCluster", () => {
  it("hpc.yaml: head + 8 compute nodes, EFS with one mount target, a self-referencing session group", async () => {
    const { plan, counts, named } = await compileExample("hpc.yaml");
    expect(counts()).toEqual({
      provider: 1,
      vpc: 1,
      subnet: 2,
      igw: 1,
      nat: 1,
      eip: 1,
      routes: 2,
      sg: 4,
      key: 1,
      instance: 9,
      state: 9,
      alarm: 1,
      efs: 1,
      mount: 1,
    });
    expect(named(T.efs, "shared")).toMatchObject({ encrypted: true, throughputMode: "elastic" });
    expect(named(T.mount, "shared-mount")).toEqual({
      fileSystemId: id(plan.session, "shared"),
      subnetId: id(plan.session, "subnet-private"),
      securityGroups: [id(plan.session, "sg-shared")],
    });
    // NFS from the session's machines only; the mount target opens nothing outbound.
    const shared = named(T.sg, "sg-shared");
    expect(ingress(shared)).toEqual([
      { protocol: "tcp", fromPort: 2049, toPort: 2049, securityGroups: [id(plan.session, "sg-session")], description: "NFS from the session" },
    ]);
    expect(shared.egress).toEqual([]);
    expect(ingress(named(T.sg, "sg-session"))).toEqual([{ protocol: "-1", fromPort: 0, toPort: 0, self: true, description: "session members to each other" }]);
    expect(ingress(named(T.sg, "sg-compute"))).toEqual([]);
    expect(ingress(named(T.sg, "sg-head"))).toEqual([
      { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["198.51.100.0/24"], description: "ssh from access.allowFrom" },
    ]);
    expect(named(T.instance, "head").vpcSecurityGroupIds).toEqual([id(plan.session, "sg-head"), id(plan.session, "sg-session")]);
    for (let n = 1; n <= 8; n++) {
      const c = named(T.instance, `compute-${n}`);
      expect(c.vpcSecurityGroupIds).toEqual([id(plan.session, "sg-compute"), id(plan.session, "sg-session")]);
      // spotInterruption: terminate → one-time requests, which cannot be stopped: no idle alarm.
      expect(c.instanceMarketOptions).toEqual({ marketType: "spot", spotOptions: { instanceInterruptionBehavior: "terminate", spotInstanceType: "one-time" } });
      expect(c.associatePublicIpAddress).toBe(false);
      expect(c.hibernation).toBeUndefined();
    }
    expect(named(T.alarm, "head-idle-stop").alarmActions).toEqual(["arn:aws:automate:eu-west-1:ec2:stop"]);
  });

  it("hpc.yaml: Slurm and munge by cloud-init; the munge key is a secret and EFS is mounted everywhere", async () => {
    const { plan, userData, machines, of } = await compileExample("hpc.yaml");
    expect(of("random:index/randomBytes:RandomBytes").map((r) => [r.name, r.inputs.length])).toEqual([[`${plan.session}-munge-key`, 128]]);
    const munge = b64(`mock-secret-${plan.session}-munge-key`);
    const head = userData("head");
    expect(head).toContain("dnf install -y munge slurm slurm-slurmctld");
    expect(head).toContain("NodeName=compute-[1-8] CPUs=16 RealMemory=29491 State=CLOUD");
    expect(head).toContain(`content: ${munge}`);
    expect(head).toContain(`${plan.session}-shared.mock.internal:/ /shared nfs4`);
    const headIp = machines.find((m) => m.name === "head")!.privateIp;
    for (const name of ["compute-1", "compute-8"]) {
      const data = userData(name);
      expect(data).toContain("dnf install -y munge slurm slurm-slurmd");
      expect(data).toContain(`SlurmctldHost=head(${headIp})`);
      expect(data).toContain(`content: ${munge}`);
      expect(data).toContain(`${plan.session}-shared.mock.internal:/ /shared nfs4`);
    }
  });

  it("a compute node kept stopped by the session has InstanceState 'stopped'", async () => {
    const f = inline("HPCCluster", "  headNode: { machine: { size: small } }\n  computeNodes: { count: 3, machine: { size: medium } }\n");
    const { named, outputs } = await compile(f, { desired: { "compute-2": "stopped" } });
    expect(named(T.state, "compute-2-state").state).toBe("stopped");
    expect(named(T.state, "compute-1-state").state).toBe("running");
    expect(named(T.state, "head-state").state).toBe("running");
    expect(outputs).toMatchObject({ scheduler: "slurm", mountPath: "/shared", computeNodes: 3 });
  });
});

describe("EMRCluster", () => {
  it("emr.yaml: aws.emr.Cluster with the release, EMR's application names, instance groups and idle timeout", async () => {
    const { plan, counts, named } = await compileExample("emr.yaml");
    expect(counts()).toEqual({
      provider: 1,
      vpc: 1,
      subnet: 2,
      igw: 1,
      nat: 1,
      eip: 1,
      routes: 2,
      sg: 5,
      sgRule: 9,
      key: 1,
      instance: 1,
      state: 1,
      alarm: 1,
      emr: 1,
      role: 2,
      attach: 2,
      rolePolicy: 1,
      profile: 1,
    });
    const c = named(T.emr, "emr");
    expect(c).toMatchObject({
      name: plan.session,
      releaseLabel: "emr-7.2.0",
      applications: ["Spark", "Hadoop", "JupyterHub"],
      keepJobFlowAliveWhenNoSteps: true,
    });
    // autoStop: 120 minutes → EMR's idle timeout in seconds.
    expect(c.autoTerminationPolicy).toEqual({ idleTimeout: 7200 });
    expect(c.masterInstanceGroup).toEqual({ instanceType: "m5.xlarge", instanceCount: 1, ebsConfigs: [{ size: 64, type: "gp3", volumesPerInstance: 1 }] });
    expect(c.coreInstanceGroup).toEqual({
      instanceType: "m5.xlarge",
      instanceCount: 4,
      ebsConfigs: [{ size: 128, type: "gp3", volumesPerInstance: 1 }],
      bidPrice: "0.214",
    });
    expect(c.ec2Attributes).toMatchObject({
      subnetId: id(plan.session, "subnet-private"),
      instanceProfile: `arn:mock:${T.profile}:${plan.session}-emr-ec2-profile`,
      emrManagedMasterSecurityGroup: id(plan.session, "sg-emr-master"),
      emrManagedSlaveSecurityGroup: id(plan.session, "sg-emr-core"),
      serviceAccessSecurityGroup: id(plan.session, "sg-emr-service"),
      additionalMasterSecurityGroups: id(plan.session, "sg-session"),
      additionalSlaveSecurityGroups: id(plan.session, "sg-session"),
    });
    expect(c.serviceRole).toBe(`arn:mock:${T.role}:${plan.session}-emr-service`);
  });

  it("emr.yaml: roles with AWS-managed policies, EMR's tag on its subnets and groups, no rule from the internet", async () => {
    const { plan, of, named, rec } = await compileExample("emr.yaml");
    const principal = (r: Inputs) => JSON.parse(String(r.assumeRolePolicy)).Statement[0].Principal.Service;
    expect(principal(named(T.role, "emr-service"))).toBe("elasticmapreduce.amazonaws.com");
    expect(principal(named(T.role, "emr-ec2"))).toBe("ec2.amazonaws.com");
    expect(
      of(T.attach)
        .map((a) => a.inputs.policyArn)
        .sort(),
    ).toEqual(["arn:aws:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2", "arn:aws:iam::aws:policy/service-role/AmazonElasticMapReduceforEC2Role"]);
    expect(JSON.parse(String(named(T.rolePolicy, "emr-pass-role").policy)).Statement[0]).toEqual({
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: `arn:mock:${T.role}:${plan.session}-emr-ec2`,
    });
    for (const suffix of ["subnet-private", "sg-session", "sg-emr-master", "sg-emr-core", "sg-emr-service"]) {
      const r = rec.resources.find((x) => x.name === `${plan.session}-${suffix}`)!;
      expect((r.inputs.tags as Record<string, string>)["for-use-with-amazon-emr-managed-policies"], suffix).toBe("true");
    }
    for (const rule of of(T.sgRule)) {
      expect(rule.inputs.cidrBlocks, rule.name).toBeUndefined();
      expect(rule.inputs.sourceSecurityGroupId ?? rule.inputs.self, rule.name).toBeTruthy();
    }
    expect(named(T.sgRule, "emr-service-from-master")).toMatchObject({
      type: "ingress",
      protocol: "tcp",
      fromPort: 9443,
      securityGroupId: id(plan.session, "sg-emr-service"),
      sourceSecurityGroupId: id(plan.session, "sg-emr-master"),
    });
  });

  it("emr.yaml: the proxy is the only instance, in front of the master's JupyterHub, and the cluster id is an output", async () => {
    const { plan, named, userData, machines, outputs } = await compileExample("emr.yaml");
    expect(machines.map((m) => m.name)).toEqual(["proxy"]);
    expect(named(T.instance, "proxy").vpcSecurityGroupIds).toEqual([id(plan.session, "sg-proxy"), id(plan.session, "sg-session")]);
    expect(userData("proxy")).toContain(`proxy_pass https://${plan.session}-emr-master.mock.internal:9443;`);
    expect(outputs).toMatchObject({ clusterId: id(plan.session, "emr"), managed: true, release: "emr-7.2.0", applications: ["spark", "hadoop", "jupyter"] });
  });

  it("without autoStop the cluster has no idle timeout; on-demand workers have no bid", async () => {
    const f = inline(
      "EMRCluster",
      "  applications: [spark, hive, presto]\n  master: { machine: { size: medium } }\n  workers: { count: 2, machine: { size: medium } }\n",
    );
    const { named } = await compile(f);
    const c = named(T.emr, "emr");
    expect(c.autoTerminationPolicy).toBeUndefined();
    expect(c.applications).toEqual(["Spark", "Hive", "Presto"]);
    expect(c.releaseLabel).toBe("emr-7.5.0");
    expect((c.coreInstanceGroup as Inputs).bidPrice).toBeUndefined();
    expect((c.ec2Attributes as Inputs).keyName).toBeUndefined();
  });

  it("spec.managed: false: no EMR, Spark installed on a master and workers that are instances of the session", async () => {
    const f = inline("EMRCluster", "  managed: false\n  master: { machine: { size: medium } }\n  workers: { count: 2, machine: { size: medium } }\n");
    const { plan, of, machines, userData, outputs } = await compile(f);
    expect(of(T.emr)).toEqual([]);
    expect(machines.map((m) => m.name)).toEqual(["proxy", "master", "worker-1", "worker-2"]);
    expect(userData("master")).toContain("spark-master");
    expect(userData("worker-1")).toContain(`spark://${machines.find((m) => m.name === "master")!.privateIp}:7077`);
    expect(outputs).toMatchObject({ managed: false, release: "spark-3.5.3" });
    expect(plan.machines.some((m) => m.managedBy)).toBe(false);
  });
});
