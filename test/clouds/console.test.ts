/**
 * Test layer 4: cloud SDK calls on their exact requests (the SDK's mock library or HTTP interception); no cloud is reached.
 * Idle verdicts read from each cloud's serial console, on the exact requests sent: EC2 through
 * aws-sdk-client-mock, GCE and Nova through undici's MockAgent (test/actions/rest-mock.ts), the
 * Azure management call through nock (the blob download through an injected fetch).
 */
import { EC2Client, GetConsoleOutputCommand } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AzureArm } from "../../clouds/azure/actions/arm.js";
import { azureConsole } from "../../clouds/azure/console.js";
import { ec2Console } from "../../clouds/aws/console.js";
import { gceConsole, gceRef } from "../../clouds/gcp/console.js";
import { novaConsole } from "../../clouds/openstack/console.js";
import { GceApi } from "../../clouds/gcp/actions/api.js";
import { NovaApi } from "../../clouds/openstack/actions/nova.js";
import { Keystone, type OpenStackCloud } from "../../clouds/openstack/actions/keystone.js";
import type { MachineDetails, SessionDetails } from "../../automation/session/details.js";
import { consoleVerdictSource } from "../../clouds/console.js";
import { withVerdicts } from "../../automation/policy/verdicts.js";
import { FakeApi, mockHttp } from "../automation/actions/rest-mock.js";
import { TEST_CLOUD } from "./openstack/cloud.js";

const VERDICT =
  '{"at":"2026-11-01T12:00:00Z","verdict":"stopping","reasons":["no session on ports 22","idle for 3600s (limit 60 min): running: shutdown -h now"],"idleFor":3600}';
const CONSOLE = `[    0.000000] Linux version 6.8.0\r\n{"at":"2026-11-01T11:00:00Z","verdict":"idle","reasons":["idle for 0s of 3600s"],"idleFor":0}\r\n${VERDICT}\r\n[ 3601.5] reboot: Power down\r\n`;
const parsed = {
  at: "2026-11-01T12:00:00Z",
  verdict: "stopping",
  reasons: ["no session on ports 22", "idle for 3600s (limit 60 min): running: shutdown -h now"],
  idleFor: 3600,
};

const machine = (cloudId: string): MachineDetails => ({ name: "head", role: "head", state: "running", os: "linux", hourlyUsd: 0.1, cloudId });
const session = (provider: string, cloud: SessionDetails["cloud"], cloudId: string): SessionDetails => ({
  session: "lab",
  formation: "lab",
  kind: "HPCCluster",
  provider,
  file: "",
  labels: {},
  cloud,
  machines: [machine(cloudId)],
  cost: { hourlyUsd: 0, soFarUsd: 0 },
  lifecycle: { autoStop: { idleMinutes: 60 } },
  snapshots: [],
  journal: [],
});

describe("aws: EC2 GetConsoleOutput", () => {
  const ec2 = mockClient(EC2Client);
  afterEach(() => ec2.reset());

  it("asks for the latest output of the instance and finds the last verdict", async () => {
    ec2.on(GetConsoleOutputCommand).resolves({ InstanceId: "i-0abc", Output: Buffer.from(CONSOLE).toString("base64") });
    const d = session("aws", { region: "eu-west-1" }, "i-0abc");
    expect(await consoleVerdictSource(ec2Console())(d, d.machines[0]!)).toEqual(parsed);
    expect(ec2.commandCalls(GetConsoleOutputCommand).map((c) => c.args[0].input)).toEqual([{ InstanceId: "i-0abc", Latest: true }]);
  });

  it("falls back to the buffered output where Latest is not supported (older instance types)", async () => {
    ec2.on(GetConsoleOutputCommand).callsFake((input: { Latest?: boolean }) => {
      if (input.Latest) throw new Error("UnsupportedOperation: Latest is only supported on Nitro");
      return { Output: Buffer.from(VERDICT).toString("base64") };
    });
    const d = session("aws", { region: "eu-west-1" }, "i-0abc");
    expect(await consoleVerdictSource(ec2Console())(d, d.machines[0]!)).toEqual(parsed);
    expect(ec2.commandCalls(GetConsoleOutputCommand).map((c) => c.args[0].input)).toEqual([{ InstanceId: "i-0abc", Latest: true }, { InstanceId: "i-0abc" }]);
  });
});

describe("gcp, openstack: REST", () => {
  let http: ReturnType<typeof mockHttp>;
  beforeEach(() => (http = mockHttp()));
  afterEach(() => http.restore());

  it("gcp: GET the instance's serial port 1, the instance named as the adapter names it", async () => {
    const api = new FakeApi(http.agent, "https://compute.googleapis.com").on(
      "GET",
      "/compute/v1/projects/lab-project/zones/europe-west1-b/instances/lab-head/serialPort?port=1",
      { status: 200, body: { contents: CONSOLE, start: "0", next: "4096" } },
    );
    const d = session("gcp", { region: "europe-west1", project: "lab-project" }, "8432987423987");
    const read = gceConsole(new GceApi({ auth: { accessToken: async () => "tok-1" } }));
    expect(await consoleVerdictSource(read)(d, d.machines[0]!)).toEqual(parsed);
    expect(api.calls()).toEqual(["GET /compute/v1/projects/lab-project/zones/europe-west1-b/instances/lab-head/serialPort?port=1"]);
    expect(api.log[0]!.headers.authorization).toBe("Bearer tok-1");
    expect(gceRef(d, { ...d.machines[0]!, cloudId: "projects/p/zones/us-east1-c/instances/x" })).toEqual({ project: "p", zone: "us-east1-c", name: "x" });
  });

  it("openstack: POST os-getConsoleOutput for the server", async () => {
    const catalog = [
      { type: "compute", endpoints: [{ interface: "public", region: "RegionOne", region_id: "RegionOne", url: "https://nova.test:8774/v2.1" }] },
    ];
    new FakeApi(http.agent, "https://keystone.test:5000").on("POST", "/v3/auth/tokens", {
      status: 201,
      headers: { "x-subject-token": "tok-1" },
      body: { token: { expires_at: "2099-01-01T00:00:00Z", catalog } },
    });
    const nova = new FakeApi(http.agent, "https://nova.test:8774").on("POST", "/v2.1/servers/srv-1/action", { status: 200, body: { output: CONSOLE } });
    const cloud: OpenStackCloud = TEST_CLOUD;
    const d = session("openstack", { region: "RegionOne" }, "srv-1");
    const read = novaConsole(new NovaApi({ keystone: new Keystone(async () => cloud) }));
    expect(await consoleVerdictSource(read)(d, d.machines[0]!)).toEqual(parsed);
    expect(nova.log.map((r) => [r.method, r.path, r.body])).toEqual([["POST", "/v2.1/servers/srv-1/action", { "os-getConsoleOutput": { length: 500 } }]]);
  });
});

describe("azure: boot diagnostics serial log", () => {
  const SUB = "00000000-0000-0000-0000-00000000beef";
  const VM = `/subscriptions/${SUB}/resourceGroups/lab-rg/providers/Microsoft.Compute/virtualMachines/lab-head`;
  const credential = { getToken: () => Promise.resolve({ token: "test-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  afterEach(() => nock.cleanAll());

  it("asks ARM for the serial log's short-lived URL, then downloads it (after the VM shut down too)", async () => {
    const arm = nock("https://management.azure.com", { reqheaders: { authorization: "Bearer test-token" } })
      .post(`${VM}/retrieveBootDiagnosticsData`)
      .query((q) => q.sasUriExpirationTimeInMinutes === "5" && typeof q["api-version"] === "string")
      .reply(200, {
        consoleScreenshotBlobUri: "https://diag.blob.core.windows.net/s.bmp?sig=x",
        serialConsoleLogBlobUri: "https://diag.blob.core.windows.net/serial.log?sig=y",
      });
    const fetched: string[] = [];
    const fetchLog = (async (url: string) => (fetched.push(url), new Response(CONSOLE))) as unknown as typeof fetch;
    const d = session("azure", { region: "westeurope" }, VM);
    const read = azureConsole(new AzureArm({ credential }), fetchLog);
    expect(await consoleVerdictSource(read)(d, d.machines[0]!)).toEqual(parsed);
    expect(arm.isDone()).toBe(true);
    expect(fetched).toEqual(["https://diag.blob.core.windows.net/serial.log?sig=y"]);
  });
});

describe("withVerdicts on a cloud session", () => {
  it("reads the consoles only when asked, and turns a failed read into a reason", async () => {
    const d = session("aws", { region: "eu-west-1" }, "i-0abc");
    expect((await withVerdicts(d)).machines[0]!.idle?.unavailable).toMatch(/^not read: it is on the machine's serial console/);
    const failing = consoleVerdictSource(async () => {
      throw new Error("AccessDenied: ec2:GetConsoleOutput");
    });
    expect((await withVerdicts(d, { source: failing })).machines[0]!.idle).toEqual({ unavailable: "AccessDenied: ec2:GetConsoleOutput" });
    expect((await withVerdicts(d, { source: consoleVerdictSource(async () => "[ 0.0] boot\n") })).machines[0]!.idle).toEqual({
      unavailable: "no verdict yet (the idle agent has not run on it)",
    });
    // A console holds the agent's changes only: the reading says so (enforce then reads an old busy as "busy since").
    expect((await withVerdicts(d, { source: consoleVerdictSource(async () => CONSOLE) })).machines[0]!.idle).toEqual({ verdict: parsed, changesOnly: true });
  });
});
