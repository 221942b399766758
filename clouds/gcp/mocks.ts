/** What GCP resources give under Pulumi's mock runtime (components/offline.ts). */
import type { CloudMocks } from "../cloud.js";

export const mocks: CloudMocks = {
  state(type, _name, inputs, at) {
    // An instance's addresses are on its network interface (external only with an access config).
    if (type === "gcp:compute/instance:Instance" && Array.isArray(inputs.networkInterfaces)) {
      return {
        networkInterfaces: (inputs.networkInterfaces as Record<string, unknown>[]).map((nic) => ({
          ...nic,
          networkIp: at.ip,
          accessConfigs: ((nic.accessConfigs ?? []) as Record<string, unknown>[]).map((a) => ({ ...a, natIp: at.publicIp })),
        })),
      };
    }
    // A Filestore instance's address is on its network.
    if (type === "gcp:filestore/instance:Instance" && Array.isArray(inputs.networks))
      return { networks: (inputs.networks as Record<string, unknown>[]).map((net) => ({ ...net, ipAddresses: [at.ip] })) };
    return {};
  },
  call: () => undefined,
};
