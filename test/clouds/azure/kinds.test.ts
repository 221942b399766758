/**
 * Test layer 2: components compiled under Pulumi's mocks (pulumi.runtime.setMocks).
 * Kind by kind on Azure, on the examples: what each kind adds to the common shape (rules between
 * roles, HDInsight, Azure Files NFS, the Windows bootstrap, the Docker host, the pool).
 */
import { describe, expect, it } from "vitest";
import { isSecretValue, unwrapSecrets } from "../../../components/offline.js";
import { MOCK_SECRET } from "../../helpers/compile.js";
import { compileExample, T, type Inputs, type Rule } from "./helpers.js";

const allowsOf = (rules: Rule[]) => rules.filter((r) => r.access === "Allow");
const portsFrom = (rules: Rule[], cidr: string) =>
  allowsOf(rules)
    .filter((r) => (r.sourceAddressPrefixes ?? [r.sourceAddressPrefix]).includes(cidr))
    .map((r) => r.destinationPortRange);

describe("Machine (Windows) on azure", () => {
  it("RDP from allowFrom only; the boot script runs through a Custom Script extension, with no secret in its settings", async () => {
    const { plan, of, named, rules, bootScript, rec } = await compileExample("machine.yaml");
    expect(portsFrom(rules("nsg-machine"), "203.0.113.0/24").sort()).toEqual(["3389"]);
    expect(of(T.ext)).toHaveLength(1);
    const ext = named(T.ext, "machine-bootstrap");
    expect(ext).toMatchObject({ vmName: `${plan.session}-machine`, publisher: "Microsoft.Compute", type: "CustomScriptExtension" });
    expect(String((ext.settings as Inputs).commandToExecute)).toContain("C:\\AzureData\\CustomData.bin");
    expect(JSON.stringify(ext)).not.toMatch(MOCK_SECRET);
    const script = bootScript("machine");
    expect(script).not.toMatch(/<\/?powershell>/);
    // The built-in account gets its name back before the shared script sets its password.
    expect(script.indexOf("Rename-LocalUser -Name 'azureadmin' -NewName 'Administrator'")).toBeGreaterThan(-1);
    expect(script.indexOf("Rename-LocalUser")).toBeLessThan(script.indexOf("Set-LocalUser -Name 'Administrator'"));
    expect(script).toContain(`mock-secret-${plan.session}-admin-password`);
    expect(of(T.password).map((r) => r.name)).toEqual([`${plan.session}-admin-password`]);
    expect(rec.resources.find((r) => r.type === T.password)?.parent).toBe(plan.session);
    // Windows Server's image is 127 GiB; the formation asked 128.
    expect((named(T.vm, "machine").storageProfile as { osDisk: Inputs }).osDisk.diskSizeGB).toBe(128);
    expect((named(T.vm, "machine").storageProfile as { imageReference: Inputs }).imageReference).toEqual({
      publisher: "MicrosoftWindowsServer",
      offer: "WindowsServer",
      sku: "2022-datacenter-g2",
      version: "latest",
    });
  });
});

describe("Pool on azure", () => {
  it("20 public VMs, ssh and 8080 from allowFrom, no NAT gateway and no application security group", async () => {
    const { of, rules, osProfile } = await compileExample("pool.yaml");
    expect(of(T.vm)).toHaveLength(20);
    expect(of(T.nat)).toHaveLength(0);
    expect(of(T.asg)).toHaveLength(0);
    expect(of(T.nsg)).toHaveLength(1);
    expect(portsFrom(rules("nsg-member"), "203.0.113.0/24").sort()).toEqual(["22", "8080"]);
    const keys = ((osProfile("machine-7").linuxConfiguration as Inputs).ssh as { publicKeys: Inputs[] }).publicKeys;
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatchObject({ path: "/home/azureuser/.ssh/authorized_keys" });
  });
});

describe("Docker on azure", () => {
  it("a host VM that runs the container, its port open to allowFrom", async () => {
    const { rules, bootScript, of } = await compileExample("docker.yaml");
    expect(of(T.vm)).toHaveLength(1);
    expect(portsFrom(rules("nsg-host"), "198.51.100.0/24").sort()).toEqual(["22", "8080"]);
    const script = bootScript("host");
    expect(script.startsWith("#cloud-config\n")).toBe(true);
    expect(script).toContain("codercom/code-server:4.89.1");
  });
});

describe("VirtualLab on azure", () => {
  it("the target has no public address and accepts RDP only from the proxy's application security group", async () => {
    const { plan, of, named, rules, machines, outputs } = await compileExample("virtual-lab.yaml");
    const target = rules("nsg-target");
    expect(target).toHaveLength(2);
    expect(target[0]).toMatchObject({
      access: "Allow",
      destinationPortRange: "3389",
      sourceApplicationSecurityGroups: [{ id: `${plan.session}-asg-proxy-id` }],
    });
    expect(target[0]?.sourceAddressPrefix).toBeUndefined();
    expect(of(T.asg).map((r) => r.name)).toEqual([`${plan.session}-asg-proxy`]);
    const configOf = (m: string) => (named(T.nic, `${m}-nic`).ipConfigurations as Inputs[])[0]!;
    expect(configOf("proxy").applicationSecurityGroups).toEqual([{ id: `${plan.session}-asg-proxy-id` }]);
    expect(configOf("target").applicationSecurityGroups).toBeUndefined();
    expect(configOf("target").publicIPAddress).toBeUndefined();
    // The private target still reaches package mirrors: through the NAT gateway on the subnet.
    expect(of(T.nat)).toHaveLength(1);
    expect(named(T.subnet, "subnet")).toMatchObject({ defaultOutboundAccess: false, natGateway: { id: `${plan.session}-nat-id` } });
    expect(portsFrom(rules("nsg-proxy"), "203.0.113.0/24").sort()).toEqual(["22", "443"]);
    const proxy = machines.find((m) => m.name === "proxy")!;
    expect(outputs.gatewayUrl).toBe(`https://${proxy.publicIp}/guacamole/`);
  });
});

describe("EMRCluster on azure", () => {
  it("an HDInsight Spark cluster from the planned master and workers, in its own default-deny subnet", async () => {
    const { plan, of, named, outputs, bootScript } = await compileExample("emr.yaml");
    expect(of(T.hdinsight)).toHaveLength(1);
    expect(of(T.vm)).toHaveLength(1);
    const cluster = named(T.hdinsight, "hdinsight");
    expect(isSecretValue(cluster.properties)).toBe(true);
    const props = unwrapSecrets(cluster.properties) as Inputs;
    expect(props).toMatchObject({
      clusterVersion: "5.1",
      osType: "Linux",
      tier: "Standard",
      networkProperties: { resourceProviderConnection: "Outbound", privateLink: "Disabled" },
    });
    expect(props.clusterDefinition).toMatchObject({ kind: "spark", componentVersion: { Spark: "3.3" } });
    const roles = (props.computeProfile as { roles: Inputs[] }).roles;
    expect(roles.map((r) => [r.name, r.targetInstanceCount, (r.hardwareProfile as Inputs).vmSize])).toEqual([
      ["headnode", 2, "Standard_E8_v3"],
      ["workernode", 4, "Standard_E8_v3"],
    ]);
    for (const r of roles) expect(r.virtualNetworkProfile).toEqual({ id: `${plan.session}-vnet-id`, subnet: `${plan.session}-subnet-bigdata-id` });
    // No RSA key in this formation: HDInsight's SSH login is the generated password.
    const password = `mock-secret-${plan.session}-hdinsight-password`;
    expect((roles[0]!.osProfile as Inputs).linuxOperatingSystemProfile).toEqual({ username: "sshuser", password });
    expect((props.clusterDefinition as { configurations: { gateway: Inputs } }).configurations.gateway["restAuthCredential.password"]).toBe(password);
    const [storage] = (props.storageProfile as { storageaccounts: Inputs[] }).storageaccounts;
    expect(storage).toMatchObject({
      isDefault: true,
      container: plan.session,
      key: "mock-secret-storage-key",
      resourceId: `${plan.session}-hdinsight-storage-id`,
    });
    expect(named(T.account, "hdinsight-storage")).toMatchObject({
      kind: "StorageV2",
      enableHttpsTrafficOnly: true,
      allowBlobPublicAccess: false,
      networkRuleSet: {
        defaultAction: "Deny",
        bypass: "AzureServices",
        virtualNetworkRules: [{ virtualNetworkResourceId: `${plan.session}-subnet-bigdata-id`, action: "Allow" }],
      },
    });
    expect(named(T.container, "hdinsight-container")).toMatchObject({ containerName: plan.session, publicAccess: "None" });
    // The cluster subnet: its nodes, Azure's load balancer probes and the session's machines; nothing else.
    const subnet = named(T.subnet, "subnet-bigdata");
    expect(subnet).toMatchObject({
      addressPrefix: "10.42.16.0/20",
      networkSecurityGroup: { id: `${plan.session}-nsg-bigdata-id` },
      defaultOutboundAccess: false,
    });
    const rules = named(T.nsg, "nsg-bigdata").securityRules as Inputs[];
    expect(rules.map((r) => r.sourceAddressPrefix ?? (r.sourceApplicationSecurityGroups as Inputs[] | undefined)?.[0]?.id)).toEqual([
      "10.42.16.0/20",
      "AzureLoadBalancer",
      `${plan.session}-asg-session-id`,
      "*",
    ]);
    // The proxy reaches the cluster through its private gateway name.
    const clusterName = String(cluster.clusterName);
    expect(clusterName).toMatch(new RegExp(`^${plan.session}-[0-9a-f]{8}$`));
    expect(bootScript("proxy")).toContain(`${clusterName}-int.azurehdinsight.net`);
    expect(outputs).toMatchObject({ clusterId: `${plan.session}-hdinsight-id`, managed: true, release: "5.1", applications: ["spark", "hive"] });
    expect(plan.notes.some((n) => n.includes("2 head nodes and 3 ZooKeeper nodes"))).toBe(true);
    expect(plan.notes.some((n) => n.includes("HDInsight clusters cannot be stopped"))).toBe(true);
  });
});

describe("HPCCluster on azure", () => {
  it("an Azure Files NFS share reachable from the subnet only, mounted by every node; cluster members allowed by group", async () => {
    const { plan, of, named, rules, bootScript } = await compileExample("hpc.yaml");
    const account = named(T.account, "shared");
    const name = String(account.accountName);
    expect(name).toMatch(/^nfscfdopenfoam[0-9a-f]{8}$/);
    expect(account).toMatchObject({
      kind: "FileStorage",
      sku: { name: "Premium_LRS" },
      enableHttpsTrafficOnly: false,
      allowSharedKeyAccess: false,
      allowBlobPublicAccess: false,
    });
    expect(account.networkRuleSet).toEqual({
      defaultAction: "Deny",
      bypass: "None",
      virtualNetworkRules: [{ virtualNetworkResourceId: `${plan.session}-subnet-id`, action: "Allow" }],
    });
    expect(named(T.subnet, "subnet").serviceEndpoints).toEqual([{ service: "Microsoft.Storage" }]);
    expect(named(T.share, "shared-share")).toMatchObject({
      accountName: name,
      shareName: "shared",
      enabledProtocols: "NFS",
      rootSquash: "NoRootSquash",
      shareQuota: 2048,
    });
    for (const m of plan.machines) expect(bootScript(m.name)).toContain(`${name}.file.core.windows.net:/${name}/shared /shared nfs4`);
    // Members of the session group reach each other on every port; compute nodes take nothing else.
    const session = { sourceApplicationSecurityGroups: [{ id: `${plan.session}-asg-session-id` }] };
    expect(allowsOf(rules("nsg-compute"))).toEqual([expect.objectContaining({ protocol: "*", destinationPortRange: "*", ...session })]);
    expect(allowsOf(rules("nsg-head"))).toHaveLength(2);
    expect(portsFrom(rules("nsg-head"), "198.51.100.0/24")).toEqual(["22"]);
    for (const m of plan.machines)
      expect((named(T.nic, `${m.name}-nic`).ipConfigurations as Inputs[])[0]?.applicationSecurityGroups).toEqual([{ id: `${plan.session}-asg-session-id` }]);
    // The munge key reaches every node inside its secret custom data.
    for (const m of plan.machines) expect(bootScript(m.name)).toContain(Buffer.from(`mock-secret-${plan.session}-munge-key`).toString("base64"));
    expect(of(T.vm)).toHaveLength(5);
  });

  it("hibernation on the Dsv5 head (with its guest extension and a disk that holds its memory), not on the HB compute nodes", async () => {
    const { plan, named, of, machines } = await compileExample("hpc.yaml");
    expect(named(T.vm, "head").additionalCapabilities).toEqual({ hibernationEnabled: true });
    expect(named(T.vm, "compute-1").additionalCapabilities).toBeUndefined();
    expect(of(T.ext).map((r) => r.name)).toEqual([`${plan.session}-head-hibernate`]);
    expect(named(T.ext, "head-hibernate")).toMatchObject({
      publisher: "Microsoft.CPlat.Core",
      type: "LinuxHibernateExtension",
      vmName: `${plan.session}-head`,
    });
    // D8s_v5 has 32 GB of memory; the formation's 128 GB disk already holds it.
    expect((named(T.vm, "head").storageProfile as { osDisk: Inputs }).osDisk.diskSizeGB).toBe(128);
    expect(machines.find((m) => m.name === "head")?.hibernation).toBe(true);
    // Rocky's Marketplace image carries a purchase plan, which the VM must name.
    expect(named(T.vm, "compute-2").plan).toEqual({ name: "9-base", product: "rockylinux-x86_64", publisher: "resf" });
  });
});
