/**
 * A background tab whose timers the browser throttles (Chrome runs a hidden tab's repeating timers once a minute)
 * on a quiet room: the provider's silence watchdog then wakes once after a minute of silence. It must ask the server
 * (probe) before calling the socket dead, not drop a healthy connection every minute (and with it the tab's presence
 * for everyone else). Playwright's clock `fastForward` is that wake-up: due timers fire once, time jumps.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "./backend.js";
import { bundlePage, launchChromium, openPage, pageErrors, servePage } from "./browser-harness.js";
import type { TestHttpServer } from "./support.js";

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

type Win = { provider: import("../../provider/index.js").YPartyKitProvider; statuses: string[] };

async function throttledTab(room: string): Promise<Page> {
  const context = await browser.newContext();
  await context.clock.install();
  const tab = await openPage(context, page.url);
  await tab.evaluate(
    ({ host, room }) => {
      const { Y, YPartyKitProvider } = window.yparty;
      // A link that dies without the browser noticing (a dropped NAT entry): the provider sees no `offline` event, on
      // which it would check the socket at once (h84-offline-and-bfcache), and only its silence watchdog can tell.
      for (const name of ["offline", "online"]) addEventListener(name, (event) => event.stopImmediatePropagation());
      const provider = new YPartyKitProvider(host, room, new Y.Doc());
      const statuses: string[] = [];
      provider.on("status", ({ status }) => statuses.push(status));
      Object.assign(window, { provider, statuses });
    },
    { host: backend.host, room },
  );
  await tab.waitForFunction(() => (window as unknown as Win).provider.synced, null, { timeout: 10_000 });
  return tab;
}

describe("provider in a throttled background tab", () => {
  it("a watchdog that wakes after a minute of silence probes the server and keeps the healthy connection", async () => {
    const tab = await throttledTab("throttled-quiet-room");
    for (let minute = 0; minute < 3; minute++) {
      const before = await tab.evaluate(() => Date.now());
      await tab.clock.fastForward(60_000);
      // The server answers the probe (a sync step 2): the connection was alive all along.
      await tab.waitForFunction((before) => (window as unknown as Win).provider.wsLastMessageReceived >= before + 60_000, before, { timeout: 10_000 });
    }
    expect(await tab.evaluate(() => (window as unknown as Win).statuses)).toEqual(["connecting", "connected"]);
    expect(pageErrors(tab)).toEqual([]);
  });

  it("a connection that stopped answering is still given up: the probe goes unanswered through the next wake-up", async () => {
    const tab = await throttledTab("throttled-dead-link");
    await tab.context().setOffline(true); // the socket stays open in the page; nothing passes any more
    await tab.clock.fastForward(60_000);
    expect(await tab.evaluate(() => (window as unknown as Win).provider.wsconnected)).toBe(true);
    await tab.clock.fastForward(60_000);
    await tab.waitForFunction(() => (window as unknown as Win).statuses.includes("disconnected"), null, { timeout: 10_000 });
    await tab.context().setOffline(false);
    await tab.clock.fastForward(3_000); // past the reconnect backoff
    await tab.waitForFunction(() => (window as unknown as Win).provider.synced, null, { timeout: 10_000 });
  });
});
