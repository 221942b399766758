/**
 * `formations plan <file> [--json]`: compiles the formation with Pulumi's own SDK under its
 * in-process mock runtime (no credentials, network or Pulumi CLI) and prints the resource tree
 * the engine would create, with an hourly cost estimate.
 */
import { loadFormation } from "../format/load.js";
import { planSession, SESSION_NAME } from "../plan/index.js";
import type { SessionPlan } from "../plan/types.js";
import type { RecordedResource } from "../components/offline.js";
import { EXIT, UsageError } from "./exit.js";
import type { Output } from "./output.js";

/** The spec's `plan --json` shape (plus `notes` and `cost.source`, which are additions). */
export interface PlanJson {
  session: string;
  resources: { type: string; name: string; parent: string | null; inputs: Record<string, unknown> }[];
  cost: { hourlyUsd: number; lines: { item: string; count: number; hourlyUsd: number }[]; source: string };
  notes: string[];
}

export function planJson(plan: SessionPlan, resources: readonly RecordedResource[], redact: (v: unknown) => unknown): PlanJson {
  return {
    session: plan.session,
    resources: resources.map((r) => ({ type: r.type, name: r.name, parent: r.parent, inputs: redact(r.inputs) as Record<string, unknown> })),
    cost: { hourlyUsd: plan.cost.hourlyUsd, lines: plan.cost.lines, source: plan.cost.source },
    notes: plan.notes,
  };
}

/** Renders the tree as `pulumi preview` does: type and name columns, children indented under parents. */
export function renderTree(resources: readonly { type: string; name: string; parent: string | null }[]): string[] {
  const children = new Map<string | null, (typeof resources)[number][]>();
  for (const r of resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const known = new Set(resources.map((r) => r.name));
  const rows: [string, string][] = [];
  const walk = (parent: string | null, prefix: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      const branch = parent === null ? "" : last ? "└─ " : "├─ ";
      rows.push([`${prefix}${branch}${r.type}`, r.name]);
      walk(r.name, parent === null ? prefix : `${prefix}${last ? "   " : "│  "}`);
    });
  };
  walk(null, "");
  // Resources whose parent was not recorded (should not happen) still show, at the top.
  for (const [parent] of children) if (parent !== null && !known.has(parent)) walk(parent, "");
  const width = Math.max(4, ...rows.map(([t]) => t.length)) + 2;
  return [`     ${"Type".padEnd(width)}Name`, ...rows.map(([t, n]) => ` +   ${t.padEnd(width)}${n}`)];
}

function usd(n: number): string {
  return `$${n.toFixed(n < 1 ? 4 : 2)}`;
}

export async function planCommand(file: string, opts: { json?: boolean; session?: string }, io: Output): Promise<number> {
  if (opts.session !== undefined && !SESSION_NAME.test(opts.session)) {
    throw new UsageError(`invalid --session '${opts.session}': use lower-case letters, digits and dashes, starting with a letter, at most 40 characters`);
  }
  const formation = await loadFormation(file);
  const plan = planSession(formation, opts.session ? { session: opts.session } : {});
  // Pulumi is loaded only now, after the formation is known to be valid, and without the closure
  // serialiser (TypeScript, arborist) that a plan never calls.
  (await import("../components/sdk-load.js")).deferClosureSerializer();
  const { recordProgram, redact } = await import("../components/offline.js");
  const { emitPlan } = await import("../components/index.js");
  // Pulumi's SDK records a stack trace on every promise it makes, to debug leaks in real runs;
  // offline that is most of the time and memory of a large plan. FORMATIONS_DEBUG keeps them.
  const stackTraceLimit = Error.stackTraceLimit;
  if (!process.env.FORMATIONS_DEBUG) Error.stackTraceLimit = 0;
  let rec;
  try {
    rec = await recordProgram(() => emitPlan(plan), { stack: plan.session });
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (rec.errors.length > 0) {
    io.err(`formations: plan of ${file} failed while compiling:`);
    for (const e of rec.errors) io.err(`  ${e}`);
    return EXIT.failed;
  }
  if (opts.json) {
    io.out(JSON.stringify(planJson(plan, rec.resources, redact), null, 2));
    return EXIT.ok;
  }
  io.out(`Plan of session '${plan.session}' (${plan.kind} on ${plan.provider}${plan.region ? `, ${plan.region}` : ""}): offline, nothing is created`);
  io.out("");
  for (const line of renderTree(rec.resources)) io.out(line);
  io.out("");
  io.out(`Resources:\n    + ${rec.resources.length} to create`);
  io.out("");
  io.out(`Estimated cost: ${usd(plan.cost.hourlyUsd)}/hour while running (${usd(plan.cost.hourlyUsd * 24 * 30)}/month)`);
  const width = Math.max(...plan.cost.lines.map((l) => l.item.length), 4);
  for (const l of plan.cost.lines) io.out(`    ${l.item.padEnd(width)}  x${String(l.count).padEnd(5)} ${usd(l.hourlyUsd)}/h`);
  io.out(`    prices: ${plan.cost.source}`);
  for (const n of plan.notes) io.out(`note: ${n}`);
  return EXIT.ok;
}
