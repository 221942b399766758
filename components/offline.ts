/**
 * Runs a Pulumi program under Pulumi's own in-process mock runtime: no engine, no CLI, no
 * credentials, no network. Records every resource registered (type, name, parent, inputs) so
 * `formations plan` can print the tree and tests can assert on it.
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  type: string;
  name: string;
  /** The parent's name, or null at the top. */
  parent: string | null;
  urn: string;
  custom: boolean;
  /** Inputs as Pulumi received them; secret values are wrapped (see `redact`). */
  inputs: Record<string, unknown>;
}

export interface Recording {
  resources: RecordedResource[];
  calls: { token: string; inputs: Record<string, unknown> }[];
  /** Outputs registered by components (`registerOutputs`), by resource name; secrets wrapped. */
  outputs: Map<string, Record<string, unknown>>;
  errors: string[];
}

/** The key Pulumi uses to mark a serialized secret. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Replaces every secret value with the string "[secret]" (the contract of `plan --json`). */
export function redact(value: unknown): unknown {
  if (isSecretValue(value)) return "[secret]";
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v);
    return out;
  }
  return value;
}

/** Unwraps secrets (for tests that check a secret's plain value never leaks elsewhere). */
export function unwrapSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  return value;
}

let counter = 0;
/** Deterministic fake addresses and ids, so plans print the same twice. */
function fakeState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const n = ++counter;
  const ip = `10.42.${Math.floor(n / 250) % 250}.${(n % 250) + 4}`;
  return {
    ...args.inputs,
    arn: `arn:mock:${args.type}:${args.name}`,
    privateIp: ip,
    privateIpAddress: ip,
    ipAddress: ip,
    publicIp: args.inputs.associatePublicIpAddress ? `198.51.100.${(n % 250) + 1}` : undefined,
    dnsName: `${args.name}.mock.internal`,
    masterPublicDns: `${args.name}-master.mock.internal`,
    result: `mock-secret-${args.name}`,
    base64: Buffer.from(`mock-secret-${args.name}`).toString("base64"),
    hex: "00",
    name: args.inputs.name ?? args.name,
    // Docker: a pulled image's id (its reference, so plans read well) and a container's address
    // on each network it joins; without them every docker machine's outputs stay unknown.
    ...(args.type === "docker:index/remoteImage:RemoteImage" ? { imageId: args.inputs.name } : {}),
    ...(Array.isArray(args.inputs.networksAdvanced) ? { networkDatas: (args.inputs.networksAdvanced as { name?: string }[]).map((net) => ({ networkName: net.name, ipAddress: ip })) } : {}),
    // OpenStack: a port's addresses, a floating IP's public address, a Manila share's export.
    ...(args.type === "openstack:networking/port:Port" ? { allFixedIps: [ip] } : {}),
    ...(args.type === "openstack:networking/floatingIp:FloatingIp" ? { address: `198.51.100.${(n % 250) + 1}` } : {}),
    ...(args.type === "openstack:sharedfilesystem/share:Share" ? { exportLocations: [{ path: `${args.name}.mock.internal:/shares/${args.name}`, preferred: "true" }] } : {}),
    // Azure: a NIC's private address is on its IP configuration; a public IP resource's is public.
    ...(args.type === "azure-native:network:NetworkInterface" && Array.isArray(args.inputs.ipConfigurations)
      ? { ipConfigurations: (args.inputs.ipConfigurations as Record<string, unknown>[]).map((c) => ({ ...c, privateIPAddress: ip })) }
      : {}),
    ...(args.type === "azure-native:network:PublicIPAddress" ? { ipAddress: `198.51.100.${(n % 250) + 1}` } : {}),
    // GCP: an instance's addresses are on its network interface (external only with an access
    // config); a Filestore instance's on its network.
    ...(args.type === "gcp:compute/instance:Instance" && Array.isArray(args.inputs.networkInterfaces)
      ? {
          networkInterfaces: (args.inputs.networkInterfaces as Record<string, unknown>[]).map((nic) => ({
            ...nic,
            networkIp: ip,
            accessConfigs: ((nic.accessConfigs ?? []) as Record<string, unknown>[]).map((a) => ({ ...a, natIp: `198.51.100.${(n % 250) + 1}` })),
          })),
        }
      : {}),
    ...(args.type === "gcp:filestore/instance:Instance" && Array.isArray(args.inputs.networks) ? { networks: (args.inputs.networks as Record<string, unknown>[]).map((net) => ({ ...net, ipAddresses: [ip] })) } : {}),
  };
}

function fakeCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  const token = args.token;
  if (token.endsWith("getAmi:getAmi")) return { id: "ami-0mock0000000000000", imageId: "ami-0mock0000000000000", name: String(args.inputs.filters?.[0]?.values?.[0] ?? "image") };
  if (token.endsWith("getAvailabilityZones:getAvailabilityZones")) return { names: ["mock-zone-a", "mock-zone-b"], zoneIds: ["z1", "z2"] };
  if (token.endsWith("getCallerIdentity:getCallerIdentity")) return { accountId: "000000000000", arn: "arn:mock", userId: "mock" };
  if (token.endsWith("getPartition:getPartition")) return { partition: "aws", dnsSuffix: "amazonaws.com" };
  if (token.endsWith("getRegion:getRegion")) return { name: "mock-region", region: "mock-region" };
  // Azure: a storage account's keys (a mock secret: it must never show in plain), a given VNet's subnets.
  if (token === "azure-native:storage:listStorageAccountKeys") return { keys: [{ keyName: "key1", permissions: "Full", value: "mock-secret-storage-key" }] };
  if (token === "azure-native:network:getVirtualNetwork") {
    const id = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${String(args.inputs.resourceGroupName)}/providers/Microsoft.Network/virtualNetworks/${String(args.inputs.virtualNetworkName)}`;
    return { id, name: args.inputs.virtualNetworkName, subnets: [{ id: `${id}/subnets/default`, name: "default" }] };
  }
  // OpenStack: a Glance image per name (so plans show which image each server boots).
  if (token === "openstack:images/getImage:getImage") return { id: `mock-image-${String(args.inputs.name ?? "image").toLowerCase().replace(/[^a-z0-9]+/g, "-")}`, name: args.inputs.name };
  return { ...args.inputs, id: `mock-${token.split(":").pop() ?? "call"}` };
}

/**
 * Runs `program` under mocks and records what it registers. `program` returns when it has
 * created its resources; the recording waits until every registration has settled.
 */
export async function recordProgram(program: () => Promise<unknown>, opts: { project?: string; stack?: string } = {}): Promise<Recording> {
  counter = 0;
  const calls: Recording["calls"] = [];
  const order: RecordedResource[] = [];
  const inputs = new Map<string, Record<string, unknown>>();
  const errors: string[] = [];
  const outputs = new Map<string, Record<string, unknown>>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        inputs.set(`${args.type}::${args.name}`, args.inputs as Record<string, unknown>);
        return { id: args.id || `${args.name}-id`, state: fakeState(args) };
      },
      call(args) {
        calls.push({ token: args.token, inputs: args.inputs as Record<string, unknown> });
        return fakeCall(args);
      },
    },
    opts.project ?? "formations",
    opts.stack ?? "plan",
    true,
  );
  // Pulumi's mock monitor does not pass the parent to the mocks: read it off the request.
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: MockRequest, cb: (err: unknown, res: unknown) => void): unknown };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const parentUrn = req.getParent();
    order.push({ type: req.getType(), name: req.getName(), parent: parentUrn ? (parentUrn.split("::").pop() ?? null) : null, urn: "", custom: req.getCustom(), inputs: {} });
    return register(req, (err, res) => {
      if (err) errors.push(`${req.getType()} ${req.getName()}: ${String(err)}`);
      cb(err, res);
    });
  };
  const monitorOutputs = monitor as unknown as { registerResourceOutputs(req: OutputsRequest, cb: (err: unknown, res: unknown) => void): unknown };
  const registerOutputs = monitorOutputs.registerResourceOutputs.bind(monitorOutputs);
  monitorOutputs.registerResourceOutputs = (req, cb) => {
    outputs.set(req.getUrn().split("::").pop() ?? "", (req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>);
    return registerOutputs(req, cb);
  };
  const onRejection = (reason: unknown) => errors.push(reason instanceof Error ? reason.message : String(reason));
  process.on("unhandledRejection", onRejection);
  try {
    await program();
    // Waits until every registration (and every apply that registers more) has settled.
    await pulumi.runtime.disconnect();
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  const project = opts.project ?? "formations";
  const stack = opts.stack ?? "plan";
  for (const r of order) {
    r.inputs = inputs.get(`${r.type}::${r.name}`) ?? {};
    r.urn = `urn:pulumi:${stack}::${project}::${r.type}::${r.name}`;
  }
  return { resources: order, calls, outputs, errors };
}

interface OutputsRequest {
  getUrn(): string;
  getOutputs(): { toJavaScript(): unknown } | undefined;
}

interface MockRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
}
