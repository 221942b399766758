/**
 * Idle verdicts from a cloud machine's serial console, read with the session's own credentials
 * (the same the actions use: nothing on the machine holds any). The agent's service copies each
 * verdict change to the console (agent/idle-agent.ts), and each cloud keeps the console's output,
 * also after the machine shut down:
 *
 * | provider  | call | needs |
 * |-----------|------|-------|
 * | aws       | EC2 GetConsoleOutput (`Latest` on Nitro; the buffered output otherwise) | ec2:GetConsoleOutput |
 * | gcp       | GCE instances.getSerialPortOutput, port 1 | compute.instances.getSerialPortOutput |
 * | azure     | retrieveBootDiagnosticsData, then the serial log blob it points to (the adapter enables managed boot diagnostics) | Microsoft.Compute/virtualMachines/retrieveBootDiagnosticsData/action |
 * | openstack | Nova os-getConsoleOutput (last 500 lines) | the compute API's console output policy |
 *
 * The last verdict on the console is the last CHANGE (busy -> idle -> stopping): its `at` and
 * `idleFor` are as of that change, which is what `enforce` needs (a `stopping` verdict) and what
 * `show` reports. Loaded only when a cloud session's verdicts are asked for.
 */
import { Ec2Api } from "../clouds/aws/actions/ec2.js";
import { AzureArm } from "../clouds/azure/actions/arm.js";
import { GceApi, instancePath, type InstanceRef } from "../clouds/gcp/actions/api.js";
import { NovaApi } from "../clouds/openstack/actions/nova.js";
import type { ActionTarget } from "./actions/types.js";
import { verdictFromConsole } from "../cost/idle.js";
import type { MachineDetails, SessionDetails } from "./show.js";
import type { VerdictSource } from "./verdicts.js";

/** Reads a machine's console output (text); throws a one-line reason when it cannot. */
export type ConsoleReader = (d: SessionDetails, m: MachineDetails) => Promise<string>;

/** The provider APIs (tests give mocked ones); each is created on first use otherwise. */
export interface ConsoleApis {
  ec2?: Ec2Api;
  gce?: GceApi;
  azure?: AzureArm;
  nova?: NovaApi;
  /** Fetches the Azure serial log blob (default: global fetch). */
  fetch?: typeof fetch;
}

function target(d: SessionDetails, m: MachineDetails): ActionTarget {
  if (!m.cloudId) throw new Error(`no cloud id recorded for ${d.session}/${m.name}: run formations refresh ${d.session}`);
  return { session: d.session, machine: m.name, role: m.role as ActionTarget["role"], providerId: m.cloudId, ...(d.cloud.region ? { region: d.cloud.region } : {}) };
}

/** The GCE instance: from a self-link id, else the name and zone the GCP adapter gives it. */
export function gceRef(d: SessionDetails, m: MachineDetails): InstanceRef {
  const link = /(?:^|\/)projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(m.cloudId ?? "");
  if (link) return { project: link[1]!, zone: link[2]!, name: link[3]! };
  const zone = d.cloud.zone ?? (d.cloud.region ? `${d.cloud.region}-b` : undefined); // the adapter's default zone
  if (!d.cloud.project || !zone) throw new Error(`no project or zone for ${d.session}/${m.name}`);
  return { project: d.cloud.project, zone, name: `${d.session}-${m.name}` };
}

export function consoleReader(apis: ConsoleApis = {}): ConsoleReader {
  return async (d, m) => {
    switch (d.provider) {
      case "aws": {
        const ec2 = (apis.ec2 ??= new Ec2Api(d.cloud.region));
        const t = target(d, m);
        const read = (latest: boolean) => ec2.call(t, (sdk, c) => c.send(new sdk.GetConsoleOutputCommand({ InstanceId: t.providerId!, ...(latest ? { Latest: true } : {}) })));
        // `Latest` is for Nitro instances; older types give the buffered output only.
        const out = await read(true).catch(() => read(false));
        return Buffer.from(out.Output ?? "", "base64").toString("utf8");
      }
      case "gcp": {
        const ref = gceRef(d, m);
        const out = await (apis.gce ??= new GceApi()).call<{ contents?: string }>("GET", `${instancePath(ref)}/serialPort`, `GCE instance ${ref.name}`, { query: { port: "1" } });
        return out.contents ?? "";
      }
      case "azure": {
        const uris = await (apis.azure ??= new AzureArm()).call(target(d, m), (c, ref) => c.virtualMachines.retrieveBootDiagnosticsData(ref.resourceGroup, ref.name, { sasUriExpirationTimeInMinutes: 5 }));
        if (!uris.serialConsoleLogBlobUri) throw new Error(`no boot diagnostics serial log for ${d.session}/${m.name}`);
        const res = await (apis.fetch ?? fetch)(uris.serialConsoleLogBlobUri);
        if (!res.ok) throw new Error(`the serial log of ${d.session}/${m.name} answered ${res.status}`);
        return await res.text();
      }
      case "openstack": {
        const id = target(d, m).providerId!;
        const res = await (apis.nova ??= new NovaApi()).call("POST", `/servers/${encodeURIComponent(id)}/action`, d.cloud.region, `server ${d.session}-${m.name}`, { body: { "os-getConsoleOutput": { length: 500 } } });
        return (res.body as { output?: string }).output ?? "";
      }
      default:
        throw new Error(`no console to read on ${d.provider}`);
    }
  };
}

/** Verdicts read from each machine's console; undefined when the console shows none yet. */
export function consoleVerdictSource(read: ConsoleReader = consoleReader()): VerdictSource {
  return Object.assign(async (d: SessionDetails, m: MachineDetails) => verdictFromConsole(await read(d, m)), { changesOnly: true });
}
