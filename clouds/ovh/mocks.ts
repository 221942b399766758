/**
 * What OVHcloud's own resources and calls give under Pulumi's mock runtime (components/offline.ts).
 * Its servers, ports and floating IPs are OpenStack's, whose outputs clouds/openstack/mocks.ts gives.
 */
import type { CloudMocks } from "../cloud.js";

export const mocks: CloudMocks = {
  state(type, name, inputs) {
    // A private network's OpenStack id in each of its regions.
    if (type === "ovh:CloudProject/networkPrivate:NetworkPrivate") {
      const regions = (inputs.regions ?? []) as string[];
      return { regionsOpenstackIds: Object.fromEntries(regions.map((r) => [r, `mock-openstack-net-${r.toLowerCase()}`])) };
    }
    // A File Storage share's NFS export, reachable in the private network.
    if (type === "ovh:index/cloudStorageFileShare:CloudStorageFileShare") {
      return { currentState: { exportLocations: [{ path: `10.42.0.250:/shares/share-${name}`, preferred: true }] } };
    }
    return {};
  },
  call(token) {
    // The account's Public Cloud projects: one, as most accounts have.
    if (token === "ovh:Cloud/getProjects:getProjects")
      return { id: "projects", projects: [{ projectId: "0123456789abcdef0123456789abcdef", serviceName: "0123456789abcdef0123456789abcdef", status: "ok" }] };
    return undefined;
  },
};
