/** What Azure resources and calls give under Pulumi's mock runtime (components/offline.ts). */
import type { CloudMocks } from "../cloud.js";

export const mocks: CloudMocks = {
  state(type, _name, inputs, at) {
    // A NIC's private address is on its IP configuration; a public IP resource's is public.
    if (type === "azure-native:network:NetworkInterface" && Array.isArray(inputs.ipConfigurations)) {
      return { ipConfigurations: (inputs.ipConfigurations as Record<string, unknown>[]).map((c) => ({ ...c, privateIPAddress: at.ip })) };
    }
    if (type === "azure-native:network:PublicIPAddress") return { ipAddress: at.publicIp };
    return {};
  },
  call(token, inputs) {
    // A storage account's keys (a mock secret: it must never show in plain), a given VNet's subnets.
    if (token === "azure-native:storage:listStorageAccountKeys") return { keys: [{ keyName: "key1", permissions: "Full", value: "mock-secret-storage-key" }] };
    if (token === "azure-native:network:getVirtualNetwork") {
      const id = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${String(inputs.resourceGroupName)}/providers/Microsoft.Network/virtualNetworks/${String(inputs.virtualNetworkName)}`;
      return { id, name: inputs.virtualNetworkName, subnets: [{ id: `${id}/subnets/default`, name: "default" }] };
    }
    return undefined;
  },
};
