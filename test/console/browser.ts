/**
 * A real browser for the layer-5 tests: Debian's chromium (/usr/bin/chromium, installed by
 * .ci/run with apt) driven by playwright-core, headless, in a fresh profile, with nothing
 * reaching out (no sync, no component updates, no QUIC). Playwright's own browser download
 * cannot work here, and is never asked for. Screenshots go to FORMATIONS_SCREENSHOTS when set
 * (`npm run screenshots` points it at docs/screenshots), else to a temporary folder.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Saves a screenshot of the page as `<name>.png`; returns its path. */
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Launches chromium; `resolve` maps host names to 127.0.0.1 (a DNS-rebinding or another-site test). */
export async function openBrowser(opts: { mapHosts?: string[] } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (the browser tests use Debian's chromium)`);
  const profile = await mkdtemp(join(tmpdir(), "formations-chromium-"));
  const shots = resolve(process.env.FORMATIONS_SCREENSHOTS ?? (await mkdtemp(join(tmpdir(), "formations-shots-"))));
  await mkdir(shots, { recursive: true });
  const args = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ];
  if (opts.mapHosts?.length) args.push(`--host-resolver-rules=${opts.mapHosts.map((h) => `MAP ${h} 127.0.0.1`).join(", ")}`);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 1360, height: 860 },
    acceptDownloads: true,
  });
  // The machine is shared and loaded: waits are for events, with room to spare.
  context.setDefaultTimeout(120_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    shot: async (name) => {
      const path = join(shots, `${name}.png`);
      await page.screenshot({ path, fullPage: false });
      return path;
    },
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The text of a locator once it differs from `before` (a live update arrived). */
export async function changedText(page: Page, selector: string, before: string): Promise<string> {
  // Runs in the page (a function, not a string: the console's CSP forbids eval); typed by hand, as
  // this file is compiled without the DOM's types.
  type Doc = { querySelector(s: string): { textContent: string | null } | null };
  await page.waitForFunction(([s, b]) => (globalThis as unknown as { document: Doc }).document.querySelector(s)?.textContent !== b, [selector, before] as [
    string,
    string,
  ]);
  return (await page.locator(selector).first().textContent()) ?? "";
}
