/**
 * Tabs for the presence tests (h93, h96): Chromium pages on Playwright clocks, one optionally hidden as a background
 * tab is, each with a provider whose awareness changes are recorded with the page's own time.
 *
 *   presenceTabs() → { openTab(hidden), join(tab, room, user), host() }   (a test file's browser, page and server, set up once)
 *   openTab(browser, pageUrl, hidden) → Page          (its clock installed at START)
 *   join(tab, host, room, user) → its awareness clientID, once synced
 *   ownClock(tab), seen(tab, client, clock)          (the awareness clock of the tab's own / another client's entry)
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { startBackend, type Backend } from "./backend.js";
import { bundlePage, launchChromium, openPage, servePage } from "./browser-harness.js";
import type { TestHttpServer } from "./support.js";

export type Change = { at: number; added: number[]; updated: number[]; removed: number[] };
export type Win = { provider: import("../../provider/index.js").YPartyKitProvider; changes: Change[] };

export const START = Date.parse("2026-01-01T00:00:00Z");
/** Both pages' clocks pause here, past the real time their set-up takes. */
export const PAUSED_AT = START + 30_000;
export const STEP_MS = 1_000;
export const MINUTE = 60_000;

/** A test file's Chromium, the provider's page and a server, started before its tests and closed after them. */
export function presenceTabs(): { openTab(hidden: boolean): Promise<Page>; join(tab: Page, room: string, user: string): Promise<number>; host(): string } {
  let browser: Browser;
  let page: TestHttpServer & { url: string };
  let backend: Backend;
  beforeAll(async () => {
    [browser, page, backend] = await Promise.all([launchChromium(), bundlePage("yjs-page.ts").then(servePage), startBackend()]);
  });
  afterAll(async () => {
    await browser?.close();
    await page?.close();
    await backend?.close();
  });
  return {
    openTab: (hidden) => openTab(browser, page.url, hidden),
    join: (tab, room, user) => join(tab, backend.host, room, user),
    host: () => backend.host,
  };
}

/** A page on its own clock (clocks are per context), optionally hidden as a background tab is. */
export async function openTab(browser: Browser, pageUrl: string, hidden: boolean): Promise<Page> {
  const context = await browser.newContext();
  await context.clock.install({ time: START });
  if (hidden) {
    await context.addInitScript(() => {
      Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get: () => "hidden" });
      Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => true });
    });
  }
  return openPage(context, pageUrl);
}

export async function join(tab: Page, host: string, room: string, user: string): Promise<number> {
  await tab.evaluate(
    ({ host, room, user }) => {
      const { Y, YPartyKitProvider } = window.yparty;
      const provider = new YPartyKitProvider(host, room, new Y.Doc());
      provider.awareness.setLocalStateField("user", { name: user });
      // Every presence change this tab sees, when (its own clock) and what.
      const changes: Change[] = [];
      provider.awareness.on("change", ({ added, updated, removed }: Omit<Change, "at">) => changes.push({ at: Date.now(), added, updated, removed }));
      Object.assign(window, { provider, changes });
    },
    { host, room, user },
  );
  await tab.waitForFunction(() => (window as unknown as Win).provider.synced, null, { timeout: 10_000 });
  return tab.evaluate(() => (window as unknown as Win).provider.awareness.clientID);
}

export const ownClock = (tab: Page) =>
  tab.evaluate(() => {
    const { awareness } = (window as unknown as Win).provider;
    return awareness.meta.get(awareness.clientID)?.clock ?? -1;
  });

/** Waits until `tab` has seen `client`'s entry at `clock` or later (present or not). */
export const seen = (tab: Page, client: number, clock: number) =>
  tab.waitForFunction(
    ({ client, clock }) => ((window as unknown as Win).provider.awareness.meta.get(client)?.clock ?? -1) >= clock,
    { client, clock },
    { timeout: 10_000 },
  );
