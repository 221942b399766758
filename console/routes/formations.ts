/**
 * The Formations view: the formation files of the console's folder, each one's validation
 * errors (line, column, hint: `validateFormation`, as `formations validate`) or its plan (the
 * resource tree and hourly cost of `formations plan`), and its launch (`sessions.up`), confirmed
 * with what it will create and cost; progress arrives as the engine's events.
 *
 * Only files inside the folder are read: a path is resolved, must stay inside the folder (links
 * included) and be a formation file the folder listing shows.
 */
import { readFile, realpath } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { Hono } from "hono";
import { validateFormation } from "../../format/load.js";
import { planSession, SESSION_NAME } from "../../plan/index.js";
import { expandPaths } from "../../cli/files.js";
import { body, json, messageOf, str, unconfirmed, type ConsoleContext } from "../context.js";

/** A formation says so on a line of its own; other YAML (CI files, Pulumi.yaml) is not offered. */
const FORMATION = /^\s*apiVersion:\s*["']?formations\//m;

/** Every formation file under `dir`: *.yaml / *.yml naming `apiVersion: formations/...` (dot-folders and node_modules skipped, links not followed). */
export async function formationFiles(dir: string): Promise<{ rel: string; abs: string }[]> {
  const found = (await expandPaths([dir]).catch(() => [])).map((f) => f.path);
  const kept = await Promise.all(found.map(async (abs) => (FORMATION.test(await readFile(abs, "utf8").catch(() => "")) ? [abs] : [])));
  return kept.flat().map((abs) => ({ rel: relative(dir, abs).split(sep).join("/"), abs }));
}

/** The absolute path of `rel` when it names a formation file inside `dir`, else why not. */
export async function insideFolder(dir: string, rel: string | undefined): Promise<{ abs: string } | { error: string }> {
  if (!rel || !/\.ya?ml$/i.test(rel) || isAbsolute(rel)) return { error: "name a formation file of the folder (a relative *.yaml path)" };
  const abs = resolve(dir, rel);
  const real = await realpath(abs).catch(() => undefined);
  const root = await realpath(dir).catch(() => dir);
  const within = (p: string) => p === root || p.startsWith(root + sep);
  if (!real || !within(real) || !within(abs)) return { error: `no formation file '${rel}' in ${dir}` };
  return { abs };
}

export function formationRoutes(app: Hono, ctx: ConsoleContext): void {
  app.get("/api/formations", async (c) => {
    const files = await formationFiles(ctx.dir);
    const rows = await Promise.all(
      files.map(async (f) => {
        const r = await validateFormation(f.abs);
        return r.valid
          ? { file: f.rel, valid: true, name: r.formation.metadata.name, kind: r.formation.kind, provider: r.formation.cloud.provider }
          : { file: f.rel, valid: false, errors: r.errors.length };
      }),
    );
    return json(c, { dir: ctx.dir, files: rows });
  });

  app.get("/api/formations/check", async (c) => {
    const where = await insideFolder(ctx.dir, c.req.query("file"));
    if ("error" in where) return json(c, { error: where.error }, 400);
    const r = await validateFormation(where.abs);
    if (!r.valid)
      return json(c, {
        valid: false,
        errors: r.errors.map((e) => ({ line: e.line, col: e.col, pointer: e.pointer, message: e.message, ...(e.hint ? { hint: e.hint } : {}) })),
      });
    try {
      return json(c, {
        valid: true,
        name: r.formation.metadata.name,
        kind: r.formation.kind,
        provider: r.formation.cloud.provider,
        plan: await ctx.plan(where.abs),
      });
    } catch (err) {
      return json(c, { valid: true, name: r.formation.metadata.name, kind: r.formation.kind, provider: r.formation.cloud.provider, planError: messageOf(err) });
    }
  });

  app.post("/api/formations/launch", async (c) => {
    const b = await body(c);
    const where = await insideFolder(ctx.dir, str(b?.file));
    if (!b || "error" in where) return json(c, { error: b && "error" in where ? where.error : "a JSON object is expected" }, 400);
    const r = await validateFormation(where.abs);
    if (!r.valid) return json(c, { error: `${str(b.file)} is not valid: ${r.errors.length} error(s) (see its check)` }, 400);
    const session = str(b.session) ?? r.formation.metadata.name;
    if (!SESSION_NAME.test(session))
      return json(c, { error: `invalid session name '${session}': lower-case letters, digits and dashes, starting with a letter, at most 40 characters` }, 400);
    const plan = planSession(r.formation, { session });
    const existing = (await ctx.sessions.list().catch(() => [])).some((s) => s.session === session);
    const cost = `about $${plan.cost.hourlyUsd.toFixed(4)}/h while running (${plan.cost.source})`;
    const ask = unconfirmed(
      c,
      b,
      `${existing ? "Update" : "Launch"} session ${session} from ${str(b.file)}: ${plan.machines.length} machine(s) (${plan.machines.map((m) => m.name).join(", ")}) on ${plan.provider}, ${cost}.`,
      { session },
    );
    if (ask) return ask;
    return json(
      c,
      ctx.hub.run(`launch ${session}`, session, () => ctx.sessions.up(where.abs, { session, yes: true })),
      202,
    );
  });
}
