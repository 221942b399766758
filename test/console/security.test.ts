/**
 * Layer: unit. The console's security checks on every request (token, Host, Origin,
 * Sec-Fetch-Site, POST shape, response headers), through the app's routes with
 * `app.request()`; the sessions behind it are on FakeEngine, a test double (no Pulumi runs).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allowedHosts, refusal, tokenOf } from "../../console/security.js";
import { consoleHarness, HOST, ORIGIN, TOKEN, type ConsoleHarness } from "./harness.js";

let h: ConsoleHarness;
beforeEach(async () => {
  h = await consoleHarness();
});
afterEach(() => h.cleanup());

const raw = (path: string, init: RequestInit = {}) => h.app.request(path, init);

describe("the token", () => {
  it("refuses a request without it (401), whatever the path, and says where the token is", async () => {
    for (const path of ["/", "/api/sessions", "/assets/app.js", "/api/events", "/nowhere"]) {
      const r = await raw(path, { headers: { Host: HOST } });
      expect(r.status, path).toBe(401);
      expect(((await r.json()) as { error: string }).error).toMatch(/token from the URL it printed/);
    }
  });

  it("refuses a wrong token, also one of the same length", async () => {
    const wrong = TOKEN.slice(0, -1) + (TOKEN.endsWith("u") ? "v" : "u");
    expect((await raw("/api/sessions", { headers: { Host: HOST, Authorization: `Bearer ${wrong}` } })).status).toBe(401);
    expect((await raw(`/api/sessions?token=${wrong}`, { headers: { Host: HOST } })).status).toBe(401);
    expect((await raw("/api/sessions?token=short", { headers: { Host: HOST } })).status).toBe(401);
  });

  it("accepts the bearer header, or the token in the query where a browser cannot set a header", async () => {
    expect((await h.get("/api/sessions")).status).toBe(200);
    expect((await raw(`/api/sessions?token=${TOKEN}`, { headers: { Host: HOST } })).status).toBe(200);
    expect(tokenOf("Bearer abc", "def")).toBe("abc");
    expect(tokenOf(undefined, "def")).toBe("def");
    expect(tokenOf("Basic abc", undefined)).toBeUndefined();
  });
});

describe("Host and Origin", () => {
  it("refuses a Host that is not this console (DNS rebinding), even with the token", async () => {
    for (const host of ["evil.example:4321", "127.0.0.1:9999", "localhost", ""]) {
      const r = await h.get("/api/sessions", { Host: host });
      expect(r.status, host).toBe(403);
      expect(((await r.json()) as { error: string }).error).toMatch(/DNS rebinding/);
    }
    expect((await h.get("/api/sessions", { Host: "localhost:4321" })).status).toBe(200);
    expect(allowedHosts("127.0.0.1", 4321)).toEqual(["127.0.0.1:4321", "localhost:4321", "[::1]:4321"]);
    expect(allowedHosts("::1", 80)).toEqual(["127.0.0.1:80", "localhost:80", "[::1]:80"]);
  });

  it("refuses a request from another origin, a read as well as an action", async () => {
    const read = await h.get("/api/sessions", { Origin: "http://evil.example" });
    expect(read.status).toBe(403);
    expect(((await read.json()) as { error: string }).error).toBe("refused: a request from another origin (http://evil.example)");
    const act = await h.post("/api/batch", { action: "stop", confirmed: true, sessions: [] }, { Origin: "http://evil.example" });
    expect(act.status).toBe(403);
    expect((await h.post("/api/batch", { action: "stop" }, { Origin: "null" })).status).toBe(403);
  });

  it("refuses what the browser marks cross-site or same-site, and lets same-origin and typed URLs through", async () => {
    expect((await h.get("/api/sessions", { "Sec-Fetch-Site": "cross-site" })).status).toBe(403);
    expect((await h.get("/api/sessions", { "Sec-Fetch-Site": "same-site" })).status).toBe(403);
    expect((await h.get("/api/sessions", { "Sec-Fetch-Site": "same-origin" })).status).toBe(200);
    expect((await h.get("/", { "Sec-Fetch-Site": "none" })).status).toBe(200);
  });

  it("takes actions only as a JSON POST carrying this origin", async () => {
    const noOrigin = await raw("/api/batch", {
      method: "POST",
      headers: { Host: HOST, Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: "{}",
    });
    expect(noOrigin.status).toBe(403);
    const form = await raw("/api/batch", {
      method: "POST",
      headers: { Host: HOST, Origin: ORIGIN, Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/x-www-form-urlencoded" },
      body: "action=stop",
    });
    expect(form.status).toBe(415);
    expect(
      refusal({ method: "POST", host: HOST, origin: ORIGIN, contentType: "application/json; charset=utf-8", token: TOKEN }, { token: TOKEN, hosts: [HOST] }),
    ).toBeUndefined();
  });

  it("refuses a body over 64 KiB before reading it, and answers hostile JSON with 400", async () => {
    const big = await h.post("/api/batch", { action: "stop", pad: "x".repeat(70_000) });
    expect(big.status).toBe(413);
    const bad = await raw("/api/batch", {
      method: "POST",
      headers: { Host: HOST, Origin: ORIGIN, Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    expect((await h.post("/api/sessions/lab/actions", ["stop"])).status).toBe(400);
  });
});

describe("response headers", () => {
  it("sets a CSP allowing this origin only, no Referer, no framing, on answers and refusals alike", async () => {
    for (const r of [await h.get("/"), await raw("/", { headers: { Host: HOST } }), await h.get("/api/nowhere")]) {
      expect(r.headers.get("content-security-policy")).toContain("default-src 'none'; script-src 'self'");
      expect(r.headers.get("referrer-policy")).toBe("no-referrer");
      expect(r.headers.get("x-frame-options")).toBe("DENY");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("serves the page with the token in its own asset URLs, no inline script and no outside URL", async () => {
    const html = await (await h.get("/")).text();
    expect(html).toContain(`<script type="module" src="/assets/app.js?token=${TOKEN}"></script>`);
    expect(html).not.toMatch(/<script>(?!<\/script>)|https?:\/\//);
    const js = await h.get(`/assets/app.js`);
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await js.text()).not.toMatch(/(src|href)=["']https?:\/\//);
    expect((await h.get("/assets/..%2Fpackage.json")).status).toBe(404);
    expect((await h.get("/assets/app.js.map")).status).toBe(404);
  });
});
