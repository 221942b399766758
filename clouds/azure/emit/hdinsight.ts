/**
 * EMRCluster on Azure: an HDInsight Spark cluster (head nodes from the planned master, worker
 * nodes from the planned workers) in its own subnet, with a default storage account that accepts
 * that subnet only. The resource provider connection is outbound-only, so nothing outside the
 * virtual network reaches the cluster; users come in through the proxy VM, a member of the
 * session's application security group, which the cluster subnet's group allows.
 *
 * The gateway (Ambari, Spark UI) login and the SSH password are generated secrets; the storage
 * key is read from Azure and kept secret.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Cluster } from "@pulumi/azure-native/hdinsight/cluster.js";
import { StorageAccount } from "@pulumi/azure-native/storage/storageAccount.js";
import { BlobContainer } from "@pulumi/azure-native/storage/blobContainer.js";
import { listStorageAccountKeysOutput } from "@pulumi/azure-native/storage/listStorageAccountKeys.js";
import type { PlannedBigData, PlannedMachine } from "../../../plan/types.js";
import type { BigDataHandle, EmitContext } from "../../../components/adapter.js";
import { storageAccountName, tagsFor, type AzureNetwork } from "./provider.js";

/** HDInsight release → its Spark version (HDInsight picks its default for releases not listed). */
export const SPARK_OF_RELEASE: Readonly<Record<string, string>> = { "5.1": "3.3", "5.0": "3.1" };

export const GATEWAY_USER = "admin";
export const SSH_USER = "sshuser";

/** HDInsight takes RSA keys for its nodes; without one, SSH uses the generated password. */
export function hdinsightSshKeys(keys: readonly string[]): string[] {
  return keys.filter((k) => k.trim().startsWith("ssh-rsa "));
}

/** The cluster's private gateway name, resolvable inside the virtual network. */
export function internalGateway(clusterName: string): string {
  return `${clusterName}-int.azurehdinsight.net`;
}

export function createHdInsight(ctx: EmitContext, net: AzureNetwork, bigData: PlannedBigData, nodes: readonly PlannedMachine[]): BigDataHandle {
  const plan = ctx.plan;
  const master = nodes.find((n) => n.role === "master");
  const workers = nodes.filter((n) => n.role === "worker");
  if (!master || !workers[0]) throw new Error("an HDInsight cluster has a master and at least one worker");
  if (!net.bigDataSubnetId) throw new Error("an HDInsight cluster needs the session's big-data subnet");
  const where = { resourceGroupName: net.resourceGroupName, location: net.location };
  const tags = tagsFor(ctx, "bigdata");
  const accountName = net.unique.apply((u) => storageAccountName("hdi", plan.session, u));
  const account = new StorageAccount(
    ctx.name("hdinsight-storage"),
    {
      ...where,
      accountName,
      kind: "StorageV2",
      sku: { name: "Standard_LRS" },
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: "TLS1_2",
      allowBlobPublicAccess: false,
      // HDInsight reaches its default storage with the account key (WASB).
      allowSharedKeyAccess: true,
      networkRuleSet: {
        defaultAction: "Deny",
        bypass: "AzureServices",
        virtualNetworkRules: [{ virtualNetworkResourceId: net.bigDataSubnetId, action: "Allow" }],
      },
      tags,
    },
    net.opts,
  );
  // The name, once the account exists (the key can be listed only then).
  const createdName = pulumi.all([account.id, accountName]).apply(([, name]) => name);
  const container = new BlobContainer(
    ctx.name("hdinsight-container"),
    { resourceGroupName: net.resourceGroupName, accountName: createdName, containerName: plan.session, publicAccess: "None" },
    net.opts,
  );
  const key = pulumi.secret(
    listStorageAccountKeysOutput(
      { resourceGroupName: net.resourceGroupName, accountName: createdName },
      { parent: ctx.parent, provider: net.opts.provider! },
    ).apply((r) => {
      const first = r.keys[0]?.value;
      if (!first) throw new Error("the HDInsight storage account returned no key");
      return first;
    }),
  );
  const password = pulumi.secret(
    new random.RandomPassword(
      ctx.name("hdinsight-password"),
      // HDInsight: 10+ characters with upper, lower, digit and a symbol other than ' " `.
      { length: 24, special: true, overrideSpecial: "!#%*-_=+", minUpper: 2, minLower: 2, minNumeric: 2, minSpecial: 2 },
      { parent: ctx.parent, additionalSecretOutputs: ["result"] },
    ).result,
  );
  const keys = hdinsightSshKeys(plan.sshPublicKeys);
  const login = {
    username: SSH_USER,
    ...(keys.length > 0 ? { sshProfile: { publicKeys: keys.map((certificateData) => ({ certificateData })) } } : { password }),
  };
  const role = (name: string, m: PlannedMachine, count: number) => ({
    name,
    targetInstanceCount: count,
    hardwareProfile: { vmSize: m.instanceType },
    osProfile: { linuxOperatingSystemProfile: login },
    virtualNetworkProfile: { id: net.vnetId, subnet: net.bigDataSubnetId },
  });
  const clusterName = net.unique.apply((u) => `${plan.session}-${u}`);
  const spark = SPARK_OF_RELEASE[bigData.release];
  const cluster = new Cluster(
    ctx.name("hdinsight"),
    {
      ...where,
      clusterName,
      properties: {
        clusterVersion: bigData.release,
        osType: "Linux",
        tier: "Standard",
        minSupportedTlsVersion: "1.2",
        // A Spark cluster also runs Hive, Jupyter and YARN: the other applications need no cluster of their own.
        clusterDefinition: {
          kind: "spark",
          ...(spark ? { componentVersion: { Spark: spark } } : {}),
          configurations: {
            gateway: { "restAuthCredential.isEnabled": true, "restAuthCredential.username": GATEWAY_USER, "restAuthCredential.password": password },
          },
        },
        // HDInsight always runs two head nodes (they fail over); ZooKeeper nodes are its default.
        computeProfile: { roles: [role("headnode", master, 2), role("workernode", workers[0], workers.length)] },
        storageProfile: {
          storageaccounts: [
            { name: pulumi.interpolate`${createdName}.blob.core.windows.net`, resourceId: account.id, container: plan.session, key, isDefault: true },
          ],
        },
        networkProperties: { resourceProviderConnection: "Outbound", privateLink: "Disabled" },
      },
      tags,
    },
    { ...net.opts, dependsOn: [container] },
  );
  return { cloudId: cluster.id, masterAddress: clusterName.apply(internalGateway) };
}
