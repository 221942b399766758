/**
 * Layers 3 and 5: the real Pulumi engine, the real Docker engine and a real browser (Debian's
 * chromium through playwright-core, test/console/browser.ts). A VirtualLab session per protocol
 * (VNC, RDP) launched through the library with `machine.image` overridden to the local gateway
 * and desktop images (scripts/images.sh). The gateway password is read through the library
 * (`Sessions.gatewayPassword`, never printed); the browser opens the gateway URL the session
 * reports, logs in with it, and the target's desktop is drawn in the page (pixels on the
 * gateway's canvas, not one flat colour); a screenshot of it is saved. The target is reachable
 * only through the gateway: it publishes nothing, and the engine's host has no address on the
 * lab's private network, so a direct connection from the host to the target's desktop port fails.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBrowser, type Browser } from "../console/browser.js";
import { docker, http, localImage, openSession, until, workloadsMissing, type WorkloadSession } from "./harness.js";

const skip = await workloadsMissing({ browser: true });
if (skip) console.warn(skip);

const formation = (name: string, protocol: string, gateway: string, desktop: string) => `apiVersion: formations/v1
kind: VirtualLab
metadata: { name: ${name}, labels: { suite: workloads } }
cloud: { provider: docker }
spec:
  target: { protocol: ${protocol}, machine: { instanceType: 1cpu-1g, image: "${desktop}" } }
  proxy: { machine: { instanceType: 1cpu-1g, image: "${gateway}" } }
`;

/** The first bytes each desktop protocol's server answers with (RDP: to an X.224 connection request). */
const HANDSHAKE = {
  vnc: { send: "", expect: "RFB " },
  rdp: { send: "\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00", expect: "\x03\x00" },
} as const;

/**
 * Whether the desktop's server answers a handshake from this host: "answered", or how it failed.
 * A TCP connect alone proves nothing here: the machine's own network may accept any connection
 * to an address it does not know (a transparent proxy) and then never answer.
 */
function handshakeFromHost(protocol: keyof typeof HANDSHAKE, host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const { send, expect: want } = HANDSHAKE[protocol];
    const socket = connect({ host, port });
    let got = "";
    const done = (how: string) => {
      socket.destroy();
      resolve(how);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer in ${timeoutMs / 1000}s`));
    socket.once("connect", () => send && socket.write(Buffer.from(send, "latin1")));
    socket.on("data", (b: Buffer) => {
      got += b.toString("latin1");
      if (got.length >= want.length) done(got.startsWith(want) ? "answered" : `answered something else (${JSON.stringify(got.slice(0, 8))})`);
    });
    socket.once("error", (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    socket.once("end", () => done("closed without answering"));
  });
}

/**
 * Runs in the page: the number of distinct colours on the gateway's largest canvas (sampled on
 * a grid), 0 while there is none or it has at most two. A desktop (Openbox's root window and its xterm) has several; a
 * blank or still-connecting display has one. A function, typed by hand: this file is compiled
 * without the DOM's types.
 */
function coloursOnDisplay(): number {
  type Canvas = {
    width: number;
    height: number;
    getContext(k: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
  };
  const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<Canvas> } }).document;
  let best: Canvas | undefined;
  for (const c of doc.querySelectorAll("#display canvas")) if (!best || c.width * c.height > best.width * best.height) best = c;
  if (!best || best.width < 200 || best.height < 200) return 0;
  const data = best.getContext("2d")?.getImageData(0, 0, best.width, best.height).data;
  if (!data) return 0;
  const seen = new Set<number>();
  for (let y = 0; y < best.height; y += 4)
    for (let x = 0; x < best.width; x += 4) {
      const i = (y * best.width + x) * 4;
      seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    }
  // More than two colours: drawn. Fewer (a display still blank) is 0, so waitForFunction waits on.
  return seen.size > 2 ? seen.size : 0;
}

describe.skipIf(Boolean(skip)).each([
  ["vnc", 5901],
  ["rdp", 3389],
] as const satisfies readonly (readonly [keyof typeof HANDSHAKE, number])[])(
  "a %s VirtualLab on Docker, on the real Pulumi engine, opened in a browser",
  (protocol, desktopPort) => {
    let s: WorkloadSession;
    let images: { gateway: string; desktop: string };
    let url: string;
    let browser: Browser | undefined;

    beforeAll(async () => {
      images = { gateway: await localImage("guacamole"), desktop: await localImage("desktop") };
      s = await openSession(`lab-${protocol}`);
    }, 3_600_000);

    afterAll(async () => {
      await browser?.close();
      await s?.close();
    }, 600_000);

    it("up creates the target, the gateway and guacd; the session reports the gateway URL", async () => {
      const r = await s.up(formation(s.name, protocol, images.gateway, images.desktop));
      expect(r.result).toBe("ok");
      const d = await s.sessions.show(s.name);
      expect(d.machines.map((m) => m.name).sort()).toEqual(["proxy", "target"]);
      url = d.machines.find((m) => m.name === "proxy")!.connect!;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/guacamole\/$/);
    }, 900_000);

    it("the gateway password is read through the library; the gateway takes it and refuses another", async () => {
      const password = await s.sessions.gatewayPassword(s.name);
      expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
      const login = (pw: string) => http(`${url}api/tokens`, { method: "POST", body: new URLSearchParams({ username: "lab", password: pw }) });
      const ok = await until(
        "the gateway's login answering",
        async () => {
          await s.healthy(["proxy", "target", "guacd"]);
          const res = await login(password);
          return res.status === 200 ? res : undefined;
        },
        480_000,
        2000,
      );
      expect(((await ok.json()) as { username: string }).username).toBe("lab");
      expect((await login(`${password}x`)).status).toBe(403);
    }, 540_000);

    it(`a headless chromium logs in at the gateway URL and the target's desktop is drawn over ${protocol}; a screenshot is saved`, async () => {
      browser = await openBrowser();
      const page = browser.page;
      const password = await s.sessions.gatewayPassword(s.name);
      // The desktop's server may still be starting, and on a loaded machine a first desktop session
      // can fail to start behind a connected gateway (xrdp's session manager gives up on a slow X
      // server and the display stays blank or drops): log in again, as a user would, until the
      // desktop is drawn. Each attempt that fails says why, with the target's last log lines.
      const bodyState = () =>
        page.evaluate(() => (globalThis as unknown as { document: { body: { dataset: { state?: string } } } }).document.body.dataset.state);
      let attempt = 0;
      await until(
        "the target's desktop drawn on the gateway's page",
        async () => {
          attempt++;
          await page.goto(url);
          await page.fill("#password", password);
          await page.click("#connect");
          await page.waitForFunction(() =>
            ["connected", "error"].includes(
              (globalThis as unknown as { document: { body: { dataset: { state?: string } } } }).document.body.dataset.state ?? "",
            ),
          );
          if ((await bodyState()) !== "connected") return undefined;
          // Drawn (the desktop's root window and xterm give several colours; a blank display one), or
          // the connection dropped: whichever comes first, polled once a second for up to 3 minutes.
          const outcome = await page
            .waitForFunction(
              `(() => {
                const state = document.body.dataset.state;
                if (state !== "connected") return "dropped (" + state + ")";
                return (${coloursOnDisplay.toString()})() > 2 ? "drawn" : false;
              })()`,
              undefined,
              { timeout: 180_000, polling: 1000 },
            )
            .then(
              (h) => h.jsonValue() as Promise<string>,
              (e: Error) => `not drawn: ${e.message.split("\n")[0]}`,
            );
          if (outcome === "drawn") return outcome;
          const logs = await docker(["logs", "--tail", "30", s.container("target")]).catch((e: Error) => e.message);
          console.warn(`${protocol} attempt ${attempt}: ${outcome}; the target's last lines:\n${logs}`);
          return undefined;
        },
        540_000,
        3000,
      );
      const colours = await page.evaluate(coloursOnDisplay);
      expect(colours).toBeGreaterThan(2);
      const shot = await browser.shot(`lab-${protocol}-desktop`);
      console.log(`${protocol}: desktop drawn in chromium (${colours} colours on the gateway's canvas); screenshot ${shot}`);
      expect(await page.locator("#login").isHidden()).toBe(true);
    }, 900_000);

    it(`the target is reachable only through the gateway: a direct connection from the host to its ${protocol} server fails`, async () => {
      expect((await docker(["port", s.container("target")])).trim()).toBe("");
      const ips = (await docker(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", s.container("target")])).trim().split(/\s+/);
      expect(ips).toHaveLength(1);
      const how = await handshakeFromHost(protocol, ips[0]!, desktopPort, 20_000);
      console.log(`direct connection from the host to the target's ${protocol} server ${ips[0]}:${desktopPort}: ${how}`);
      expect(how).not.toBe("answered");
      // The gateway does reach it, by name, from inside the lab's network: the same handshake answers.
      const { send, expect: want } = HANDSHAKE[protocol];
      const script = `exec 3<>/dev/tcp/target/${desktopPort} && printf '${send.replace(/[\s\S]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)}' >&3 && head -c ${want.length} <&3 | od -An -tx1`;
      const answer = await until("the target's server answering the gateway", () => s.exec("proxy", ["bash", "-c", script]), 120_000, 2000);
      expect(answer.trim().split(/\s+/)).toEqual([...want].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")));
    }, 180_000);
  },
);
