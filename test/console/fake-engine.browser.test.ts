/**
 * Layer 5 (a real browser: Debian's chromium via playwright-core) over TEST DOUBLES: the console
 * serves sessions that run on FakeEngine (automation's in-memory engine double: no Pulumi runs)
 * and TestDoubleDriver (a provider API double). What this proves is the page and the server in
 * a real browser: every view, the context menu and its disabled reasons, confirmations, live
 * updates over server-sent events, the .rdp download, the ticking cost, and the security checks
 * as a browser meets them. Nothing here is called end to end: real-engine.browser.test.ts is.
 */
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBrowser, changedText, type Browser } from "./browser.js";
import { servedHarness, type ConsoleHarness } from "./harness.js";
import type { RunningConsole } from "../../console/serve.js";

let h: ConsoleHarness & { running: RunningConsole };
let b: Browser;
let url: string;

beforeAll(async () => {
  h = await servedHarness();
  await h.launch("pool.yaml");
  await h.launch("labs/desktop.yaml");
  url = h.running.url;
  b = await openBrowser({ mapHosts: ["rebind.test", "attacker.test"] });
});
afterAll(async () => {
  await b?.close();
  await h?.cleanup();
});

const confirmDialog = async () => {
  const dialog = b.page.locator(".modal[role=dialog]").filter({ hasText: "Please confirm" });
  await dialog.waitFor();
  const words = (await dialog.locator(".confirm-words").textContent()) ?? "";
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await dialog.waitFor({ state: "detached" });
  return words;
};

describe("the console in a real browser (sessions on FakeEngine, a test double)", () => {
  it("Sessions: every session with its machines by state, and its cost ticking without a request", async () => {
    await b.page.goto(url);
    const lab = b.page.locator("tr[data-session=lab]");
    await lab.waitFor();
    expect(await lab.locator(".states").textContent()).toBe("3 running");
    expect(await b.page.locator("tr[data-session=desk] td").nth(2).textContent()).toBe("aws");
    await b.page.locator(".live.on").waitFor();
    // The aws session costs money: its figure moves with the page's clock, and no request is made for it.
    const requests: string[] = [];
    b.page.on("request", (r) => requests.push(r.url()));
    const before = (await b.page.locator("tr[data-session=desk] .money").textContent()) ?? "";
    const after = await changedText(b.page, "tr[data-session=desk] .money", before);
    expect(Number(after.slice(1))).toBeGreaterThan(Number(before.slice(1)));
    expect(requests).toEqual([]);
    await b.shot("fake-sessions");
  });

  it("filters by label", async () => {
    await b.page.locator("input[name=filter]").fill("team=chem");
    await b.page.getByRole("button", { name: "Apply" }).click();
    await b.page.locator("tr[data-session=lab]").waitFor({ state: "detached" });
    expect(await b.page.locator("tbody tr[data-session]").count()).toBe(1);
    await b.page.locator("input[name=filter]").fill("");
    await b.page.getByRole("button", { name: "Apply" }).click();
    await b.page.locator("tr[data-session=lab]").waitFor();
  });

  it("Machines: right-click gives every action, disabled ones saying why; Stop, confirmed, changes state and rate live", async () => {
    await b.page.locator("a", { hasText: "desk" }).click();
    const target = b.page.locator("tr[data-machine=target]");
    await target.waitFor();
    const rateBefore = (await target.locator(".rate").textContent()) ?? "";
    await target.click({ button: "right" });
    const menu = b.page.locator(".context-menu");
    await menu.waitFor();
    expect(await menu.locator("button[role=menuitem]").allTextContents()).toEqual([
      "Start",
      "Stop …",
      "Hibernate",
      "Reboot …",
      "Force Reboot …",
      "Shutdown …",
      "Force Stop …",
      "Force Hibernate",
      "Delete",
      "Connect",
      "Connect › PuTTY",
      "Snapshot",
      "Snapshot Container",
    ]);
    expect(await menu.locator("[data-action=hibernate]").isDisabled()).toBe(true);
    expect(
      await menu
        .locator(".menu-item", { has: b.page.locator("[data-action=hibernate]") })
        .locator(".reason")
        .textContent(),
    ).toMatch(/^target was not launched with hibernation/);
    await b.shot("fake-machines-menu");
    await menu.locator("[data-action=stop]").click();
    expect(await confirmDialog()).toBe("Stop desk/target (running): it shuts down and stops costing compute; its disk is kept.");
    await target.locator("[data-state=stopped]").waitFor();
    const rateAfter = await changedText(b.page, "tr[data-machine=target] .rate", rateBefore);
    expect(Number(rateAfter.replace(/[$/h]/g, ""))).toBeLessThan(Number(rateBefore.replace(/[$/h]/g, "")));
    expect(await b.page.locator(".journal tbody tr").first().textContent()).toContain("tester@host (console)");
  });

  it("Connect (from the ⋯ button, as a keyboard or touch user): downloads the lab's .rdp, with no password", async () => {
    await b.page.getByRole("button", { name: "Actions for target" }).click();
    await b.page.locator(".context-menu [data-action=connect]").click();
    const dialog = b.page.locator(".modal[role=dialog]").filter({ hasText: "Connect to desk/target" });
    await dialog.waitFor();
    expect(await dialog.locator(".missing").allTextContents()).toContain("PuTTY: PuTTY is for SSH, and this machine is reached with Remote Desktop");
    await b.shot("connect");
    const [download] = await Promise.all([b.page.waitForEvent("download"), dialog.getByRole("link", { name: "Get RDP File" }).click()]);
    expect(download.suggestedFilename()).toBe("desk-target.rdp");
    const rdp = await readFile((await download.path())!, "utf8");
    expect(rdp).toMatch(/^full address:s:\S+:3389\r\nusername:s:\S+\r\nprompt for credentials:i:1\r\n/);
    expect(rdp).not.toMatch(/password/i);
    await dialog.getByRole("button", { name: "Close" }).click();
  });

  it("Snapshot Container, then Images lists it and launches a session from it", async () => {
    await b.page.goto(`${url}#/sessions/lab`);
    const m1 = b.page.locator("tr[data-machine=machine-1]");
    await m1.click({ button: "right" });
    expect(await b.page.locator(".context-menu [data-action=snapshot]").isDisabled()).toBe(true);
    await b.page.locator(".context-menu [data-action=snapshot-container]").click();
    await b.page.locator(".task.done", { hasText: "snapshot lab/machine-1" }).waitFor();
    await b.page.getByRole("link", { name: "Images" }).click();
    const row = b.page.locator("tr[data-image]").first();
    await row.waitFor();
    // The image catalog's row: provider, then where it came from (session/machine).
    expect(await row.locator("td").nth(2).textContent()).toBe("lab/machine-1");
    await b.shot("fake-images");
    await row.getByRole("button", { name: "Launch from this image" }).click();
    await b.page.locator(".plan .plan-cost").waitFor();
    expect(await b.page.locator(".files button.chosen").textContent()).toMatch(/^snapshots\/lab-machine-1-\d+[\w.-]*\.yaml$/);
  });

  it("Images › Forget, confirmed, drops the catalog entry and the list reads again", async () => {
    await b.page.getByRole("link", { name: "Images" }).click();
    const row = b.page.locator("tr[data-image]").first();
    await row.waitFor();
    await row.getByRole("button", { name: "Forget…" }).click();
    expect(await confirmDialog()).toMatch(
      /^Forget docker image lab-machine-1-snapshot:\S+ \(.+\), taken from lab\/machine-1\? Only its entry in the catalog goes/,
    );
    await b.page.locator(".task.done", { hasText: "forget image lab-machine-1-snapshot" }).waitFor();
    await b.page.getByText("No image yet").waitFor();
    expect(await b.page.locator("tr[data-image]").count()).toBe(0);
    // Back where the next test starts: the Formations view.
    await b.page.getByRole("link", { name: "Formations" }).click();
    await b.page.locator("[data-file='broken.yaml']").waitFor();
  });

  it("Formations: validation errors with line, column and hint; a plan; a launch followed live", async () => {
    await b.page.locator("[data-file='broken.yaml']").click();
    const errors = b.page.locator("table.errors tbody tr");
    await errors.first().waitFor();
    expect(await errors.nth(1).locator("td").allTextContents()).toEqual(["10", "5", expect.stringContaining("imagee"), "did you mean 'image'?"]);
    await b.shot("formations-errors");
    await b.page.locator("[data-file='pool.yaml']").click();
    await b.page.locator(".plan .plan-cost").waitFor();
    await b.page.locator("input[name=session]").fill("lab-3");
    await b.page.getByRole("button", { name: "Launch" }).click();
    expect(await confirmDialog()).toMatch(/^Launch session lab-3 from pool\.yaml: 3 machine\(s\) \(machine-1, machine-2, machine-3\) on docker/);
    await b.page.locator(".progress h3", { hasText: "Launching lab-3: done" }).waitFor();
    await b.page.locator(".progress .states", { hasText: "3 running" }).waitFor();
    expect(await b.page.locator(".progress .events li").count()).toBeGreaterThan(2);
    await b.shot("fake-formations");
  });

  it("Stop All over a label: the confirmation names exactly the sessions and machines", async () => {
    await b.page.getByRole("link", { name: "Sessions" }).click();
    await b.page.locator("input[name=filter]").fill("team=bio");
    await b.page.getByRole("button", { name: "Apply" }).click();
    await b.page.locator("tr[data-session=desk]").waitFor({ state: "detached" });
    await b.page.getByRole("button", { name: "Stop All" }).click();
    expect(await confirmDialog()).toBe(
      "Stop All over the sessions labelled team=bio: every machine of 2 session(s), lab (machine-1, machine-2, machine-3); lab-3 (machine-1, machine-2, machine-3). Each is stopped, its disk kept.",
    );
    await b.page.locator(".task.done", { hasText: "stop all team=bio" }).waitFor();
    await b.page.locator("tr[data-session=lab] .states", { hasText: "3 stopped" }).waitFor();
    await b.page.locator("tr[data-session=lab-3] .states", { hasText: "3 stopped" }).waitFor();
    expect((await h.sessions.journal("lab-3")).filter((e) => e.action === "stop").map((e) => e.actor)).toEqual([
      "tester@host (console)",
      "tester@host (console)",
      "tester@host (console)",
    ]);
  });

  it("Delete of a session, confirmed, takes its row away live", async () => {
    const row = b.page.locator("tr[data-session=lab-3]");
    await row.getByRole("button", { name: "Delete" }).click();
    expect(await confirmDialog()).toBe(
      "Delete session lab-3 (Pool on docker): destroys every resource of it, including machine-1, machine-2, machine-3. Its snapshots are kept.",
    );
    await row.waitFor({ state: "detached" });
    expect((await h.sessions.list()).map((s) => s.session)).toEqual(["desk", "lab"]);
  });
});

describe("security, as a browser meets it", () => {
  let attacker: Server;
  let attackerPort = 0;
  beforeAll(async () => {
    // Another site that knows the token (the worst case) and posts a form to the console.
    attacker = createServer((_req, res) => {
      const action = `${url.replace("/?", "/api/batch?")}`;
      res.setHeader("Content-Type", "text/html");
      res.end(
        `<form id=f method=POST action="${action}"><input name=action value=terminate><input name=confirmed value=true></form><script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((r) => attacker.listen(0, "127.0.0.1", r));
    attackerPort = (attacker.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => attacker.close(() => r())));

  it("refuses the page without the token", async () => {
    const r = await b.page.goto(url.replace(/\?token=.*/, ""));
    expect(r!.status()).toBe(401);
    expect(await b.page.textContent("body")).toContain("needs the token from the URL it printed");
  });

  it("refuses a request from another origin, even one carrying the token; nothing is done", async () => {
    const calls = h.driver.calls.length;
    const refused = b.page.waitForResponse((r) => r.url().includes("/api/batch"));
    await b.page.goto(`http://attacker.test:${attackerPort}/`);
    const r = await refused;
    expect(r.status()).toBe(403);
    expect(await r.text()).toContain("refused: a request from another origin (http://attacker.test:");
    expect(h.driver.calls.length).toBe(calls);
  });

  it("refuses a DNS-rebinding name for 127.0.0.1, even with the token", async () => {
    const r = await b.page.goto(url.replace("127.0.0.1", "rebind.test"));
    expect(r!.status()).toBe(403);
    expect(await b.page.textContent("body")).toContain("DNS rebinding protection");
  });
});
