// The time the session library adds around an operation: everything but the engine (reading and
// validating the formation, planning, the session record in config and state, tags, the journal,
// events, the per-session lock and the concurrency bound). The engine is a stub that answers at
// once; the baseline makes the very engine calls `up` makes, on the same stub, with none of the
// library around them. Per session (sequential ups), and 50 sessions at once.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { ROOT, interleave, row, runsFromEnv, side, tempDir } from "./lib.mjs";

export const name = "sessions";
export const description = "library overhead around `up` (engine stubbed): one session at a time, and 50 in parallel";

const BATCH = 20; // sequential ups per sample: one up is too short to time alone
const PARALLEL = 50;

const FORMATION = `apiVersion: formations/v1
kind: Pool
metadata:
  name: bench
  labels: { team: bench, course: perf101 }
cloud:
  provider: docker
spec:
  count: 3
  machine:
    image: formations-test/busybox:latest
`;

/** A stub of the Engine interface (automation/session/engine.ts): in memory, answers at once. */
class StubEngine {
  stacks = new Map();
  get(n) {
    const s = this.stacks.get(n);
    if (!s) throw Object.assign(new Error(`error: no stack named '${n}' found`), { name: "StackNotFoundError" });
    return s;
  }
  async prepare() {}
  async whoami() {
    return "bench";
  }
  async listStacks() {
    return [...this.stacks.keys()].map((name) => ({ name }));
  }
  async stackTags(n) {
    return { ...this.get(n).tags };
  }
  async selectStack(n) {
    this.get(n);
    return new StubStack(this, n);
  }
  async createOrSelectStack(n) {
    if (!this.stacks.has(n)) this.stacks.set(n, { config: {}, tags: {}, outputs: {}, deployment: { version: 3, deployment: { resources: [] } } });
    return new StubStack(this, n);
  }
  async removeStack(n) {
    this.stacks.delete(n);
  }
  async close() {}
}

class StubStack {
  constructor(engine, name) {
    this.engine = engine;
    this.name = name;
  }
  get s() {
    return this.engine.get(this.name);
  }
  async getConfig() {
    return this.s.config;
  }
  async setConfig(values) {
    Object.assign(this.s.config, values);
  }
  async getTags() {
    return this.s.tags;
  }
  async setTags(set, remove = []) {
    Object.assign(this.s.tags, set);
    for (const k of remove) delete this.s.tags[k];
  }
  async up() {
    const machines = ["machine-1", "machine-2", "machine-3"].map((m, i) => ({ name: m, cloudId: `id-${this.name}-${m}`, privateIp: `10.0.0.${i + 2}` }));
    this.s.outputs = { machines: { value: machines, secret: false } };
    this.s.deployment = {
      version: 3,
      deployment: {
        resources: [{ urn: `urn:pulumi:${this.name}::formations::pulumi:pulumi:Stack::formations-${this.name}`, type: "pulumi:pulumi:Stack", outputs: {} }],
      },
    };
    return { changes: { create: 3 }, outputs: this.s.outputs };
  }
  async preview() {
    return { changes: { create: 3 } };
  }
  async refresh() {
    return { changes: {} };
  }
  async destroy() {
    return { changes: {} };
  }
  async outputs() {
    return this.s.outputs;
  }
  async exportState() {
    return this.s.deployment;
  }
  async importState(d) {
    this.s.deployment = d;
  }
  async cancel() {}
}

/** The engine calls one `up` makes (automation/session/engine-operations.ts), made directly: the baseline. */
async function bareUp(engine, session, config) {
  const stack = await engine.createOrSelectStack(session);
  await Promise.all([stack.outputs(), stack.getConfig(), stack.exportState()]);
  await stack.setConfig(config);
  const tags = await stack.getTags();
  await stack.setTags(tags);
  await stack.up({});
  await stack.setConfig(config);
  await stack.importState(await stack.exportState());
}

export async function run() {
  const runs = runsFromEnv(15);
  const { dir, cleanup } = await tempDir("sessions");
  try {
    const { Sessions } = await import(pathToFileURL(join(ROOT, "dist", "automation", "sessions.js")).href);
    const file = join(dir, "pool.yaml");
    await writeFile(file, FORMATION);
    const config = { "formations:formation": { value: FORMATION, secret: true } };
    let n = 0;
    const make = (engine, concurrency) =>
      new Sessions({
        engine,
        home: join(dir, "home"),
        env: { FORMATIONS_HOME: join(dir, "home"), PULUMI_CONFIG_PASSPHRASE: "bench" },
        actor: "bench@host",
        concurrency,
        onEvent: () => {},
      });

    // Every up must succeed on both sides, or they would not do the same work.
    const ensure = (r) => {
      if (r.result !== "ok" || r.machines.length !== 3) throw new Error(`up returned ${JSON.stringify(r)}`);
    };

    const perSession = async (useLibrary) => {
      const engine = new StubEngine();
      const sessions = make(engine, 4);
      const t0 = performance.now();
      for (let i = 0; i < BATCH; i++) {
        const session = `s-${n++}`;
        if (useLibrary) ensure(await sessions.up(file, { session }));
        else await bareUp(engine, session, config);
      }
      return (performance.now() - t0) / BATCH;
    };
    const parallel = async (useLibrary) => {
      const engine = new StubEngine();
      const sessions = make(engine, PARALLEL);
      const names = Array.from({ length: PARALLEL }, () => `p-${n++}`);
      const t0 = performance.now();
      if (useLibrary) (await Promise.all(names.map((session) => sessions.up(file, { session })))).forEach(ensure);
      else await Promise.all(names.map((session) => bareUp(engine, session, config)));
      return performance.now() - t0;
    };

    const [one, oneBare] = await interleave([() => perSession(true), () => perSession(false)], { runs, warmup: 2 });
    const [many, manyBare] = await interleave([() => parallel(true), () => parallel(false)], { runs, warmup: 2 });
    return [
      row({
        bench: name,
        case: "1 session",
        compared: `Sessions.up of a 3-machine docker Pool with the engine stubbed vs the same engine calls made directly (mean of ${BATCH} sequential ups per sample)`,
        runs,
        ours: side("Sessions.up", one),
        baseline: side("engine calls only", oneBare),
        target: { metric: "diffMs", max: 10 },
        note: "diff = what the library adds per operation",
      }),
      row({
        bench: name,
        case: `${PARALLEL} sessions at once`,
        compared: `${PARALLEL} Sessions.up on distinct sessions in parallel (concurrency ${PARALLEL}) vs the same engine calls in parallel`,
        runs,
        ours: side(`${PARALLEL} x Sessions.up`, many),
        baseline: side("engine calls only", manyBare),
        target: { metric: "diffMs", max: 250 },
        note: "diff = what the library adds for the whole batch",
      }),
    ];
  } finally {
    await cleanup();
  }
}
