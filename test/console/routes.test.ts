/**
 * Layer: unit. The console's routes over the library, with `app.request()`: the Sessions and
 * Machines views, the menu's actions (confirmation, refusal, journal with who ran them), Stop
 * All over a label, Delete, snapshots and Images, the Formations view, the .rdp download, and
 * live messages from the library's events. Sessions run on FakeEngine and TestDoubleDriver,
 * test doubles of the engine and of a provider's API: no Pulumi, no Docker.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConsoleMessage, Task } from "../../console/live.js";
import type { SessionPage, SessionRow } from "../../console/views.js";
import { hpc } from "../automation/actions/formations.js";
import { consoleHarness, type ConsoleHarness } from "./harness.js";

let h: ConsoleHarness;
let messages: ConsoleMessage[];
beforeEach(async () => {
  h = await consoleHarness();
  messages = [];
  h.hub.subscribe((m) => messages.push(m));
});
afterEach(() => h.cleanup());

const jsonOf = async <T>(r: Response | Promise<Response>) => (await (await r).json()) as T;
/** Sends an action, confirms what the server asks, waits for its task, and returns the task's end. */
async function confirmed(path: string, body: Record<string, unknown>): Promise<{ words: string; task: Task }> {
  const ask = await h.post(path, body);
  expect(ask.status).toBe(409);
  const { confirm, ...named } = await jsonOf<{ confirm: string }>(ask);
  const started = await h.post(path, { ...body, ...named, confirmed: true });
  expect(started.status).toBe(202);
  const { id } = await jsonOf<Task>(started);
  await h.hub.idle();
  return { words: confirm, task: h.hub.list().find((t) => t.id === id)! };
}

describe("the Sessions view", () => {
  it("lists sessions with kind, provider, labels, machines by state, cost so far and burn rate", async () => {
    await h.launch("pool.yaml");
    await h.launch("labs/desktop.yaml");
    const { rows } = await jsonOf<{ rows: SessionRow[] }>(h.get("/api/sessions"));
    expect(rows.map((r) => [r.session, r.kind, r.provider, r.labels, r.machines, r.states])).toEqual([
      ["desk", "VirtualLab", "aws", { team: "chem" }, 2, { running: 2 }],
      ["lab", "Pool", "docker", { team: "bio", course: "gen101" }, 3, { running: 3 }],
    ]);
    const desk = rows[0]!;
    expect(desk.cost.hourlyUsd).toBeGreaterThan(0);
    expect(desk.cost.soFarUsd).toBeGreaterThanOrEqual(0);
    expect(Number.isNaN(Date.parse(desk.cost.at))).toBe(false);
  });

  it("filters by label, and refuses a malformed one", async () => {
    await h.launch("pool.yaml");
    await h.launch("labs/desktop.yaml");
    const { rows } = await jsonOf<{ rows: SessionRow[] }>(h.get("/api/sessions?label=team%3Dchem"));
    expect(rows.map((r) => r.session)).toEqual(["desk"]);
    const bad = await h.get("/api/sessions?label=team");
    expect(bad.status).toBe(400);
    expect(await jsonOf(bad)).toEqual({ error: "invalid label selector 'team': use key=value" });
  });

  it("answers 404 for an unknown session", async () => {
    const r = await h.get("/api/sessions/nobody");
    expect(r.status).toBe(404);
    expect(await jsonOf(r)).toEqual({ error: "no session named 'nobody' (formations sessions lists them)" });
  });
});

describe("the Machines view and its menu", () => {
  it("gives each machine role, state, size, address, cost, menu and connection details", async () => {
    await h.launch("pool.yaml");
    const page = await jsonOf<SessionPage>(h.get("/api/sessions/lab"));
    const m = page.machines[0]!;
    expect([m.name, m.role, m.state, m.size, m.address]).toEqual(["machine-1", "member", "running", expect.any(String), "10.0.0.2"]);
    const menu = Object.fromEntries(m.menu.map((i) => [i.id, i.enabled ? "on" : i.reason]));
    expect(menu).toMatchObject({ start: "on", stop: "on", hibernate: "on", "force-reboot": "on", connect: "on", "snapshot-container": "on" });
    expect(menu.snapshot).toBe("a container is imaged with Snapshot Container (docker commit)");
    expect(menu.delete).toBe("on");
    expect(m.connect).toMatchObject({
      dockerExec: "docker exec -it fake-lab-machine-1 sh",
      rdp: false,
      missing: { rdp: "a container has no Remote Desktop of its own" },
    });
  });

  it("disables what the provider cannot do, with the reason, and the server refuses it too", async () => {
    await h.launch("labs/desktop.yaml");
    const page = await jsonOf<SessionPage>(h.get("/api/sessions/desk"));
    const target = page.machines.find((m) => m.name === "target")!;
    const hibernate = target.menu.find((i) => i.id === "hibernate")!;
    expect(hibernate.enabled).toBe(false);
    expect(hibernate.reason).toMatch(/^target was not launched with hibernation/);
    const r = await h.post("/api/sessions/desk/actions", { action: "hibernate", machine: "target", confirmed: true });
    expect(r.status).toBe(400);
    expect((await jsonOf<{ error: string }>(r)).error).toMatch(/^Hibernate is not available for desk\/target: target was not launched with hibernation/);
    expect(h.driver.calls).toEqual([]);
  });

  it("disables every action of a managed node with the reason (an EMR cluster on aws)", async () => {
    await writeFileIn(
      h,
      "emr.yaml",
      hpc(1, { name: "emr", provider: "aws" })
        .replace("kind: HPCCluster", "kind: EMRCluster")
        .replace(
          /spec:[\s\S]*/,
          "spec:\n  master:\n    machine:\n      image: ubuntu-22.04\n  workers:\n    count: 2\n    machine:\n      image: ubuntu-22.04\n",
        ),
    );
    await h.launch("emr.yaml");
    const page = await jsonOf<SessionPage>(h.get("/api/sessions/emr"));
    const worker = page.machines.find((m) => m.role === "worker")!;
    expect(worker.menu.filter((i) => i.enabled).map((i) => i.id)).toEqual([]);
    expect(worker.menu.find((i) => i.id === "stop")!.reason).toMatch(
      /a node of the managed (EMR|HDInsight) cluster, which starts and stops it itself and cannot be stopped/,
    );
  });

  it("stops one machine only when confirmed, with words naming it; the journal says who; the pages hear of it", async () => {
    await h.launch("pool.yaml");
    messages.length = 0;
    const { words, task } = await confirmed("/api/sessions/lab/actions", { action: "stop", machine: "machine-2" });
    expect(words).toBe("Stop lab/machine-2 (running): it shuts down and stops costing compute; its disk is kept.");
    expect(task).toMatchObject({ title: "stop lab/machine-2", state: "done", session: "lab" });
    expect(h.driver.calls).toEqual(["stop lab/machine-2"]);
    const entry = (await h.sessions.journal("lab")).find((e) => e.action === "stop")!;
    expect(entry).toMatchObject({ machine: "machine-2", from: "running", to: "stopped", result: "ok", actor: "tester@host (console)" });
    const fresh = messages.filter((m): m is Extract<ConsoleMessage, { type: "session" }> => m.type === "session").at(-1)!;
    expect(fresh.page.machines.map((m) => m.state)).toEqual(["running", "stopped", "running"]);
    expect(fresh.page.row.states).toEqual({ running: 2, stopped: 1 });
    expect(messages.some((m) => m.type === "event" && m.event.type === "journal")).toBe(true);
  });

  it("runs Start and Force Reboot through the library (force passed on), Start without a confirmation", async () => {
    await h.launch("pool.yaml");
    const start = await h.post("/api/sessions/lab/actions", { action: "start", machine: "machine-1" });
    expect(start.status).toBe(202);
    await h.hub.idle();
    const { words } = await confirmed("/api/sessions/lab/actions", { action: "force-reboot", machine: "machine-1" });
    expect(words).toMatch(/^Force Reboot lab\/machine-1 \(running\): a hard reset/);
    expect(h.driver.calls).toEqual(["start lab/machine-1", "reboot lab/machine-1"]);
  });

  it("refuses an unknown action or machine before acting", async () => {
    await h.launch("pool.yaml");
    expect((await h.post("/api/sessions/lab/actions", { action: "explode" })).status).toBe(400);
    const r = await h.post("/api/sessions/lab/actions", { action: "stop", machine: "machine-9" });
    expect(r.status).toBe(404);
    expect((await jsonOf<{ error: string }>(r)).error).toBe("no machine named 'machine-9' in session 'lab' (machines: machine-1, machine-2, machine-3)");
    expect(h.driver.calls).toEqual([]);
  });
});

describe("Stop All, Terminate All and Delete", () => {
  it("Stop All over a label says exactly which sessions and machines, then stops just those", async () => {
    await h.launch("pool.yaml");
    await h.launch("labs/desktop.yaml");
    const { words, task } = await confirmed("/api/batch", { action: "stop", labels: ["team=bio"] });
    expect(words).toBe(
      "Stop All over the sessions labelled team=bio: every machine of 1 session(s), lab (machine-1, machine-2, machine-3). Each is stopped, its disk kept.",
    );
    expect(task.state).toBe("done");
    expect(h.driver.calls.sort()).toEqual(["stop lab/machine-1", "stop lab/machine-2", "stop lab/machine-3"]);
    expect((await jsonOf<SessionPage>(h.get("/api/sessions/desk"))).row.states).toEqual({ running: 2 });
  });

  it("declines a batch whose selection changed after it was confirmed", async () => {
    await h.launch("pool.yaml");
    const started = await h.post("/api/batch", { action: "terminate", labels: ["team=bio"], confirmed: true, sessions: ["someone-else"] });
    expect(started.status).toBe(202);
    await h.hub.idle();
    const task = h.hub.list()[0]!;
    expect(task.state).toBe("failed");
    expect(task.error).toMatch(/^the selection changed since it was confirmed \(now: lab\): nothing was done/);
    expect(h.driver.calls).toEqual([]);
  });

  it("Delete of a session destroys it once confirmed; the pages are told it is gone", async () => {
    await h.launch("pool.yaml");
    const { words, task } = await confirmed("/api/sessions/lab/destroy", {});
    expect(words).toBe(
      "Delete session lab (Pool on docker): destroys every resource of it, including machine-1, machine-2, machine-3. Its snapshots are kept.",
    );
    expect(task.state).toBe("done");
    expect(messages).toContainEqual({ type: "removed", session: "lab", at: expect.any(String) });
    expect((await h.get("/api/sessions/lab")).status).toBe(404);
  });
});

describe("snapshots and Images", () => {
  it("snapshots a container, saves the formation that launches from it, and lists it in Images from the catalog", async () => {
    await h.launch("pool.yaml");
    const r = await h.post("/api/sessions/lab/snapshot", { machine: "machine-1" });
    expect(r.status).toBe(202);
    await h.hub.idle();
    expect(h.hub.list()[0]).toMatchObject({ state: "done", title: "snapshot lab/machine-1" });
    const { images, unreadable } = await jsonOf<{
      images: { id: string; name: string; session: string; machine: string; provider: string; formation?: string }[];
      unreadable: unknown[];
    }>(h.get("/api/images"));
    expect(unreadable).toEqual([]);
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({
      session: "lab",
      machine: "machine-1",
      provider: "docker",
      id: expect.stringMatching(/^img-[0-9a-f]{10}$/),
      name: expect.stringMatching(/^lab-machine-1-snapshot:\d+/),
    });
    expect(images[0]!.formation).toMatch(/^snapshots\/lab-machine-1-\d+\.yaml$/);
    expect(await readFile(join(h.dir, images[0]!.formation!), "utf8")).toContain(`image: ${images[0]!.name}`);
  });

  it("keeps listing an image after its session is deleted; launch writes its formation; Delete asks, then removes it", async () => {
    await h.launch("pool.yaml");
    const { catalogId } = await h.sessions.snapshot("lab", { machine: "machine-2" });
    await h.sessions.destroy("lab");
    const { images } = await jsonOf<{ images: { id: string; formation?: string }[] }>(h.get("/api/images"));
    expect(images.map((i) => i.id)).toEqual([catalogId]);
    expect(images[0]!.formation).toBeUndefined();
    const launched = await jsonOf<{ file: string; name: string }>(h.post(`/api/images/${catalogId}/formation`, {}));
    expect(launched.file).toBe(`snapshots/${catalogId}.yaml`);
    expect(await readFile(join(h.dir, launched.file), "utf8")).toMatch(/image: lab-machine-2-snapshot:\d+/);
    const { words, task } = await confirmed(`/api/images/${catalogId}/delete`, {});
    expect(words).toMatch(
      /^Delete docker image lab-machine-2-snapshot:\d+ \(img-1-lab-machine-2-snapshot:\d+\), taken from lab\/machine-2, and the storage behind it\?/,
    );
    expect(task).toMatchObject({ state: "done" });
    expect(h.images.removed).toEqual([expect.stringMatching(/^img-1-lab-machine-2-snapshot:/)]);
    expect((await jsonOf<{ images: unknown[] }>(h.get("/api/images"))).images).toEqual([]);
    expect((await h.post("/api/images/img-nope/delete", { confirmed: true })).status).toBe(404);
  });

  it("Forget asks, then drops only the catalog entry: the provider's image is never touched", async () => {
    await h.launch("pool.yaml");
    const { catalogId } = await h.sessions.snapshot("lab", { machine: "machine-1" });
    const { words, task } = await confirmed(`/api/images/${catalogId}/forget`, {});
    expect(words).toMatch(/^Forget docker image lab-machine-1-snapshot:\d+ \(img-1-lab-machine-1-snapshot:\d+\), taken from lab\/machine-1\? Only its entry/);
    expect(task).toMatchObject({ state: "done", title: expect.stringMatching(/^forget image lab-machine-1-snapshot:/) });
    expect(h.images.removed).toEqual([]);
    expect((await jsonOf<{ images: unknown[] }>(h.get("/api/images"))).images).toEqual([]);
    expect((await h.post(`/api/images/${catalogId}/forget`, { confirmed: true })).status).toBe(404);
  });
});

describe("Delete one machine and Connect › PuTTY from the menu", () => {
  it("deletes a Pool member once confirmed, through the library; the name is not reused", async () => {
    await h.launch("pool.yaml");
    const { words, task } = await confirmed("/api/sessions/lab/machines/machine-2/delete", {});
    expect(words).toBe(
      "Delete lab/machine-2 (running) for good: its resources and disks are deleted and its name is not reused. 2 machine(s) remain: machine-1, machine-3.",
    );
    expect(task).toMatchObject({ state: "done", title: "delete lab/machine-2" });
    const page = await jsonOf<SessionPage>(h.get("/api/sessions/lab"));
    expect(page.machines.map((m) => m.name)).toEqual(["machine-1", "machine-3"]);
    expect(page.journal.find((j) => j.action === "delete")).toMatchObject({ machine: "machine-2", actor: "tester@host (console)" });
  });

  it("refuses Delete where the menu disables it, with the same reason", async () => {
    await h.launch("labs/desktop.yaml");
    const r = await h.post("/api/sessions/desk/machines/proxy/delete", { confirmed: true });
    expect(r.status).toBe(400);
    expect((await jsonOf<{ error: string }>(r)).error).toMatch(/^Delete is not available for desk\/proxy: proxy is the session's proxy/);
  });

  it("offers PuTTY and plink lines for a machine reached with SSH", async () => {
    await h.launch("labs/desktop.yaml");
    const page = await jsonOf<SessionPage>(h.get("/api/sessions/desk"));
    const proxy = page.machines.find((m) => m.name === "proxy")!;
    expect(proxy.menu.find((i) => i.id === "connect-putty")).toMatchObject({ enabled: true, label: "Connect › PuTTY" });
    expect(proxy.connect?.putty).toMatch(/^putty -ssh /);
    expect(proxy.connect?.plink).toMatch(/^plink -ssh /);
  });
});

describe("the Formations view", () => {
  it("lists the folder's files, valid or not", async () => {
    const { files } = await jsonOf<{ files: unknown[] }>(h.get("/api/formations"));
    expect(files).toEqual([
      { file: "broken.yaml", valid: false, errors: 2 },
      { file: "labs/desktop.yaml", valid: true, name: "desk", kind: "VirtualLab", provider: "aws" },
      { file: "pool.yaml", valid: true, name: "lab", kind: "Pool", provider: "docker" },
    ]);
  });

  it("shows validation errors with line, column and hint, or the plan with its hourly cost", async () => {
    const bad = await jsonOf<{ valid: boolean; errors: { line: number; col: number; message: string; hint?: string }[] }>(
      h.get("/api/formations/check?file=broken.yaml"),
    );
    expect(bad.valid).toBe(false);
    expect(bad.errors.map((e) => [e.line, e.col])).toEqual([
      [8, 10],
      [10, 5],
    ]);
    expect(bad.errors[1]!.hint).toBe("did you mean 'image'?");
    const good = await jsonOf<{ valid: boolean; plan: { cost: { hourlyUsd: number }; resources: { name: string }[] } }>(
      h.get("/api/formations/check?file=pool.yaml"),
    );
    expect(good.valid).toBe(true);
    expect(good.plan.resources.map((r) => r.name)).toEqual(["lab", "lab-machine-1", "lab-machine-2", "lab-machine-3"]);
  });

  it("reads no file outside the folder", async () => {
    for (const file of ["../outside.yaml", "/etc/passwd", "pool.json", "missing.yaml", "labs/../../x.yaml"]) {
      const r = await h.get(`/api/formations/check?file=${encodeURIComponent(file)}`);
      expect(r.status, file).toBe(400);
    }
  });

  it("launches a formation once confirmed with its machines and cost, and its progress arrives as events", async () => {
    const { words, task } = await confirmed("/api/formations/launch", { file: "pool.yaml", session: "lab-2" });
    expect(words).toMatch(
      /^Launch session lab-2 from pool\.yaml: 3 machine\(s\) \(machine-1, machine-2, machine-3\) on docker, about \$\d+\.\d{4}\/h while running/,
    );
    expect(task).toMatchObject({ state: "done", title: "launch lab-2" });
    const kinds = messages.filter((m) => m.type === "event" && m.event.session === "lab-2").map((m) => (m as { event: { type: string } }).event.type);
    expect(kinds).toEqual(expect.arrayContaining(["operation-start", "resource-start", "resource-done", "summary", "operation-end"]));
    expect((await jsonOf<SessionPage>(h.get("/api/sessions/lab-2"))).row.states).toEqual({ running: 3 });
  });
});

describe("connecting, and no secret on the page", () => {
  it("downloads a lab desktop's .rdp file, with no password in it", async () => {
    await h.launch("labs/desktop.yaml");
    const r = await h.get("/api/sessions/desk/machines/target/rdp");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-disposition")).toBe('attachment; filename="desk-target.rdp"');
    const text = await r.text();
    expect(text).toMatch(/^full address:s:10\.0\.0\.\d:3389\r\nusername:s:\S+\r\nprompt for credentials:i:1\r\n/);
    expect(text).not.toMatch(/password/i);
    expect((await h.get("/api/sessions/desk/machines/proxy/rdp")).status).toBe(404);
  });

  it("never sends the passphrase or any field named like a secret", async () => {
    await h.launch("labs/desktop.yaml");
    const bodies = await Promise.all(
      ["/api/sessions", "/api/sessions/desk", "/api/images", "/api/config", "/api/formations"].map(async (p) => (await h.get(p)).text()),
    );
    for (const b of [...bodies, JSON.stringify(messages)]) {
      expect(b).not.toContain("test-passphrase");
      expect(b).not.toMatch(/"(password|passphrase|secret|privateKey)"\s*:/i);
    }
  });
});

async function writeFileIn(harness: ConsoleHarness, name: string, text: string): Promise<void> {
  const { writeFile } = await import("node:fs/promises");
  await writeFile(join(harness.dir, name), text);
}
