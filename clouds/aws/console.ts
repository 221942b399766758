/** The serial console of an EC2 instance (GetConsoleOutput), for idle verdicts (clouds/console.ts). */
import type { ConsoleReader } from "../console.js";
import { consoleTarget } from "../console.js";
import { Ec2Api } from "./actions/ec2.js";

/** `ec2`: for tests; one is made on first use, in the first session's region. */
export function ec2Console(ec2?: Ec2Api): ConsoleReader {
  return async (d, m) => {
    const api = (ec2 ??= new Ec2Api(d.cloud.region));
    const t = consoleTarget(d, m);
    const read = (latest: boolean) =>
      api.call(t, (sdk, c) => c.send(new sdk.GetConsoleOutputCommand({ InstanceId: t.providerId, ...(latest ? { Latest: true } : {}) })));
    // `Latest` is for Nitro instances; older types give the buffered output only.
    const out = await read(true).catch(() => read(false));
    return Buffer.from(out.Output ?? "", "base64").toString("utf8");
  };
}
