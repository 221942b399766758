/**
 * Test layer 2: components compiled under Pulumi's mocks (pulumi.runtime.setMocks).
 * The AWS adapter, kind by kind: the resources each kind needs on AWS and the inputs that make
 * them right (rules, spot and hibernation, EFS, EMR, alarms, power state, secrets), from the
 * examples and small inline formations.
 */
import { describe, expect, it } from "vitest";
import { loadFormationText } from "../../../format/load.js";
import { redact } from "../../../components/offline.js";
import { ACCESS, compile, compileExample, ingress, inline, T } from "./helpers.js";

const sessionId = (session: string, suffix: string) => `${session}-${suffix}-id`;

describe("Machine", () => {
  it("machine.yaml: a public spot GPU machine in a public subnet, ssh and 8888 from allowFrom only", async () => {
    const { plan, counts, named, userData, rec } = await compileExample("machine.yaml");
    expect(counts()).toEqual({ provider: 1, vpc: 1, subnet: 1, igw: 1, routes: 1, sg: 1, key: 1, instance: 1, state: 1, alarm: 1 });
    expect(plan.cost.lines.map((l) => l.item).join()).not.toContain("NAT");
    expect(ingress(named(T.sg, "sg-machine"))).toEqual([
      { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["203.0.113.0/24"], description: "ssh from access.allowFrom" },
      { protocol: "tcp", fromPort: 8888, toPort: 8888, cidrBlocks: ["203.0.113.0/24"], description: "port 8888/tcp from access.allowFrom" },
    ]);
    const i = named(T.instance, "machine");
    expect(i).toMatchObject({ instanceType: "g4dn.xlarge", associatePublicIpAddress: true, subnetId: sessionId(plan.session, "subnet-public") });
    // spotInterruption: stop → a persistent request that stops; g4dn cannot hibernate.
    expect(i.instanceMarketOptions).toEqual({ marketType: "spot", spotOptions: { instanceInterruptionBehavior: "stop", spotInstanceType: "persistent" } });
    expect(i.hibernation).toBeUndefined();
    expect(i.vpcSecurityGroupIds).toEqual([sessionId(plan.session, "sg-machine")]);
    expect(named(T.subnet, "subnet-public")).toMatchObject({ availabilityZone: "eu-west-1b", mapPublicIpOnLaunch: false });
    expect(named(T.key, "key").publicKey).toBe(plan.sshPublicKeys[0]);
    // Every key reaches the machine; the GPU gets its driver.
    const data = userData("machine");
    for (const k of plan.sshPublicKeys) expect(data).toContain(k);
    expect(data).toContain("ubuntu-drivers install --gpgpu");
    const ami = rec.calls.filter((c) => c.token === "aws:ec2/getAmi:getAmi");
    expect(ami).toHaveLength(1);
    expect(ami[0]?.inputs).toMatchObject({
      owners: ["099720109477"],
      mostRecent: true,
      filters: [
        { name: "name", values: ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"] },
        { name: "architecture", values: ["x86_64"] },
      ],
    });
  });

  it("machine.yaml: autoStop is a CloudWatch alarm that stops the instance after idleMinutes under 5 % CPU", async () => {
    const { plan, named } = await compileExample("machine.yaml");
    expect(named(T.alarm, "machine-idle-stop")).toMatchObject({
      namespace: "AWS/EC2",
      metricName: "CPUUtilization",
      dimensions: { InstanceId: sessionId(plan.session, "machine") },
      statistic: "Average",
      comparisonOperator: "LessThanThreshold",
      threshold: 5,
      period: 300,
      evaluationPeriods: 12,
      datapointsToAlarm: 12,
      alarmActions: ["arn:aws:automate:eu-west-1:ec2:stop"],
    });
  });

  it("without allowFrom: no public address, a private subnet behind NAT, no ingress at all, no alarm without autoStop", async () => {
    const { plan, counts, named, machines } = await compile(inline("Machine", "  machine: { size: small }\n  ports: [8080]\n"));
    expect(counts()).toMatchObject({ subnet: 2, nat: 1, eip: 1, routes: 2, sg: 1, instance: 1 });
    expect(counts().alarm).toBeUndefined();
    expect(counts().key).toBeUndefined();
    expect(ingress(named(T.sg, "sg-machine"))).toEqual([]);
    expect(named(T.instance, "machine")).toMatchObject({ associatePublicIpAddress: false, subnetId: sessionId(plan.session, "subnet-private") });
    expect(named(T.instance, "machine").keyName).toBeUndefined();
    expect(named(T.routes, "rt-private").routes).toEqual([{ cidrBlock: "0.0.0.0/0", natGatewayId: sessionId(plan.session, "nat") }]);
    expect(machines[0]?.publicIp).toBeUndefined();
    // The NAT gateway is billed: the estimate says so.
    expect(plan.cost.lines.map((l) => l.item)).toContain("NAT gateway (egress of machines without a public address)");
  });

  it("an IPv6 allowFrom goes to ipv6CidrBlocks, never to the IPv4 list", async () => {
    const { named } = await compile(inline("Machine", "  machine: { size: small }\n", "access: { allowFrom: [203.0.113.0/24, '2001:db8::/32'] }\n"));
    expect(ingress(named(T.sg, "sg-machine"))).toEqual([
      {
        protocol: "tcp",
        fromPort: 22,
        toPort: 22,
        cidrBlocks: ["203.0.113.0/24"],
        ipv6CidrBlocks: ["2001:db8::/32"],
        description: "ssh from access.allowFrom",
      },
    ]);
  });

  it("a given network is used as is: no VPC, subnet, gateway or NAT of ours", async () => {
    const given = await compile(
      loadFormationText(
        "apiVersion: formations/v1\nkind: Machine\nmetadata: { name: t-given }\ncloud: { provider: aws, region: eu-west-1, network: { id: vpc-0abc, subnet: subnet-0def } }\nspec:\n  machine: { size: small }\n",
      ),
    );
    expect(given.counts()).toEqual({ provider: 1, sg: 1, instance: 1, state: 1 });
    expect(given.named(T.instance, "machine").subnetId).toBe("subnet-0def");
    expect(given.named(T.sg, "sg-machine").vpcId).toBe("vpc-0abc");
    expect(given.plan.cost.lines.map((l) => l.item).join()).not.toContain("NAT");
  });
});

describe("spot and hibernation", () => {
  const machine = (block: string, lifecycle: string) =>
    inline("Machine", `  machine: ${block}\n`, `lifecycle: { autoStop: { idleMinutes: 90 }, ${lifecycle} }\n`);

  it.each([
    {
      block: "{ size: 2xlarge, spot: true }",
      interruption: "hibernate",
      hibernation: true,
      behaviour: "hibernate",
      request: "persistent",
      rootGb: 72,
      alarm: true,
    },
    {
      block: "{ instanceType: g4dn.xlarge, spot: true }",
      interruption: "hibernate",
      hibernation: undefined,
      behaviour: "stop",
      request: "persistent",
      rootGb: 30,
      alarm: true,
    },
    { block: "{ size: medium, spot: true }", interruption: "stop", hibernation: true, behaviour: "stop", request: "persistent", rootGb: 30, alarm: true },
    // A one-time spot instance is never stopped: no hibernation option, no alarm.
    {
      block: "{ size: medium, spot: true }",
      interruption: "terminate",
      hibernation: undefined,
      behaviour: "terminate",
      request: "one-time",
      rootGb: 30,
      alarm: false,
    },
    { block: "{ size: medium }", interruption: "terminate", hibernation: true, behaviour: undefined, request: undefined, rootGb: 30, alarm: true },
  ])("$block with spotInterruption $interruption", async ({ block, interruption, hibernation, behaviour, request, rootGb, alarm }) => {
    const { named, counts, plan } = await compile(machine(block, `spotInterruption: ${interruption}`));
    const i = named(T.instance, "machine");
    expect(i.hibernation).toBe(hibernation);
    // Hibernation needs an encrypted root volume that holds the RAM (m6i.4xlarge: 64 GB + 8).
    expect(i.rootBlockDevice).toMatchObject({ encrypted: true, volumeSize: rootGb });
    if (behaviour)
      expect(i.instanceMarketOptions).toEqual({ marketType: "spot", spotOptions: { instanceInterruptionBehavior: behaviour, spotInstanceType: request } });
    else expect(i.instanceMarketOptions).toBeUndefined();
    // A one-time spot instance cannot be stopped: no idle-stop alarm for it.
    expect(counts().alarm ?? 0).toBe(alarm ? 1 : 0);
    if (alarm) expect(named(T.alarm, "machine-idle-stop")).toMatchObject({ period: 300, evaluationPeriods: 18 });
    if (interruption === "hibernate" && !hibernation) expect(plan.notes.join("\n")).toContain("cannot hibernate");
  });

  it("idle periods beyond a day use hourly points (CloudWatch's limit on evaluation windows)", async () => {
    const { named } = await compile(inline("Machine", "  machine: { size: small }\n", "lifecycle: { autoStop: { idleMinutes: 10080 } }\n"));
    expect(named(T.alarm, "machine-idle-stop")).toMatchObject({ period: 3600, evaluationPeriods: 168 });
  });

  it("the desired power state is kept by InstanceState: stopped and hibernated machines are 'stopped'", async () => {
    const f = inline("Pool", "  count: 3\n  machine: { size: small }\n");
    const { named } = await compile(f, { desired: { "machine-2": "stopped", "machine-3": "hibernated" } });
    expect(named(T.state, "machine-1-state").state).toBe("running");
    expect(named(T.state, "machine-2-state")).toMatchObject({ state: "stopped", force: false, instanceId: "t-pool-machine-2-id" });
    expect(named(T.state, "machine-3-state").state).toBe("stopped");
  });
});

describe("Pool", () => {
  it("pool.yaml: 25 instances, one group and one AMI lookup for all, an alarm and a state each", async () => {
    const { plan, counts, named, rec, machines } = await compileExample("pool.yaml");
    expect(counts()).toEqual({ provider: 1, vpc: 1, subnet: 1, igw: 1, routes: 1, sg: 1, key: 1, instance: 25, state: 25, alarm: 25 });
    expect(rec.calls.filter((c) => c.token === "aws:ec2/getAmi:getAmi")).toHaveLength(1);
    const cidrs = ["203.0.113.0/24", "198.51.100.0/24"];
    expect(ingress(named(T.sg, "sg-member")).map((r) => [r.fromPort, r.cidrBlocks])).toEqual([
      [22, cidrs],
      [80, cidrs],
      [443, cidrs],
    ]);
    for (let n = 1; n <= 25; n++) {
      expect(named(T.instance, `machine-${n}`)).toMatchObject({
        instanceType: "t3.medium",
        vpcSecurityGroupIds: [sessionId(plan.session, "sg-member")],
        tags: { "formations-role": "member", Name: `linux-admin-lab-machine-${n}` },
      });
      expect(named(T.alarm, `machine-${n}-idle-stop`).evaluationPeriods).toBe(9);
    }
    expect(machines.map((m) => m.connect)).toEqual(machines.map((m) => `ssh ubuntu@${m.publicIp}`));
  });
});

describe("Docker on an EC2 host", () => {
  it("docker.yaml: a public host with ssh and the container's port from allowFrom, Docker and the container in its user data", async () => {
    const { named, userData } = await compileExample("docker.yaml");
    const cidrs = ["203.0.113.0/24", "198.51.100.0/24"];
    expect(ingress(named(T.sg, "sg-host")).map((r) => [r.protocol, r.fromPort, r.cidrBlocks])).toEqual([
      ["tcp", 22, cidrs],
      ["tcp", 5000, cidrs],
    ]);
    const host = named(T.instance, "host");
    // Containers reach the metadata service through docker0: one more hop, still IMDSv2 only.
    expect(host.metadataOptions).toEqual({ httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 2 });
    const data = userData("host");
    expect(data).toContain("docker.io");
    expect(data).toContain(
      "docker run -d --name mlflow-tracking --restart unless-stopped -e TZ=Europe/Berlin -p 5000:5000/tcp -v mlflow-data:/mlflow --cpus 1.5 --memory 3072m ghcr.io/mlflow/mlflow:v2.14.1 mlflow server",
    );
  });

  it("a Windows machine boots PowerShell with its secret admin password, and gets no ed25519 key pair", async () => {
    const { named, userData, of, rec } = await compile(inline("Machine", "  machine: { size: medium, image: windows-2022 }\n", ACCESS));
    expect(of("random:index/randomPassword:RandomPassword").map((r) => r.name)).toEqual(["t-machine-admin-password"]);
    const data = userData("machine");
    expect(data.startsWith("<powershell>")).toBe(true);
    expect(data).toContain("mock-secret-t-machine-admin-password");
    expect(named(T.instance, "machine").keyName).toBeUndefined();
    expect(ingress(named(T.sg, "sg-machine")).map((r) => r.fromPort)).toEqual([3389]);
    expect(rec.calls.find((c) => c.token === "aws:ec2/getAmi:getAmi")?.inputs).toMatchObject({ owners: ["801119661308"] });
    expect(JSON.stringify(redact(named(T.instance, "machine")))).not.toContain("mock-secret-");
  });
});
