/** What Docker resources give under Pulumi's mock runtime (components/offline.ts). */
import type { CloudMocks } from "../cloud.js";

export const mocks: CloudMocks = {
  // A pulled image's id (its reference, so plans read well) and a container's address on each
  // network it joins; without them every docker machine's outputs stay unknown.
  state: (type, _name, inputs, at) => ({
    ...(type === "docker:index/remoteImage:RemoteImage" ? { imageId: inputs.name } : {}),
    ...(Array.isArray(inputs.networksAdvanced)
      ? { networkDatas: (inputs.networksAdvanced as { name?: string }[]).map((net) => ({ networkName: net.name, ipAddress: at.ip })) }
      : {}),
  }),
  call: () => undefined,
};
