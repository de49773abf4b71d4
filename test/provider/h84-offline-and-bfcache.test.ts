/**
 * The page's own signals in Chromium. Offline: Chromium's offline emulation (`context.setOffline`) leaves an open
 * WebSocket open and passes nothing through it, as a real network that drops does, and fires `offline`/`online`. The
 * provider must say "disconnected" within seconds of `offline` (an editor showed "Saving…" for 30 s), and reconnect on
 * `online` without waiting out its backoff. The tab's clock is playwright's fake one, so only what the provider does
 * on the events themselves can pass. Back/forward cache: a real navigation away and `goBack()`, with the cache on.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "../cluster/network.js";
import { startBackend, type Backend } from "./backend.js";
import { pauseSoon } from "./network-tab.js";
import { bundlePage, launchChromium, openPage, pageErrors, servePage } from "./browser-harness.js";
import { awarenessChanges, destroyProviders, makeProvider, synced, type TestHttpServer, waitUntil } from "./support.js";

let browser: Browser;
let page: TestHttpServer & { url: string };
let backend: Backend;

beforeAll(async () => {
  [browser, page, backend] = await Promise.all([launchChromium({ backForwardCache: true }), bundlePage("yjs-page.ts").then(servePage), startBackend()]);
});

const proxies: TcpProxy[] = [];
afterEach(async () => {
  destroyProviders();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(async () => {
  await browser?.close();
  await page?.close();
  await backend?.close();
});

type Win = {
  provider: import("../../provider/index.js").YPartyKitProvider;
  statuses: string[];
  seen: string[];
  /** When the page saw `online`. */
  onlineAt: number;
};
const inTab = <T>(tab: Page, f: (win: Win) => T) => tab.evaluate(`(${f.toString()})(window)`) as Promise<Awaited<T>>;
const waitInTab = (tab: Page, f: (win: Win) => boolean) => tab.waitForFunction(`(${f.toString()})(window)`, null, { timeout: 10_000 });

/** A tab with a synced provider on `room`, recording its statuses and the page events it saw (after the provider). */
async function openTab(room: string, options: { fakeClock?: boolean; name?: string; host?: string } = {}): Promise<Page> {
  const context = await browser.newContext();
  if (options.fakeClock) await context.clock.install();
  const tab = await openPage(context, page.url);
  await tab.evaluate(
    ({ host, room, name }) => {
      const { Y, YPartyKitProvider } = window.yparty;
      const provider = new YPartyKitProvider(host, room, new Y.Doc());
      if (name) provider.awareness.setLocalStateField("user", { name });
      const statuses: string[] = [];
      const seen: string[] = [];
      provider.on("status", ({ status }) => statuses.push(status));
      for (const name of ["offline", "online", "pagehide", "pageshow"])
        addEventListener(name, (event) => seen.push(`${name}${(event as PageTransitionEvent).persisted ? " persisted" : ""}`));
      addEventListener("online", () => Object.assign(window, { onlineAt: Date.now() }));
      Object.assign(window, { provider, statuses, seen });
    },
    { host: options.host ?? backend.host, room, name: options.name },
  );
  await waitInTab(tab, (win) => win.provider.synced);
  return tab;
}

describe("the provider and the browser's offline/online events", () => {
  it("says disconnected within seconds of going offline (edits: not saved), and reconnects at once when back online", async () => {
    const tab = await openTab("h84-offline", { fakeClock: true });
    await inTab(tab, (win) => win.provider.doc.getText("t").insert(0, "saved. "));
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);

    await tab.context().setOffline(true);
    await waitInTab(tab, (win) => win.seen.includes("offline"));
    await inTab(tab, (win) => win.provider.doc.getText("t").insert(7, "typed offline."));
    await tab.clock.runFor(2_000); // the provider's answer deadline; before, it waited for 30 s of silence
    await waitInTab(tab, (win) => win.statuses.includes("disconnected"));
    expect(await inTab(tab, (win) => ({ connected: win.provider.wsconnected, unsynced: win.provider.unsyncedChanges }))).toEqual({
      connected: false,
      unsynced: 1,
    });

    // The clock stands still from here: a reconnect waiting out its backoff would never come.
    await pauseSoon(tab);
    await tab.context().setOffline(false);
    await waitInTab(tab, (win) => win.provider.synced && win.provider.unsyncedChanges === 0);
    const other = makeProvider(backend.host, "h84-offline");
    await synced(other);
    expect(other.doc.getText("t").toString()).toBe("saved. typed offline.");
    expect(pageErrors(tab)).toEqual([]);
  });

  it("back online while a handshake started before is under way: if it fails, the next attempt starts at once", async () => {
    // The handshake is held in a proxy, so the page's `online` comes while it is under way, as it may on a loaded
    // machine: the socket opened offline has not failed yet (CI saw the provider wait out its backoff then).
    const proxy = await startTcpProxy(backend.port);
    proxies.push(proxy);
    const tab = await openTab("h84-online-mid-handshake", { fakeClock: true, host: `127.0.0.1:${proxy.port}` });
    proxy.partition();
    proxy.reset();
    await proxy.whenHeld(1); // the next attempt's upgrade request, held
    await pauseSoon(tab);
    await inTab(tab, () => dispatchEvent(new Event("online")));
    proxy.reset(); // the handshake fails
    proxy.heal();
    await waitInTab(tab, (win) => win.provider.synced);
    expect(await inTab(tab, (win) => win.statuses)).toEqual(["connecting", "connected", "disconnected", "connecting", "connecting", "connected"]);
  });

  it("keeps a socket that answers: offline and back online within the deadline is no reconnect", async () => {
    const tab = await openTab("h84-offline-blip", { fakeClock: true });
    await tab.context().setOffline(true);
    await waitInTab(tab, (win) => win.seen.includes("offline"));
    await tab.context().setOffline(false);
    await waitInTab(tab, (win) => win.seen.includes("online"));
    // The probe sent on `online` is answered, so the deadline passing changes nothing.
    await waitInTab(tab, (win) => win.provider.wsLastMessageReceived >= win.onlineAt);
    await tab.clock.runFor(5_000);
    expect(await inTab(tab, (win) => [win.statuses, win.provider.synced])).toEqual([["connecting", "connected"], true]);
  });
});

describe("the provider and the back/forward cache", () => {
  it("lets the page into the cache, and restores its presence and connection when it comes back", async () => {
    const room = "h84-bfcache";
    const tab = await openTab(room, { name: "ada" });
    const tabId = await inTab(tab, (win) => win.provider.awareness.clientID);
    const observer = makeProvider(backend.host, room);
    await synced(observer);
    const tabPresence = () => observer.awareness.getStates().get(tabId) as { user?: { name: string } } | undefined;
    await waitUntil("the tab's presence", () => tabPresence()?.user?.name === "ada", awarenessChanges(observer.awareness));

    await tab.goto(`${page.url}?away`);
    await waitUntil("the tab's presence to go", () => tabPresence() === undefined, awarenessChanges(observer.awareness));
    await tab.goBack({ waitUntil: "commit" }); // a page from the cache fires no load
    // Chrome does not cache a page with an open WebSocket (reason "websocket"): it loads it again, the editor starts over.
    await tab.waitForFunction(() => performance.getEntriesByType("navigation").length > 0);
    const notRestored = await tab.evaluate(
      () => (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming & { notRestoredReasons: unknown }).notRestoredReasons,
    );
    expect(notRestored).toBeNull();
    await waitInTab(tab, (win) => win.seen.includes("pageshow persisted"));
    await waitInTab(tab, (win) => win.provider.synced);
    await waitUntil("the tab's presence back", () => tabPresence()?.user?.name === "ada", awarenessChanges(observer.awareness));
    await inTab(tab, (win) => win.provider.doc.getText("t").insert(0, "after the cache"));
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    expect(pageErrors(tab)).toEqual([]);
  });
});
