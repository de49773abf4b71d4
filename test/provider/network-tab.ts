/**
 * A Chromium tab with a provider on a room, for the network-change tests (h148, h153): the tab's clock is playwright's,
 * the provider's statuses are recorded, and `goOffline`/`goOnline` fire the browser's events with `navigator.onLine`
 * to match while the network itself stays up (a server on this machine is still reachable offline), so a TCP proxy
 * decides what passes.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
import { startTcpProxy, type TcpProxy } from "../cluster/network.js";
import { startBackend, type Backend } from "./backend.js";
import { bundlePage, launchChromium, openPage, servePage } from "./browser-harness.js";
import { converged, destroyProviders, makeProvider, synced, type TestHttpServer } from "./support.js";

/** What a network-change test file shares: Chromium, the test page, a yparty backend, and cleanups after each test. */
export interface NetworkSuite {
  readonly browser: Browser;
  readonly page: TestHttpServer & { url: string };
  readonly backend: Backend;
  /** Run after the test, the last added first. */
  defer(cleanup: () => Promise<unknown> | unknown): void;
  /** A TCP proxy to the backend, closed after the test. */
  proxy(): Promise<TcpProxy>;
  /** Resolves once another client reads `text` as the room's text "t" from the server. */
  serverHas(room: string, text: string): Promise<void>;
}

/** Starts the suite's browser, page and backend before its tests, and closes them after (vitest hooks of the file). */
export function networkSuite(): NetworkSuite {
  const started = {} as { browser: Browser; page: TestHttpServer & { url: string }; backend: Backend };
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  beforeAll(async () => {
    [started.browser, started.page, started.backend] = await Promise.all([launchChromium(), bundlePage("yjs-page.ts").then(servePage), startBackend()]);
  });
  afterEach(async () => {
    destroyProviders();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await started.browser?.close();
    await started.page?.close();
    await started.backend?.close();
  });
  const suite: NetworkSuite = {
    get browser() {
      return started.browser;
    },
    get page() {
      return started.page;
    },
    get backend() {
      return started.backend;
    },
    defer: (cleanup) => void cleanups.push(cleanup),
    proxy: async () => {
      const proxy = await startTcpProxy(started.backend.port);
      cleanups.push(() => proxy.close());
      return proxy;
    },
    serverHas: async (room, text) => {
      const reader = makeProvider(started.backend.host, room);
      await synced(reader);
      await converged([reader.doc], (doc) => doc.getText("t").toString(), text);
    },
  };
  return suite;
}

export type Win = {
  provider: import("../../provider/index.js").YPartyKitProvider;
  statuses: string[];
  unsynced: number[];
  /** `connection-error` messages. */
  errors: string[];
  /** Frames the provider's sockets received. */
  frames: number;
  /** `params()` calls; while `hangParams` is set, they settle only when `failHangingParams()` fails them. */
  paramsCalls: number;
  hangParams: boolean;
  failHangingParams(): void;
};

export const inTab = <T>(tab: Page, f: (win: Win) => T) => tab.evaluate(`(${f.toString()})(window)`) as Promise<Awaited<T>>;
export const waitInTab = (tab: Page, f: (win: Win) => boolean, timeout = 10_000) => tab.waitForFunction(`(${f.toString()})(window)`, null, { timeout });

/** A browser context whose tabs' clocks are playwright's. */
export async function fakeClockContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.clock.install();
  return context;
}

/**
 * A tab whose provider (params from a function the test steers) has synced on `room` at `host`, its connection quiet; with `viaPort`, its
 * sockets go to that port (a proxy to `host`) while its room and cross-tab channel stay those of `host`.
 */
export async function openTab(context: BrowserContext, pageUrl: string, host: string, room: string, viaPort?: number): Promise<Page> {
  const tab = await openPage(context, pageUrl);
  await tab.evaluate(
    ({ host, room, viaPort }) => {
      Object.assign(window, {
        setOnline(online: boolean) {
          Object.defineProperty(navigator, "onLine", { configurable: true, get: () => online });
          dispatchEvent(new Event(online ? "online" : "offline"));
        },
      });
      const { Y, YPartyKitProvider } = window.yparty;
      const win = window as unknown as Win;
      Object.assign(win, { statuses: [], unsynced: [], errors: [], frames: 0, paramsCalls: 0, hangParams: false });
      const hanging: Array<(error: Error) => void> = [];
      win.failHangingParams = () => {
        for (const reject of hanging.splice(0)) reject(new Error("token fetch failed"));
      };
      const params = () => {
        win.paramsCalls++;
        if (!win.hangParams) return Promise.resolve({ token: "t" });
        return new Promise<Record<string, string>>((_, reject) => hanging.push(reject));
      };
      class ViaWebSocket extends WebSocket {
        constructor(url: string | URL) {
          const target = new URL(url);
          if (viaPort !== undefined) target.port = String(viaPort);
          super(target);
          this.addEventListener("message", () => win.frames++);
        }
      }
      const provider = new YPartyKitProvider(host, room, new Y.Doc(), { params, WebSocketPolyfill: ViaWebSocket });
      provider.on("status", ({ status }) => win.statuses.push(status));
      provider.on("unsynced-changes", (count) => win.unsynced.push(count));
      provider.on("connection-error", (error) => win.errors.push((error as Error).message ?? String(error)));
      win.provider = provider;
    },
    { host, room, viaPort },
  );
  await waitInTab(tab, (win) => win.provider.synced);
  // A change saved: its ack is the last frame the opening brings (none is on its way when a test cuts the network).
  await inTab(tab, (win) => win.provider.doc.getMap("tab").set("opened", true));
  await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
  await inTab(tab, (win) => win.unsynced.splice(0));
  return tab;
}

/** The browser's `offline`/`online` event, `navigator.onLine` to match from then on; the network stays as it is. */
export const setOnline = (tab: Page, online: boolean) =>
  tab.evaluate((value) => (window as unknown as { setOnline(v: boolean): void }).setOnline(value), online);

/**
 * Stops the tab's clock 50 ms from now, far less than any reconnect backoff left after seconds of failed attempts. `pauseAt` refuses a time the running clock passed meanwhile (a loaded
 * machine): asked again then.
 */
export async function pauseSoon(tab: Page): Promise<void> {
  for (;;) {
    const now = await tab.evaluate(() => Date.now());
    try {
      return await tab.clock.pauseAt(now + 50);
    } catch (error) {
      if (!String(error).includes("to the past")) throw error;
    }
  }
}
