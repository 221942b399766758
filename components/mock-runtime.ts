/**
 * Pulumi's SDK made light for a run under its mocks (components/offline.ts's recordProgram): what
 * only a real engine reads is left out, each piece put back by the function that installs it.
 * Every piece keeps the SDK's results: `bench/plan-snapshots.mjs --compare` of plans with and
 * without (FORMATIONS_DEBUG keeps the SDK's own code) shows no difference.
 *
 * - property Outputs made on first read (lazyTransfer);
 * - protobuf Structs that keep the plain object (plainStructs);
 * - plain input values serialized synchronously (plainSerializers);
 * - no promise-leak debugging, no stack capture per resource (lightenRuntime);
 * - a registration without dependency URNs, aliases, provider references or a protobuf request
 *   (leanRegistration), answered without a protobuf (lightRegister);
 * - each resource numbered as the program constructs it (numberConstructions).
 */
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";

const require = createRequire(import.meta.url);

/** The SDK module whose `debuggablePromise` wraps every promise the runtime makes. */
interface Debuggable {
  debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T>;
}

type Resolver = (value: unknown, isKnown: boolean, isSecret: boolean, deps?: unknown[], err?: Error) => void;
type Transfer = (onto: object, label: string, props: Record<string, unknown>) => Record<string, Resolver>;

/** The SDK module that gives a custom resource one Output per property (`transferProperties`). */
interface Rpc {
  transferProperties: Transfer;
}

/** A resource whose property Outputs are made on first read: what its registration resolved so far. */
interface Lazy {
  label: string;
  /** Resolver arguments by property, for properties not read yet. */
  settled: Map<string, Parameters<Resolver>>;
  /** The SDK's resolvers of the properties read (made). */
  made: Map<string, Resolver>;
}

const lazies = new WeakMap<object, Lazy>();
/** One getter and setter per property name, shared by every resource (they find theirs by `this`). */
const accessors = new Map<string, PropertyDescriptor>();

/**
 * The SDK's `transferProperties`, each property's Output made on first read instead of up front.
 * A custom resource gets one Output per property of its type (90 for an AWS instance, most of them
 * outputs nothing reads), each of four promises, their resolvers, closures and a Proxy: 4 KB a
 * property that stays alive until the registration settles. Here a property is an accessor until
 * first read (the same getter for every resource, so the resource costs one small record); then
 * the SDK's own code makes its Output, handed whatever the registration already resolved. A
 * registration error makes every Output at once, so a failure rejects as before.
 */
function lazyTransfer(transfer: Transfer): Transfer {
  const make = (onto: object, k: string): unknown => {
    const lazy = lazies.get(onto)!;
    delete (onto as Record<string, unknown>)[k];
    const real = transfer(onto, lazy.label, { [k]: undefined })[k]!;
    lazy.made.set(k, real);
    const settled = lazy.settled.get(k);
    if (settled) {
      lazy.settled.delete(k);
      real(...settled);
    }
    return (onto as Record<string, unknown>)[k];
  };
  const accessor = (k: string): PropertyDescriptor => {
    let a = accessors.get(k);
    if (!a) {
      a = {
        configurable: true,
        enumerable: true,
        get(this: object) {
          return make(this, k);
        },
        set(this: object, v: unknown) {
          Object.defineProperty(this, k, { value: v, writable: true, enumerable: true, configurable: true });
        },
      };
      accessors.set(k, a);
    }
    return a;
  };
  return (onto, label, props) => {
    const keys = Object.keys(props).filter((k) => k !== "id" && k !== "urn");
    const lazy: Lazy = { label, settled: new Map(), made: new Map() };
    lazies.set(onto, lazy);
    for (const k of keys) {
      if (Object.prototype.hasOwnProperty.call(onto, k)) throw new Error(`Property '${k}' is already initialized on target '${label}`);
      Object.defineProperty(onto, k, accessor(k));
    }
    // The resolvers the SDK calls after registering: one made on each lookup (short-lived), over
    // an object with the resource's property names as keys, so Object.keys() lists them.
    const names: Record<string, true> = {};
    for (const k of keys) names[k] = true;
    return new Proxy(names, {
      get(target, k) {
        if (typeof k !== "string" || !Object.prototype.hasOwnProperty.call(target, k)) return undefined;
        return (...args: Parameters<Resolver>) => {
          const real = lazy.made.get(k);
          if (real) return real(...args);
          lazy.settled.set(k, args);
          if (args[4]) make(onto, k);
        };
      },
    }) as unknown as Record<string, Resolver>;
  };
}

/** What a protobuf Struct gives back: a copy, each object's keys in sorted order (its map's order). */
function sortedCopy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedCopy);
  if (typeof v !== "object" || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortedCopy((v as Record<string, unknown>)[k]);
  return out;
}

/** google-protobuf's Struct, as the SDK's runtime loads it. */
interface StructLike {
  toJavaScript(): Record<string, unknown>;
  getFieldsMap(noLazyCreate?: boolean): { set(k: string, v: unknown): unknown; forEach(f: (v: unknown, k: string) => void): void };
}
interface StructClass {
  new (): StructLike;
  fromJavaScript(obj: Record<string, unknown>): StructLike;
}

/**
 * Struct.fromJavaScript without the protobuf, while the mock monitor is the only reader: the SDK
 * packs each registration's inputs (and each call's arguments, each component's outputs) into a
 * protobuf Struct of Values, which the mock monitor unpacks at once with toJavaScript. The Struct
 * made here keeps the plain object and gives back a copy as the protobuf would (keys sorted, as its
 * map iterates them); any other reader (getFieldsMap, and so
 * serializeBinary and toObject) fills the real fields first. Returns the function that puts the
 * SDK's back.
 */
function plainStructs(): () => void {
  const sdk = createRequire(require.resolve("@pulumi/pulumi/runtime/resource.js"));
  const { Struct } = sdk("google-protobuf/google/protobuf/struct_pb") as { Struct: StructClass };
  const from = Struct.fromJavaScript;
  const OBJ = Symbol("plain");
  const FILLED = Symbol("filled");
  class PlainStruct extends Struct {
    [OBJ]: Record<string, unknown>;
    [FILLED] = false;
    constructor(obj: Record<string, unknown>) {
      super();
      this[OBJ] = obj;
    }
    override toJavaScript(): Record<string, unknown> {
      return sortedCopy(this[OBJ]) as Record<string, unknown>;
    }
    override getFieldsMap(noLazyCreate?: boolean): ReturnType<StructLike["getFieldsMap"]> {
      const map = super.getFieldsMap(noLazyCreate);
      if (!this[FILLED]) {
        this[FILLED] = true;
        from(this[OBJ])
          .getFieldsMap()
          .forEach((v, k) => map.set(k, v));
      }
      return map;
    }
  }
  Struct.fromJavaScript = (obj) => new PlainStruct(obj);
  return () => {
    Struct.fromJavaScript = from;
  };
}

/** What `plainSerialized` gives for a value the SDK's own serializer must see (an Output, a Promise, a resource…). */
const NOT_PLAIN = Symbol("not plain");

/**
 * The SDK's serializeProperty of a value made only of primitives, arrays and plain objects, done
 * synchronously: the same result (a function and an object's undefined keys dropped, an array's
 * undefined elements null), without the async call and its promise per key and element. Anything
 * else (a class instance, a key the SDK's markers use) answers NOT_PLAIN.
 */
function plainSerialized(v: unknown, depth = 0): unknown {
  if (v === undefined || v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return v;
  if (typeof v === "function") return undefined;
  if (typeof v !== "object" || depth > 32) return NOT_PLAIN;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Array.prototype) {
    const a = v as unknown[];
    const out: unknown[] = [];
    for (let i = 0; i < a.length; i++) {
      const e = plainSerialized(a[i], depth + 1);
      if (e === NOT_PLAIN) return NOT_PLAIN;
      out.push(e === undefined ? null : e);
    }
    return out;
  }
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    if (k.startsWith("__pulumi")) return NOT_PLAIN;
    const e = plainSerialized((v as Record<string, unknown>)[k], depth + 1);
    if (e === NOT_PLAIN) return NOT_PLAIN;
    if (e !== undefined) out[k] = e;
  }
  return out;
}

type Serialized = [Record<string, unknown>, Map<string, Set<unknown>>];
interface RpcSerializers {
  serializeResourceProperties(label: string, props: Record<string, unknown>, opts?: unknown): Promise<Serialized>;
  serializeProperties(label: string, props: Record<string, unknown>, opts?: unknown): Promise<Record<string, unknown>>;
  serializePropertiesReturnDeps(label: string, props: Record<string, unknown>, opts?: unknown): Promise<Serialized>;
  serializeProperty(ctx: string, prop: unknown, deps: Set<unknown>, opts?: unknown): Promise<unknown>;
}

/**
 * The SDK's property serializers, with plain values taken synchronously: a custom resource's
 * inputs hold a key for every output of its type, undefined (90 for an AWS instance), and most of
 * the rest are strings and numbers, yet the SDK awaits an async call for each, one after the
 * other. The rest (Outputs, promises, resources) go to the SDK's own serializer, as one object;
 * the result keeps the keys' order and gives a plain key no dependencies, as the SDK does.
 * Returns the function that puts the SDK's back.
 */
function plainSerializers(): () => void {
  const rpc = require("@pulumi/pulumi/runtime/rpc.js") as RpcSerializers;
  const { serializeResourceProperties, serializeProperties, serializePropertiesReturnDeps, serializeProperty } = rpc;
  const saved = { serializeResourceProperties, serializeProperties, serializePropertiesReturnDeps, serializeProperty };
  const withDeps = saved.serializePropertiesReturnDeps;
  const filtered = async (label: string, props: Record<string, unknown>, accept: (k: string) => boolean, opts: unknown): Promise<Serialized> => {
    const plain = new Map<string, unknown>();
    const rest: Record<string, unknown> = {};
    let others = false;
    for (const k of Object.keys(props)) {
      if (!accept(k)) continue;
      const s = plainSerialized(props[k]);
      if (s === NOT_PLAIN) {
        rest[k] = props[k];
        others = true;
      } else plain.set(k, s);
    }
    const [done, doneDeps]: Serialized = others ? await withDeps(label, rest, opts) : [{}, new Map()];
    const result: Record<string, unknown> = {};
    const deps = new Map<string, Set<unknown>>();
    for (const k of Object.keys(props)) {
      const v = plain.has(k) ? plain.get(k) : done[k];
      if (v === undefined) continue;
      result[k] = v;
      deps.set(k, plain.has(k) ? new Set() : doneDeps.get(k)!);
    }
    return [result, deps];
  };
  const all = () => true;
  rpc.serializeResourceProperties = (label, props, opts) => filtered(label, props, (k) => k !== "id" && k !== "urn", opts);
  rpc.serializePropertiesReturnDeps = (label, props, opts) => filtered(label, props, all, opts);
  rpc.serializeProperties = async (label, props, opts) => (await filtered(label, props, all, opts))[0];
  rpc.serializeProperty = (ctx, prop, deps, opts) => {
    const s = plainSerialized(prop);
    return s === NOT_PLAIN ? saved.serializeProperty(ctx, prop, deps, opts) : Promise.resolve(s);
  };
  return () => {
    Object.assign(rpc, saved);
  };
}

const pass = <T>(v: T): T => v;
const rethrow = (err: unknown): never => {
  throw err;
};

/**
 * Turns off per-resource costs of the SDK that only serve a real engine, for the time of a mock
 * run: every promise the runtime makes (about 20 per output property: 600 for one Azure VM) is
 * wrapped by `debuggablePromise` in two more promises with two closures each, three property
 * definitions, a stack trace and a leak-detection set, to report promises a program leaks (kept:
 * the two promises); and every resource captures its full stack (the limit set to Infinity, then
 * parsed into file URLs) as a source position for the engine's diagnostics. The mock monitor
 * reads neither, and the recorded resources are the same without them. And a custom resource's
 * property Outputs are made when read (lazyTransfer), Structs keep the plain object
 * (plainStructs), plain inputs are serialized synchronously (plainSerializers). Returns the
 * function that puts all of it back. FORMATIONS_DEBUG keeps the SDK's own code.
 */
export function lightenRuntime(): () => void {
  if (process.env.FORMATIONS_DEBUG) return () => {};
  const rpc = require("@pulumi/pulumi/runtime/rpc.js") as Rpc;
  const transfer = rpc.transferProperties;
  rpc.transferProperties = lazyTransfer(transfer);
  const structs = plainStructs();
  const serializers = plainSerializers();
  const debuggable = require("@pulumi/pulumi/runtime/debuggable.js") as Debuggable;
  const wrap = debuggable.debuggablePromise;
  const resource = pulumi.Resource as unknown as { callsites(): unknown[] };
  const callsites = Object.getOwnPropertyDescriptor(resource, "callsites");
  // The same two hops as the SDK's wrapper (then, catch), so registrations keep their order.
  debuggable.debuggablePromise = (p) => p.then(pass).catch(rethrow);
  resource.callsites = () => [];
  return () => {
    rpc.transferProperties = transfer;
    structs();
    serializers();
    debuggable.debuggablePromise = wrap;
    if (callsites) Object.defineProperty(resource, "callsites", callsites);
  };
}

/**
 * Numbers each resource as the program constructs it (the SDK's Resource constructor calls
 * runtime/resource.js's registerResource at once, before any await). Returns the numbers, by
 * `type::name`, and the function that puts the SDK's back.
 */
export function numberConstructions(): { seq: Map<string, number>; restore(): void } {
  const runtime = require("@pulumi/pulumi/runtime/resource.js") as {
    registerResource(res: unknown, parent: unknown, t: string, name: string, ...rest: unknown[]): void;
  };
  const register = runtime.registerResource;
  const seq = new Map<string, number>();
  runtime.registerResource = (res, parent, t, name, ...rest) => {
    if (!seq.has(`${t}::${name}`)) seq.set(`${t}::${name}`, seq.size);
    register(res, parent, t, name, ...rest);
  };
  return {
    seq,
    restore: () => {
      runtime.registerResource = register;
    },
  };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

type RegisterArgs = [
  res: Record<string, unknown>,
  parent: { urn: { promise(): Promise<string> } } | undefined,
  t: string,
  name: string,
  custom: boolean,
  remote: boolean,
  newDependency: unknown,
  props: Record<string, unknown>,
  opts: { urn?: unknown; import?: string },
  ...rest: unknown[],
];

interface RpcResolve {
  transferProperties: Transfer;
  serializeResourceProperties(label: string, props: Record<string, unknown>, opts?: unknown): Promise<[Record<string, unknown>, unknown]>;
  deserializeProperties(struct: { toJavaScript(): unknown }, keepUnknowns?: boolean): Record<string, unknown>;
  resolveProperties(
    res: unknown,
    resolvers: Record<string, Resolver>,
    t: string,
    name: string,
    all: Record<string, unknown>,
    deps: object,
    err?: unknown,
    keepUnknowns?: boolean,
  ): void;
}

/**
 * The SDK's registerResource (runtime/resource.js) for a run whose only reader is the mock
 * monitor: the resource's urn and id Outputs and its property Outputs are made as the SDK makes
 * them, its inputs serialized by the SDK's serializer and its parent's urn awaited; then the
 * monitor's registerResource gets a request with what a mock reads (type, name, parent, custom,
 * inputs, import id), and its answer resolves the Outputs with the SDK's resolveProperties. What
 * only an engine reads is left out: dependency URNs (transitively through components), aliases,
 * provider references, hooks, and the protobuf request of some 40 fields. A remote component or a
 * resource read by URN goes through the SDK's own. Returns the function that puts the SDK's back.
 */
export function leanRegistration(monitor: MockMonitor): () => void {
  const runtime = require("@pulumi/pulumi/runtime/resource.js") as { registerResource(...args: RegisterArgs): void };
  const settings = require("@pulumi/pulumi/runtime/settings.js") as { rpcKeepAlive(): () => void };
  const rpc = require("@pulumi/pulumi/runtime/rpc.js") as RpcResolve;
  const Output = pulumi.Output as unknown as new (
    res: unknown,
    p: Promise<unknown>,
    known: Promise<boolean>,
    secret: Promise<boolean>,
    all: Promise<unknown>,
  ) => pulumi.Output<unknown>;
  const sdk = runtime.registerResource;
  const output = (res: unknown, value: Deferred<unknown>, known: Deferred<boolean>) =>
    new Output(res, value.promise, known.promise, Promise.resolve(false), Promise.resolve(res));
  runtime.registerResource = (...args) => {
    const [res, parent, t, name, custom, remote, , props, opts] = args;
    if (remote || opts.urn !== undefined) return sdk(...args);
    const label = `resource:${name}[${t}]`;
    const done = settings.rpcKeepAlive();
    const urn = deferred<unknown>();
    const urnKnown = deferred<boolean>();
    res.urn = output(res, urn, urnKnown);
    const id = custom ? deferred<unknown>() : undefined;
    const idKnown = custom ? deferred<boolean>() : undefined;
    if (id && idKnown) res.id = output(res, id, idKnown);
    // Before any await, as the SDK does: the resource is whole when its constructor returns.
    const resolvers = custom ? rpc.transferProperties(res, label, props) : {};
    const fail = (err: unknown) => {
      for (const d of [urn, urnKnown, id, idKnown]) d?.reject(err);
      rpc.resolveProperties(res, resolvers, t, name, {}, {}, err, false);
    };
    void (async () => {
      const [serialized] = await rpc.serializeResourceProperties(label, props, {});
      const parentUrn = parent ? await parent.urn.promise() : "";
      const request: MockRequest = {
        getType: () => t,
        getName: () => name,
        getParent: () => parentUrn,
        getCustom: () => custom,
        getObject: () => ({ toJavaScript: () => sortedCopy(serialized) }),
        getProvider: () => "",
        getImportid: () => (custom ? (opts.import ?? "") : ""),
      };
      await new Promise<void>((settled) => {
        monitor.registerResource(request, (err, resp) => {
          if (err) {
            fail(new Error(`failed to register new resource ${name} [${t}]: ${err instanceof Error ? err.message : String(err)}`));
          } else {
            const r = resp as MockResponse;
            urn.resolve(r.getUrn());
            urnKnown.resolve(true);
            const given = r.getId() || undefined;
            id?.resolve(given);
            idKnown?.resolve(given !== undefined);
            rpc.resolveProperties(res, resolvers, t, name, rpc.deserializeProperties(r.getObject(), false), {}, undefined, false);
          }
          settled();
        });
      });
    })()
      .catch(fail)
      .finally(done);
  };
  return () => {
    runtime.registerResource = sdk;
  };
}

interface MockResponse {
  getUrn(): string;
  getId(): string;
  getObject(): { toJavaScript(): unknown };
}

/** The parts of the SDK's MockMonitor (runtime/mocks.js) that a registration uses. */
export interface MockMonitor {
  mocks: pulumi.runtime.Mocks;
  resources: Map<string, { urn: string; id: string | null; state: unknown }>;
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: MockRequest, cb: (err: unknown, res: unknown) => void): unknown;
}

interface RpcSerde {
  deserializeProperties(struct: unknown): Record<string, unknown>;
  serializeProperties(label: string, props: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/**
 * The mock monitor's registerResource, step for step (same awaits, so registrations keep their
 * order), except its answer: the SDK's mock packs the resource's state into a protobuf Struct
 * that the SDK unpacks at once, and then formats the whole response into a debug message that is
 * never printed (`${innerResponse}` in runtime/resource.js). Here the answer hands over the
 * serialized state as it is and prints as its name: for an Azure VM's five resources that was a
 * third of the monitor's time.
 */
export function lightRegister(monitor: MockMonitor): MockMonitor["registerResource"] {
  const rpc = require("@pulumi/pulumi/runtime/rpc.js") as RpcSerde;
  return async (req, cb) => {
    try {
      const result = await monitor.mocks.newResource({
        type: req.getType(),
        name: req.getName(),
        inputs: rpc.deserializeProperties(req.getObject()),
        provider: req.getProvider(),
        custom: req.getCustom(),
        id: req.getImportid(),
      });
      const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
      const state = await rpc.serializeProperties("", result.state as Record<string, unknown>);
      monitor.resources.set(urn, { urn, id: result.id ?? null, state });
      const id = result.id || "";
      const object = { toJavaScript: () => state };
      cb(null, {
        getUrn: () => urn,
        getId: () => id,
        getObject: () => object,
        getPropertydependenciesMap: () => undefined,
        getResult: () => 0, // Result.SUCCESS
        toString: () => `RegisterResourceResponse(${urn})`,
      });
    } catch (err) {
      cb(err, undefined);
    }
  };
}

interface MockRequest {
  getObject(): unknown;
  getProvider(): string;
  getImportid(): string;
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
}
