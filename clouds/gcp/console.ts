/** The serial port of a GCE instance (getSerialPortOutput, port 1), for idle verdicts (clouds/console.ts). */
import type { MachineDetails, SessionDetails } from "../../automation/session/details.js";
import type { ConsoleReader } from "../console.js";
import { GceApi, instancePath, type InstanceRef } from "./actions/api.js";

/** The GCE instance: from a self-link id, else the name and zone the GCP adapter gives it. */
export function gceRef(d: SessionDetails, m: MachineDetails): InstanceRef {
  const link = /(?:^|\/)projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(m.cloudId ?? "");
  if (link) return { project: link[1]!, zone: link[2]!, name: link[3]! };
  const zone = d.cloud.zone ?? (d.cloud.region ? `${d.cloud.region}-b` : undefined); // the adapter's default zone
  if (!d.cloud.project || !zone) throw new Error(`no project or zone for ${d.session}/${m.name}`);
  return { project: d.cloud.project, zone, name: `${d.session}-${m.name}` };
}

/** `gce`: for tests; one is made on first use otherwise. */
export function gceConsole(gce?: GceApi): ConsoleReader {
  return async (d, m) => {
    const ref = gceRef(d, m);
    const out = await (gce ??= new GceApi()).call<{ contents?: string }>("GET", `${instancePath(ref)}/serialPort`, `GCE instance ${ref.name}`, {
      query: { port: "1" },
    });
    return out.contents ?? "";
  };
}
