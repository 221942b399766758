/** The console output of a Nova server (os-getConsoleOutput, last 500 lines), for idle verdicts (clouds/console.ts). */
import type { ConsoleReader } from "../console.js";
import { consoleTarget } from "../console.js";
import { NovaApi } from "./actions/nova.js";

/** `nova`: for tests; one is made on first use otherwise. */
export function novaConsole(nova?: NovaApi): ConsoleReader {
  return async (d, m) => {
    const id = consoleTarget(d, m).providerId;
    const res = await (nova ??= new NovaApi()).call("POST", `/servers/${encodeURIComponent(id)}/action`, d.cloud.region, `server ${d.session}-${m.name}`, {
      body: { "os-getConsoleOutput": { length: 500 } },
    });
    return (res.body as { output?: string }).output ?? "";
  };
}
