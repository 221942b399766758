/**
 * Actions from the Machines menu and the Sessions view, each one call of the library:
 * `sessions.start/stop/hibernate/reboot/shutdown` (with `force`), `sessions.snapshot`,
 * `sessions.stopAll/terminateAll` over a label filter, and the `.rdp` file `connect` writes.
 * What a menu disables, the server refuses the same way; a destructive action is answered 409
 * with the exact words to confirm until it comes back `confirmed`; a batch also names the
 * sessions confirmed, and is declined if the selection changed in between.
 */
import { mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Hono } from "hono";
import pLimit from "p-limit";
import type { SessionDetails } from "../../automation/session/show.js";
import { freshName } from "../../automation/actions/snapshot-formation.js";
import { body, failure, json, str, unconfirmed, type ConsoleContext } from "../context.js";
import { machineMenu, POWER, runsContainers, type MenuId } from "../menu.js";
import { rdpFileOf } from "../views.js";

const WORDS: Readonly<Partial<Record<MenuId, (t: string) => string>>> = {
  stop: (t) => `Stop ${t}: it shuts down and stops costing compute; its disk is kept.`,
  "force-stop": (t) => `Force Stop ${t}: cut off without a graceful shutdown (unsaved work is lost); its disk is kept.`,
  hibernate: (t) => `Hibernate ${t}: its memory is saved (Docker: paused) and Start resumes it where it left off.`,
  "force-hibernate": (t) => `Force Hibernate ${t}: its memory is saved (Docker: paused) without waiting for the guest; Start resumes it.`,
  reboot: (t) => `Reboot ${t}: its users are disconnected while it restarts.`,
  "force-reboot": (t) => `Force Reboot ${t}: a hard reset without a graceful shutdown (unsaved work is lost).`,
  shutdown: (t) => `Shut down ${t}: its operating system stops gracefully; it stays stopped until started.`,
};

/** `lab/machine-1 (running)`, or `every machine of lab (3: 2 running, 1 stopped)`. */
function targetWords(d: SessionDetails, machine: string | undefined): string {
  if (machine) return `${d.session}/${machine} (${d.machines.find((m) => m.name === machine)?.state ?? "unknown"})`;
  return `every machine of ${d.session} (${d.machines.map((m) => m.name).join(", ")})`;
}

async function snapshotFile(ctx: ConsoleContext, d: SessionDetails, machine: string): Promise<string> {
  const folder = join(ctx.dir, "snapshots");
  await mkdir(folder, { recursive: true });
  const base = freshName(d.formation, machine, ctx.now());
  let file = join(folder, `${base}.yaml`);
  for (let n = 2; existsSync(file); n++) file = join(folder, `${base}-${n}.yaml`);
  return file;
}

/** What a batch would act on: each selected session with its machines that exist. */
async function batchTargets(ctx: ConsoleContext, labels: string[]): Promise<{ session: string; machines: string[] }[]> {
  const listed = await ctx.sessions.list({ labels });
  const limit = pLimit(4);
  return Promise.all(
    listed.map((s) =>
      limit(async () => {
        const d = await ctx.sessions.show(s.session).catch(() => undefined);
        return { session: s.session, machines: d ? d.machines.filter((m) => m.state !== "terminated" && m.state !== "pending").map((m) => m.name) : [] };
      }),
    ),
  );
}

export function actionRoutes(app: Hono, ctx: ConsoleContext): void {
  app.post("/api/sessions/:session/actions", async (c) => {
    const session = c.req.param("session");
    const b = await body(c);
    const id = str(b?.action) as MenuId | undefined;
    const power = id ? POWER[id] : undefined;
    if (!b || !id || !power) return json(c, { error: `unknown action '${String(b?.action)}': one of ${Object.keys(POWER).join(", ")}` }, 400);
    const machine = str(b.machine);
    let d: SessionDetails;
    try {
      d = await ctx.sessions.show(session);
    } catch (err) {
      return failure(c, err);
    }
    if (machine) {
      const m = d.machines.find((x) => x.name === machine);
      if (!m) return json(c, { error: `no machine named '${machine}' in session '${session}' (machines: ${d.machines.map((x) => x.name).join(", ")})` }, 404);
      const item = machineMenu(m, d.provider, { session, machines: d.machines }).find((i) => i.id === id);
      if (item && !item.enabled) return json(c, { error: `${power.label} is not available for ${session}/${machine}: ${item.reason}` }, 400);
    }
    const words = WORDS[id];
    const ask = words ? unconfirmed(c, b, words(targetWords(d, machine))) : undefined;
    if (ask) return ask;
    const title = `${power.label.toLowerCase()} ${session}${machine ? `/${machine}` : ""}`;
    const opts = { ...(machine ? { machine } : {}), ...(power.force ? { force: true } : {}) };
    return json(
      c,
      ctx.hub.run(title, session, () => ctx.sessions[power.action](session, opts)),
      202,
    );
  });

  app.post("/api/sessions/:session/snapshot", async (c) => {
    const session = c.req.param("session");
    const b = await body(c);
    const machine = str(b?.machine);
    if (!machine) return json(c, { error: "a snapshot is of one machine: name it ('machine')" }, 400);
    let d: SessionDetails;
    try {
      d = await ctx.sessions.show(session);
    } catch (err) {
      return failure(c, err);
    }
    const m = d.machines.find((x) => x.name === machine);
    if (!m) return json(c, { error: `no machine named '${machine}' in session '${session}'` }, 404);
    const item = machineMenu(m, d.provider).find((i) => i.id === (runsContainers(d.provider) ? "snapshot-container" : "snapshot"));
    if (item && !item.enabled) return json(c, { error: `${item.label} is not available for ${session}/${machine}: ${item.reason}` }, 400);
    const saveFormation = await snapshotFile(ctx, d, machine);
    return json(
      c,
      ctx.hub.run(`snapshot ${session}/${machine}`, session, () => ctx.sessions.snapshot(session, { machine, saveFormation })),
      202,
    );
  });

  // Delete one machine for good (sessions.deleteMachine): what the menu disables, refused the same way; confirmed first.
  app.post("/api/sessions/:session/machines/:machine/delete", async (c) => {
    const session = c.req.param("session");
    const machine = c.req.param("machine");
    const b = (await body(c)) ?? {};
    let d: SessionDetails;
    try {
      d = await ctx.sessions.show(session);
    } catch (err) {
      return failure(c, err);
    }
    const m = d.machines.find((x) => x.name === machine);
    if (!m) return json(c, { error: `no machine named '${machine}' in session '${session}' (machines: ${d.machines.map((x) => x.name).join(", ")})` }, 404);
    const item = machineMenu(m, d.provider, { session, machines: d.machines }).find((i) => i.id === "delete");
    if (item && !item.enabled) return json(c, { error: `Delete is not available for ${session}/${machine}: ${item.reason}` }, 400);
    const rest = d.machines.filter((x) => x.name !== machine).map((x) => x.name);
    const drain = m.role === "compute" ? " Slurm drains it first, so running jobs finish." : "";
    const ask = unconfirmed(
      c,
      b,
      `Delete ${targetWords(d, machine)} for good: its resources and disks are deleted and its name is not reused.${drain} ${rest.length} machine(s) remain: ${rest.join(", ")}.`,
    );
    if (ask) return ask;
    return json(
      c,
      ctx.hub.run(`delete ${session}/${machine}`, session, () => ctx.sessions.deleteMachine(session, { machine })),
      202,
    );
  });

  app.post("/api/batch", async (c) => {
    const b = await body(c);
    const action = b?.action;
    if (!b || (action !== "stop" && action !== "terminate")) return json(c, { error: "action must be 'stop' or 'terminate'" }, 400);
    const labels = Array.isArray(b.labels) ? b.labels.filter((l): l is string => typeof l === "string") : [];
    let targets;
    try {
      targets = await batchTargets(ctx, labels);
    } catch (err) {
      return failure(c, err);
    }
    const names = targets.map((t) => t.session);
    const what = `${labels.length ? `the sessions labelled ${labels.join(", ")}` : "every session"}`;
    const list = targets.map((t) => `${t.session} (${t.machines.join(", ") || "no machine"})`).join("; ");
    const verb = action === "stop" ? "Stop All" : "Terminate All";
    const effect = action === "stop" ? "each is stopped, its disk kept" : "each is terminated and its disk deleted; Start creates it again from the formation";
    const ask = unconfirmed(
      c,
      b,
      names.length
        ? `${verb} over ${what}: every machine of ${names.length} session(s), ${list}. ${effect[0]!.toUpperCase()}${effect.slice(1)}.`
        : `${verb} over ${what}: no session matches, nothing would be done.`,
      { sessions: names },
    );
    if (ask) return ask;
    const expect = Array.isArray(b.sessions) ? b.sessions.filter((s): s is string => typeof s === "string").sort() : undefined;
    // Exactly what was confirmed, or nothing: a session labelled or created since is not acted on by surprise.
    const confirm = ({ sessions }: { sessions: string[] }) => expect !== undefined && JSON.stringify([...sessions].sort()) === JSON.stringify(expect);
    const run = () => (action === "stop" ? ctx.sessions.stopAll({ labels, confirm }) : ctx.sessions.terminateAll({ labels, confirm }));
    const task = ctx.hub.run(`${verb.toLowerCase()} ${labels.join(",") || "(every session)"}`, undefined, async () => {
      const report = await run();
      if (report.result === "declined")
        throw new Error(
          `the selection changed since it was confirmed (now: ${report.sessions.join(", ") || "none"}): nothing was done; look again and confirm`,
        );
      for (const s of report.sessions) ctx.hub.reread(s);
      return report;
    });
    return json(c, task, 202);
  });

  app.get("/api/sessions/:session/machines/:machine/rdp", async (c) => {
    const session = c.req.param("session");
    const machine = c.req.param("machine");
    try {
      const r = rdpFileOf(await ctx.sessions.show(session), machine);
      if ("error" in r) return json(c, { error: r.error }, 404);
      c.header("Content-Type", "application/x-rdp");
      c.header("Content-Disposition", `attachment; filename="${session}-${machine}.rdp"`);
      return c.body(r.file);
    } catch (err) {
      return failure(c, err);
    }
  });
}
