/**
 * Runs a Pulumi program under Pulumi's own in-process mock runtime: no engine, no CLI, no
 * credentials, no network. Records every resource registered (type, name, parent, inputs) so
 * `formations plan` can print the tree and tests can assert on it.
 */
import * as pulumi from "@pulumi/pulumi";
import { CLOUDS } from "../clouds/index.js";
import { leanRegistration, lightenRuntime, lightRegister, numberConstructions, type MockMonitor } from "./mock-runtime.js";

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
/** Deterministic fake addresses and ids, so plans print the same twice; each cloud adds its own resources' outputs. */
function fakeState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const n = ++counter;
  const ip = `10.42.${Math.floor(n / 250) % 250}.${(n % 250) + 4}`;
  const at = { ip, publicIp: `198.51.100.${(n % 250) + 1}` };
  const inputs = args.inputs as Record<string, unknown>;
  return {
    ...inputs,
    privateIp: ip,
    privateIpAddress: ip,
    ipAddress: ip,
    dnsName: `${args.name}.mock.internal`,
    // The random provider's outputs (secrets, keys).
    result: `mock-secret-${args.name}`,
    base64: Buffer.from(`mock-secret-${args.name}`).toString("base64"),
    hex: "00",
    name: inputs.name ?? args.name,
    ...Object.assign({}, ...Object.values(CLOUDS).map((c) => c.mocks.state(args.type, args.name, inputs, at))),
  };
}

function fakeCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  for (const c of Object.values(CLOUDS)) {
    const answer = c.mocks.call(args.token, inputs);
    if (answer) return answer;
  }
  return { ...inputs, id: `mock-${args.token.split(":").pop() ?? "call"}` };
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
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
  const register = process.env.FORMATIONS_DEBUG ? monitor.registerResource.bind(monitor) : lightRegister(monitor);
  monitor.registerResource = (req, cb) => {
    const parentUrn = req.getParent();
    order.push({
      type: req.getType(),
      name: req.getName(),
      parent: parentUrn ? (parentUrn.split("::").pop() ?? null) : null,
      urn: "",
      custom: req.getCustom(),
      inputs: {},
    });
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
  const restore = lightenRuntime();
  const unlean = process.env.FORMATIONS_DEBUG ? () => {} : leanRegistration(monitor);
  const unnumber = numberConstructions();
  try {
    await program();
    // Waits until every registration (and every apply that registers more) has settled.
    await pulumi.runtime.disconnect();
  } finally {
    unnumber.restore();
    unlean();
    restore();
    process.off("unhandledRejection", onRejection);
  }
  const project = opts.project ?? "formations";
  const stack = opts.stack ?? "plan";
  // In the order the program constructed them: the order they reach the monitor follows how many
  // awaits each one's inputs took, which is the SDK's business, not the formation's.
  const seq = (r: RecordedResource) => unnumber.seq.get(`${r.type}::${r.name}`) ?? Number.MAX_SAFE_INTEGER;
  order.sort((a, b) => seq(a) - seq(b));
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
