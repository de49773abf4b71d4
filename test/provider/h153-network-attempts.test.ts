/**
 * The provider in Chromium where the network changes (h153, after h148): the attempts that follow a network change
 * start once, end, and do not storm. The tab's clock stands still unless a test moves it; a TCP proxy decides what
 * passes; `params()` is the test's (network-tab.ts).
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { TcpProxy } from "../cluster/network.js";
import { pageErrors } from "./browser-harness.js";
import { fakeClockContext, inTab, openTab, pauseSoon, setOnline, waitInTab, type Win, networkSuite } from "./network-tab.js";

const suite = networkSuite();

/** A synced tab on `room` whose sockets go through a proxy of its own. */
async function tabThroughProxy(room: string): Promise<{ tab: Page; via: TcpProxy }> {
  const via = await suite.proxy();
  const context = await fakeClockContext(suite.browser);
  suite.defer(() => context.close());
  return { tab: await openTab(context, suite.page.url, suite.backend.host, room, via.port), via };
}

const type = (tab: Page, text: string) =>
  tab.evaluate((text) => {
    const t = (window as unknown as Win).provider.doc.getText("t");
    t.insert(t.length, text);
  }, text);

describe("an attempt started by a listener of the close", () => {
  it("connect() in a connection-close listener after online is the one next attempt, and its promise resolves", async () => {
    const { tab, via } = await tabThroughProxy("h153-listener-connect");
    await pauseSoon(tab);
    await inTab(tab, (win) => {
      const w = win as Win & { connectSettled: boolean };
      w.connectSettled = false;
      // An app reconnecting by itself (y-websocket habits): once, on the first close.
      const reconnect = () => {
        win.provider.off("connection-close", reconnect);
        void win.provider.connect().then(() => (w.connectSettled = true));
      };
      win.provider.on("connection-close", reconnect);
    });
    via.partition(); // the old connection is dead on the new network
    await setOnline(tab, false);
    await setOnline(tab, true);
    await type(tab, "typed online.");
    await inTab(tab, (win) => (win.hangParams = true)); // a token fetch that hangs
    await tab.clock.runFor(2_000); // the probe goes unanswered: closed
    await waitInTab(tab, (win) => win.statuses.includes("disconnected"));
    // One attempt: the listener's. A second one took its deadline and its way out of params(): the listener's never ended.
    expect(await inTab(tab, (win) => win.paramsCalls)).toBe(2);
    await tab.clock.runFor(10_000); // connectTimeout: the hanging params() are given up
    await waitInTab(tab, (win) => (win as Win & { connectSettled: boolean }).connectSettled);
    await inTab(tab, (win) => (win.hangParams = false));
    via.heal();
    await tab.clock.runFor(2_500); // the backoff
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    await suite.serverHas("h153-listener-connect", "typed online.");
    expect(await inTab(tab, (win) => [win.paramsCalls, win.errors])).toEqual([3, ["params() did not settle within 10000 ms"]]);
    expect(pageErrors(tab)).toEqual([]);
  });
});

describe("a listener that throws", () => {
  it("in connection-close: the provider still says disconnected and reconnects; the error is reported, uncaught", async () => {
    const { tab, via } = await tabThroughProxy("h153-throwing-listener");
    await inTab(tab, (win) => {
      const once = () => {
        win.provider.off("connection-close", once);
        throw new Error("the app's listener failed");
      };
      win.provider.on("connection-close", once);
    });
    await pauseSoon(tab);
    via.reset();
    await waitInTab(tab, (win) => win.statuses.includes("disconnected"));
    await type(tab, "typed after.");
    await tab.clock.runFor(2_500); // the backoff
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0);
    await suite.serverHas("h153-throwing-listener", "typed after.");
    expect(await inTab(tab, (win) => win.statuses)).toEqual(["connecting", "connected", "disconnected", "connecting", "connected"]);
    expect(pageErrors(tab)).toEqual([expect.stringContaining("the app's listener failed")]);
  });
});

describe("holds: a server that always fails, and the network that keeps changing", () => {
  it("each offline/online flap starts one attempt (two when one was under way), never a run of them", async () => {
    const { tab, via } = await tabThroughProxy("h153-flapping-refused");
    await pauseSoon(tab); // backoff timers never run: every attempt below is one the events started
    await via.close(); // the server is gone: connections are refused at once
    // The `calls`-th attempt failed, and nothing else is under way.
    const ended = (calls: number) =>
      tab.waitForFunction(
        (calls) => {
          const win = window as unknown as Win;
          return win.paramsCalls === calls && win.provider.ws === null && !win.provider.wsconnecting;
        },
        calls,
        { timeout: 10_000 },
      );
    await ended(1);
    for (let flap = 1; flap <= 10; flap++) {
      await setOnline(tab, false);
      await setOnline(tab, true);
      await ended(1 + flap);
    }
    // Back online while an attempt waits for its params: it fails, and one more follows at once.
    await inTab(tab, (win) => (win.hangParams = true));
    await setOnline(tab, false);
    await setOnline(tab, true);
    await waitInTab(tab, (win) => win.paramsCalls === 12);
    await setOnline(tab, false);
    await setOnline(tab, true);
    await inTab(tab, (win) => ((win.hangParams = false), win.failHangingParams()));
    await ended(13);
    expect(await inTab(tab, (win) => [win.paramsCalls, win.statuses.filter((status) => status === "connecting").length])).toEqual([13, 12]);
    expect(pageErrors(tab)).toEqual([]);
  });
});
