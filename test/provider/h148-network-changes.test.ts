/**
 * The provider in Chromium where the network changes under it (h148). The page's `offline`/`online` events are fired
 * with `navigator.onLine` to match while a TCP proxy decides what passes (a partition stalls the socket, as a dropped
 * network does; a server on this machine stays reachable offline), and the tab's clock stands still unless a test
 * moves it: only what the provider does on the events themselves, and on its own deadlines, can pass. Each test checks
 * that what was typed reaches the server (read by another client), that `unsyncedChanges` is 0 only then, and the
 * statuses the provider told.
 */
import net from "node:net";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { TcpProxy } from "../cluster/network.js";
import { openPage, pageErrors } from "./browser-harness.js";
import { fakeClockContext, inTab, openTab, pauseSoon, setOnline, waitInTab, type Win, networkSuite } from "./network-tab.js";
import { awarenessChanges, makeProvider, synced, waitUntil } from "./support.js";

const suite = networkSuite();

const proxy = () => suite.proxy();

/** A synced tab on `room` whose sockets go through `via`. */
async function tabThrough(via: TcpProxy, room: string) {
  const context = await fakeClockContext(suite.browser);
  suite.defer(() => context.close());
  return openTab(context, suite.page.url, suite.backend.host, room, via.port);
}

/** `promise`, or an error naming `what` after `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Types `text` at the end of the tab's document. */
const type = (tab: Page, text: string) =>
  tab.evaluate((text) => {
    const t = (window as unknown as Win).provider.doc.getText("t");
    t.insert(t.length, text);
  }, text);

describe("the network changes under an open socket", () => {
  it("a frame that came in the millisecond the browser went offline does not answer the probe: disconnected within 2 s", async () => {
    const via = await proxy();
    const tab = await tabThrough(via, "h148-same-ms");
    await pauseSoon(tab);
    // Frames from now on come at the instant the probe will go out: the ack of what was typed just before the drop
    // (the last frame: the server does not echo our change).
    await type(tab, "saved. ");
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    via.partition();
    await setOnline(tab, false);
    await type(tab, "typed offline.");
    await tab.clock.runFor(2_000); // the answer's deadline: the socket was kept, "connected", for the silence timeout
    expect(await inTab(tab, (win) => [win.statuses, win.provider.synced, win.provider.unsyncedChanges])).toEqual([
      ["connecting", "connected", "disconnected"],
      false,
      1,
    ]);
    via.heal();
    await setOnline(tab, true);
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    await suite.serverHas("h148-same-ms", "saved. typed offline.");
    expect(await inTab(tab, (win) => win.statuses)).toEqual(["connecting", "connected", "disconnected", "connecting", "connected"]);
  });

  it("back online, the socket from before does not answer: given up after 2 s, and the next attempt starts at once", async () => {
    const via = await proxy();
    const tab = await tabThrough(via, "h148-online-dead");
    await pauseSoon(tab);
    via.partition(); // the old connection is dead on the new network
    await setOnline(tab, false);
    await type(tab, "typed offline.");
    await setOnline(tab, true);
    await type(tab, " typed online.");
    await tab.clock.runFor(2_000);
    await waitInTab(tab, (win) => win.statuses.includes("disconnected"));
    via.heal();
    // The clock stands still: a next attempt waiting out a backoff never comes.
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    await suite.serverHas("h148-online-dead", "typed offline. typed online.");
    expect(await inTab(tab, (win) => [win.statuses, win.unsynced])).toEqual([
      ["connecting", "connected", "disconnected", "connecting", "connected"],
      [1, 2, 0],
    ]);
  });

  it("a probe answered before does not cut the deadline of the next network change's probe short", async () => {
    const via = await proxy();
    const tab = await tabThrough(via, "h148-answered-probe");
    await pauseSoon(tab);
    const frames = await inTab(tab, (win) => win.frames);
    await setOnline(tab, false); // a server on this machine: the probe is answered at once
    await tab.waitForFunction((frames) => (window as unknown as Win).frames > frames, frames);
    await tab.clock.runFor(1_900);
    via.partition(); // the answer to the next probe takes a while
    await setOnline(tab, true);
    await tab.clock.runFor(200); // the first probe's deadline passed: the second probe had 100 ms, not 2 s
    via.heal();
    await type(tab, "kept.");
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    await tab.clock.runFor(3_000);
    expect(await inTab(tab, (win) => win.statuses)).toEqual(["connecting", "connected"]);
    await suite.serverHas("h148-answered-probe", "kept.");
  });

  it("holds: offline/online flaps within a second with a socket that stalls and comes back keep it, and lose nothing", async () => {
    const via = await proxy();
    const tab = await tabThrough(via, "h148-flaps");
    await pauseSoon(tab);
    via.partition();
    for (const [i, text] of ["a", "b", "c"].entries()) {
      await setOnline(tab, false);
      await type(tab, text);
      await setOnline(tab, true);
      await tab.clock.runFor(300 * i);
    }
    via.heal();
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    await tab.clock.runFor(3_000);
    expect(await inTab(tab, (win) => [win.statuses, win.provider.synced])).toEqual([["connecting", "connected"], true]);
    await suite.serverHas("h148-flaps", "abc");
  });

  it("holds: disconnect() and connect() during a flap open one socket, and what was typed around them is stored", async () => {
    const via = await proxy();
    const tab = await tabThrough(via, "h148-disconnect-flap");
    await pauseSoon(tab);
    via.partition();
    await setOnline(tab, false);
    await type(tab, "a");
    await inTab(tab, (win) => win.provider.disconnect());
    await setOnline(tab, true);
    await type(tab, "b");
    await inTab(tab, (win) => void win.provider.connect());
    await setOnline(tab, false);
    await type(tab, "c");
    await setOnline(tab, true);
    via.heal();
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    await suite.serverHas("h148-disconnect-flap", "abc");
    expect(await inTab(tab, (win) => win.statuses)).toEqual(["connecting", "connected", "disconnected", "connecting", "connected"]);
  });
});

describe("the network changes during an attempt", () => {
  /** The tab's socket is reset and the next attempt's `params()` hangs (a token fetch on a network gone). */
  async function attemptWithHangingParams(via: TcpProxy, room: string) {
    const tab = await tabThrough(via, room);
    await pauseSoon(tab);
    await setOnline(tab, false);
    await inTab(tab, (win) => (win.hangParams = true));
    via.reset();
    await waitInTab(tab, (win) => win.statuses.includes("disconnected"));
    await type(tab, "typed offline.");
    await tab.clock.runFor(1_000); // the backoff: the next attempt calls params()
    await waitInTab(tab, (win) => win.paramsCalls === 2);
    await inTab(tab, (win) => (win.hangParams = false));
    return tab;
  }

  it("back online while params() from before hang: given up after 2 s, and the next attempt starts at once", async () => {
    const via = await proxy();
    const tab = await attemptWithHangingParams(via, "h148-online-hanging-params");
    await setOnline(tab, true);
    await tab.clock.runFor(2_000); // not the 10 s of connectTimeout
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    await suite.serverHas("h148-online-hanging-params", "typed offline.");
    expect(await inTab(tab, (win) => win.errors.filter((error) => error.startsWith("params")))).toEqual([
      "params() did not settle within 2000 ms after the browser came back online",
    ]);
  });

  it("holds: back online while params() from before hang, then fail: the next attempt starts at once", async () => {
    const via = await proxy();
    const tab = await attemptWithHangingParams(via, "h148-online-failing-params");
    await setOnline(tab, true);
    await inTab(tab, (win) => win.failHangingParams());
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    await suite.serverHas("h148-online-failing-params", "typed offline.");
    expect(await inTab(tab, (win) => win.errors.filter((error) => error.startsWith("params")))).toEqual(["params() failed: token fetch failed"]);
  });

  it("back online while a handshake from before hangs: given up after 2 s, and the next attempt starts at once", async () => {
    const via = await proxy();
    const tab = await tabThrough(via, "h148-online-hanging-handshake");
    via.partition();
    via.reset();
    await via.whenHeld(1); // the next attempt's upgrade request, held
    await pauseSoon(tab);
    const firstRequest = via.heldBytes;
    await type(tab, "typed offline.");
    await setOnline(tab, false);
    await setOnline(tab, true);
    await tab.clock.runFor(2_000); // not the 10 s of connectTimeout
    await within(5_000, "the next attempt's upgrade request", via.whenHeld(firstRequest + 1));
    via.heal();
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    await suite.serverHas("h148-online-hanging-handshake", "typed offline.");
    expect(await inTab(tab, (win) => win.statuses)).toEqual(["connecting", "connected", "disconnected", "connecting", "connecting", "connected"]);
  });

  it("holds: a handshake that completes while offline (a server on this machine) connects, syncs and saves", async () => {
    const via = await proxy();
    const tab = await tabThrough(via, "h148-handshake-offline");
    via.partition();
    via.reset();
    await via.whenHeld(1);
    await pauseSoon(tab);
    await setOnline(tab, false);
    await type(tab, "typed offline.");
    via.heal();
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    await suite.serverHas("h148-handshake-offline", "typed offline.");
    expect(await inTab(tab, (win) => [win.statuses, win.unsynced])).toEqual([
      ["connecting", "connected", "disconnected", "connecting", "connected"],
      [1, 0],
    ]);
    expect(pageErrors(tab)).toEqual([]);
  });

  it("holds: destroy() during a handshake nobody answers closes its TCP connection", async () => {
    const connections: net.Socket[] = [];
    let request: (socket: net.Socket) => void = () => {};
    // Its upgrade request came: a connection Chromium did not use yet may go back to its pool, and is not ours to close.
    const requested = new Promise<net.Socket>((resolve) => (request = resolve));
    const silent = net.createServer((socket) => {
      connections.push(socket);
      socket.on("error", () => {});
      socket.once("data", () => request(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    suite.defer(() => new Promise((resolve) => (connections.forEach((socket) => socket.destroy()), silent.close(resolve))));
    const context = await fakeClockContext(suite.browser);
    suite.defer(() => context.close());
    const tab = await openPage(context, suite.page.url);
    const port = (silent.address() as net.AddressInfo).port;
    await tab.evaluate((host) => {
      const { Y, YPartyKitProvider } = window.yparty;
      Object.assign(window, { provider: new YPartyKitProvider(host, "h148-destroy", new Y.Doc()) });
    }, `127.0.0.1:${port}`);
    const socket = await requested;
    const closed = new Promise((resolve) => socket.on("close", resolve));
    await inTab(tab, (win) => win.provider.destroy());
    await closed;
  });
});

describe("other tabs, hidden pages and the back/forward cache", () => {
  it("holds: two tabs of a room, one offline: its edit reaches the server through the other, and it says saved only once it reconnects", async () => {
    const via = await proxy();
    const offlineTab = await tabThrough(via, "h148-two-tabs");
    const onlineTab = await openTab(offlineTab.context(), suite.page.url, suite.backend.host, "h148-two-tabs");
    // The second tab's opening change came to the first over the cross-tab channel, which sent and saved it too.
    await waitInTab(offlineTab, (win) => win.provider.doc.getMap("tab").size === 1 && win.provider.unsyncedChanges === 0);
    await inTab(offlineTab, (win) => win.unsynced.splice(0));
    await pauseSoon(offlineTab); // one clock for the context's tabs
    via.partition();
    await setOnline(offlineTab, false);
    await offlineTab.clock.runFor(2_000);
    await waitInTab(offlineTab, (win) => win.statuses.includes("disconnected"));
    await type(offlineTab, "typed offline.");
    await waitInTab(onlineTab, (win) => win.provider.doc.getText("t").toString() === "typed offline." && win.provider.unsyncedChanges === 0);
    await suite.serverHas("h148-two-tabs", "typed offline.");
    expect(await inTab(offlineTab, (win) => win.provider.unsyncedChanges)).toBe(1); // its own server has not said so
    via.heal();
    await setOnline(offlineTab, true);
    await waitInTab(offlineTab, (win) => win.provider.unsyncedChanges === 0);
    expect(await inTab(offlineTab, (win) => [win.statuses, win.unsynced])).toEqual([
      ["connecting", "connected", "disconnected", "connecting", "connected"],
      [1, 0],
    ]);
  });

  it("holds: hidden while offline, the page reconnects at once when back online and keeps its presence", async () => {
    const via = await proxy();
    const tab = await tabThrough(via, "h148-hidden-offline");
    await inTab(tab, (win) => win.provider.awareness.setLocalStateField("user", "ada"));
    await pauseSoon(tab);
    via.partition();
    await setOnline(tab, false);
    await tab.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await type(tab, "typed hidden.");
    await tab.clock.runFor(2_000);
    await waitInTab(tab, (win) => win.statuses.includes("disconnected"));
    via.heal();
    await setOnline(tab, true);
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    await suite.serverHas("h148-hidden-offline", "typed hidden.");
    const observer = makeProvider(suite.backend.host, "h148-hidden-offline");
    await synced(observer);
    const tabId = await inTab(tab, (win) => win.provider.awareness.clientID);
    await waitUntil(
      "the hidden tab's presence",
      () => (observer.awareness.getStates().get(tabId) as { user?: string } | undefined)?.user === "ada",
      awarenessChanges(observer.awareness),
    );
    expect(pageErrors(tab)).toEqual([]);
  });
});
