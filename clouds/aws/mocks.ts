/** What AWS resources and calls give under Pulumi's mock runtime (components/offline.ts). */
import type { CloudMocks } from "../cloud.js";

export const mocks: CloudMocks = {
  state: (type, name, inputs, at) => ({
    arn: `arn:mock:${type}:${name}`,
    publicIp: inputs.associatePublicIpAddress ? at.publicIp : undefined,
    masterPublicDns: `${name}-master.mock.internal`,
  }),
  call(token, inputs) {
    if (token.endsWith("getAmi:getAmi"))
      return {
        id: "ami-0mock0000000000000",
        imageId: "ami-0mock0000000000000",
        name: String((inputs.filters as { values?: unknown[] }[] | undefined)?.[0]?.values?.[0] ?? "image"),
      };
    if (token.endsWith("getAvailabilityZones:getAvailabilityZones")) return { names: ["mock-zone-a", "mock-zone-b"], zoneIds: ["z1", "z2"] };
    if (token.endsWith("getCallerIdentity:getCallerIdentity")) return { accountId: "000000000000", arn: "arn:mock", userId: "mock" };
    if (token.endsWith("getPartition:getPartition")) return { partition: "aws", dnsSuffix: "amazonaws.com" };
    if (token === "aws:ssm/getParameter:getParameter") return { name: inputs.name, value: "ami-0mockecs00000000000", type: "String" };
    if (token.endsWith("getRegion:getRegion")) return { name: "mock-region", region: "mock-region" };
    return undefined;
  },
};
