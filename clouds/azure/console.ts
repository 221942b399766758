/** The boot diagnostics serial log of an Azure VM, for idle verdicts (clouds/console.ts). */
import type { ConsoleReader } from "../console.js";
import { consoleTarget } from "../console.js";
import { AzureArm } from "./actions/arm.js";

/** `arm` and `fetcher` (the serial log blob's download): for tests; made on first use otherwise. */
export function azureConsole(arm?: AzureArm, fetcher?: typeof fetch): ConsoleReader {
  return async (d, m) => {
    const uris = await (arm ??= new AzureArm()).call(consoleTarget(d, m), (c, ref) =>
      c.virtualMachines.retrieveBootDiagnosticsData(ref.resourceGroup, ref.name, { sasUriExpirationTimeInMinutes: 5 }),
    );
    if (!uris.serialConsoleLogBlobUri) throw new Error(`no boot diagnostics serial log for ${d.session}/${m.name}`);
    const res = await (fetcher ?? fetch)(uris.serialConsoleLogBlobUri);
    if (!res.ok) throw new Error(`the serial log of ${d.session}/${m.name} answered ${res.status}`);
    return await res.text();
  };
}
