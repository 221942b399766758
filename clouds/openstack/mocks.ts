/** What OpenStack resources and calls give under Pulumi's mock runtime (components/offline.ts). */
import type { CloudMocks } from "../cloud.js";

export const mocks: CloudMocks = {
  state(type, name, _inputs, at) {
    // A port's addresses, a floating IP's public address, a Manila share's export.
    if (type === "openstack:networking/port:Port") return { allFixedIps: [at.ip] };
    if (type === "openstack:networking/floatingIp:FloatingIp") return { address: at.publicIp };
    if (type === "openstack:sharedfilesystem/share:Share") return { exportLocations: [{ path: `${name}.mock.internal:/shares/${name}`, preferred: "true" }] };
    return {};
  },
  call(token, inputs) {
    // A Glance image per name (so plans show which image each server boots).
    if (token === "openstack:images/getImage:getImage")
      return {
        id: `mock-image-${String(inputs.name ?? "image")
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, "-")}`,
        name: inputs.name,
      };
    return undefined;
  },
};
