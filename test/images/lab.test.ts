/**
 * Layer 3: the real Docker engine (no Pulumi engine yet: sessions on it come later, issue 10).
 * The local gateway image (guacd from Debian, our gateway web application on guacamole-common
 * in Debian's Tomcat) and desktop image (TigerVNC, xrdp, OpenSSH, Openbox) run a VirtualLab per
 * protocol the way the Docker adapter starts it: the gateway's entrypoint renders the user
 * mapping with the password given at run time, guacd runs beside it, the target takes the same
 * password. The gateway logs in with that password (and refuses another), and a Guacamole
 * tunnel through guacd reaches the desktop: the target's screen size and its first images come
 * back over the tunnel, as a browser would get them.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFormationText } from "../../format/load.js";
import { PROXY_HTTP_PORT } from "../../clouds/docker/emit/ports.js";
import { buildImage, exec, http, launch, until, type Session } from "./adapter-docker.js";

const formation = (protocol: string, gateway: string, desktop: string) =>
  loadFormationText(`apiVersion: formations/v1
kind: VirtualLab
metadata: { name: images-lab-${protocol}, labels: { team: qa } }
cloud: { provider: docker }
spec:
  target: { protocol: ${protocol}, machine: { instanceType: 1cpu-1g, image: "${desktop}" } }
  proxy: { machine: { instanceType: 1cpu-1g, image: "${gateway}" } }
`);

/** Guacamole protocol instructions (`4.size,1.0,4.1024,3.768;`) from a stream's text; the rest is kept. */
function parse(buffer: string): { instructions: string[][]; rest: string } {
  const instructions: string[][] = [];
  let i = 0;
  let start = 0;
  let current: string[] = [];
  for (;;) {
    const dot = buffer.indexOf(".", i);
    if (dot < 0) break;
    const len = Number(buffer.slice(i, dot));
    const end = dot + 1 + len;
    if (!Number.isInteger(len) || end >= buffer.length) break;
    current.push(buffer.slice(dot + 1, end));
    const sep = buffer[end];
    i = end + 1;
    if (sep === ";") {
      instructions.push(current);
      current = [];
      start = i;
    }
  }
  return { instructions, rest: buffer.slice(start) };
}

interface Screen {
  size: [number, number];
  images: number;
  opcodes: Set<string>;
  error?: string;
}

/**
 * Opens the lab's connection over the gateway's HTTP tunnel (as guacamole-common-js does) and
 * reads until the default layer has a size and something has been drawn on it.
 */
async function openDesktop(base: string, token: string, connection: string): Promise<Screen> {
  const body = new URLSearchParams({ token, GUAC_ID: connection, GUAC_WIDTH: "1024", GUAC_HEIGHT: "768", GUAC_DPI: "96" });
  const res = await http(`${base}/tunnel?connect`, { method: "POST", body });
  expect(res.status).toBe(200);
  const uuid = (await res.text()).trim();
  const tunnelToken = res.headers.get("Guacamole-Tunnel-Token");
  const headers: Record<string, string> = tunnelToken ? { "Guacamole-Tunnel-Token": tunnelToken } : {};
  const screen: Screen = { size: [0, 0], images: 0, opcodes: new Set() };
  const deadline = Date.now() + 120_000;
  try {
    for (let n = 0; Date.now() < deadline; n++) {
      const read = await http(`${base}/tunnel?read:${uuid}:${n}`, { headers }, 120_000);
      if (!read.ok || !read.body) throw new Error(`tunnel read ${n}: HTTP ${read.status}`);
      let buffer = "";
      const decoder = new TextDecoder();
      for await (const chunk of read.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        const { instructions, rest } = parse(buffer);
        buffer = rest;
        for (const [op, ...args] of instructions) {
          if (op === undefined || op === "") continue;
          screen.opcodes.add(op);
          if (op === "size" && args[0] === "0") screen.size = [Number(args[1]), Number(args[2])];
          if (op === "img" || op === "png") screen.images++;
          if (op === "error") screen.error = `${args[0]} (status ${args[1]})`;
        }
        if (screen.error || (screen.size[0] > 0 && screen.images > 0)) return screen;
      }
    }
    return screen;
  } finally {
    await http(`${base}/tunnel?write:${uuid}`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/octet-stream" },
      body: "10.disconnect;",
    }).catch(() => undefined);
  }
}

describe.each([
  // VNC: the desktop's own framebuffer, at the VNC_RESOLUTION the adapter gives the target.
  ["vnc", [1600, 900]],
  // RDP and SSH: the screen the browser asked for.
  ["rdp", [1024, 768]],
  ["ssh", [1024, 768]],
] as const)("a %s lab on the local gateway and desktop images, started as the Docker adapter starts it", (protocol, size) => {
  let s: Session;
  let base: string;
  let images: { gateway: string; desktop: string };
  const password = randomBytes(12).toString("hex");

  beforeAll(async () => {
    images = { gateway: await buildImage("guacamole"), desktop: await buildImage("desktop") };
    // The mock runtime's password becomes one chosen here: given to the containers at run time.
    const env = (e: string) => e.replace(/^(GATEWAY_PASSWORD|VNC_PW|USER_PASSWORD)=.*$/s, `$1=${password}`);
    s = await launch(formation(protocol, images.gateway, images.desktop), `img-lab-${protocol}-${randomBytes(3).toString("hex")}`, env);
    const { host, port } = await s.hostPort("proxy", PROXY_HTTP_PORT);
    base = `http://${host}:${port}/guacamole`;
  }, 3_600_000);

  afterAll(async () => {
    await s?.remove();
  }, 120_000);

  it("guacd runs from the gateway image; the target publishes nothing", () => {
    expect(s.inputs("guacd").image).toBe(images.gateway);
    expect(s.inputs("target").image).toBe(images.desktop);
    expect(s.inputs("target").ports ?? []).toEqual([]);
  });

  it("the gateway logs in with the password given at run time, and refuses another", async () => {
    const login = (pw: string) => http(`${base}/api/tokens`, { method: "POST", body: new URLSearchParams({ username: "lab", password: pw }) });
    const ok = await until(
      "the gateway's login answering",
      async () => {
        await s.healthy();
        const r = await login(password);
        return r.status === 200 ? r : undefined;
      },
      480_000,
      2000,
    );
    const body = (await ok.json()) as { authToken: string; username: string; dataSource: string };
    expect(body).toMatchObject({ username: "lab", dataSource: "default" });
    expect(body.authToken).toMatch(/^[0-9A-F]{64}$/);
    expect((await login(`${password}x`)).status).toBe(403);
    expect((await http(`${base}/`)).status).toBe(200);
  }, 540_000);

  it(`the gateway reaches the desktop over ${protocol}: its screen comes back through the tunnel`, async () => {
    if (protocol === "vnc") {
      // The VNC handshake as the gateway's network sees it: the target speaks RFB on 5901.
      const banner = await until(
        "the target's VNC server",
        () => exec(s.container("proxy"), ["bash", "-c", "exec 3<>/dev/tcp/target/5901; head -c 12 <&3"]),
        120_000,
        2000,
      );
      expect(banner).toBe("RFB 003.008\n");
    }
    const login = await http(`${base}/api/tokens`, { method: "POST", body: new URLSearchParams({ username: "lab", password }) });
    const { authToken } = (await login.json()) as { authToken: string };
    const connections = (await (await http(`${base}/api/session/data/default/connections?token=${authToken}`)).json()) as Record<string, { protocol: string }>;
    const [id, connection] = Object.entries(connections)[0]!;
    expect(connection.protocol).toBe(protocol);
    // The desktop's server may still be starting: retry the whole connection until it draws.
    const screen = await until(
      "the desktop drawn through the tunnel",
      async () => {
        await s.healthy();
        const got = await openDesktop(base, authToken, id);
        return got.error === undefined && got.images > 0 ? got : undefined;
      },
      240_000,
      3000,
    );
    console.log(`${protocol}: screen ${screen.size.join("x")}, ${screen.images} images, instructions ${[...screen.opcodes].sort().join(" ")}`);
    expect(screen.size).toEqual(size);
    expect(screen.images).toBeGreaterThan(0);
  }, 420_000);
});
