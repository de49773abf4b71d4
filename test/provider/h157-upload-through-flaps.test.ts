/**
 * A big paste going out over a slow uplink while the network flaps (offline/online) in Chromium (h157): the server
 * answers the provider's probe only once it has read the whole paste, so the 2 s answer given after a network change
 * dropped a socket that was in fact alive, and the upload started over on a new one (flap again and it never ends).
 * A socket whose queued bytes visibly leave after the change is alive and keeps its upload; one where nothing leaves
 * (the link died under it) is still given up within the 2 s. The tab's clock stands still unless a test moves it; the
 * bytes go out in real time through a relay that passes 1.5 MB/s and reads no faster (slow-uplink.ts). Loopback's OS
 * buffers take some 4 MB of a socket's bytes, so the paste is 12 MB for the browser's own queue to hold a part of it.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { fakeClockContext, inTab, networkSuite, openTab, pauseSoon, setOnline, waitInTab, type Win } from "./network-tab.js";
import { startSlowUplink, type SlowUplink } from "./slow-uplink.js";

const suite = networkSuite();

const PASTE_BYTES = 12_000_000;
const pasted = "pasted ".repeat(PASTE_BYTES / 7);

/** A synced tab on `room` whose sockets go through a slow uplink of their own. */
async function tabOnSlowUplink(room: string): Promise<{ tab: Page; uplink: SlowUplink }> {
  const uplink = await startSlowUplink(suite.backend.port, 1_500_000);
  suite.defer(() => uplink.close());
  const context = await fakeClockContext(suite.browser);
  suite.defer(() => context.close());
  return { tab: await openTab(context, suite.page.url, suite.backend.host, room, uplink.port), uplink };
}

/** Pastes the big text; once its bytes have waited a moment, the part the OS buffers do not take waits in the tab's queue. */
async function paste(tab: Page): Promise<void> {
  await pauseSoon(tab);
  await tab.evaluate((times) => (window as unknown as Win).provider.doc.getText("t").insert(0, "pasted ".repeat(times)), PASTE_BYTES / 7);
  await tab.clock.runFor(500); // the tab's clock: what was just sent, and may be on its way, has waited
  await waitInTab(tab, (win) => (win.provider.ws?.bufferedAmount ?? 0) > 0);
}

const queued = (tab: Page) => inTab(tab, (win) => win.provider.ws?.bufferedAmount ?? 0);

/** Resolves once the tab's send queue holds `below` bytes or fewer: some of what it held left the tab. */
const queueBelow = (tab: Page, below: number) =>
  tab.waitForFunction((below) => ((window as unknown as Win).provider.ws?.bufferedAmount ?? 0) < below, below, { timeout: 20_000 });

/** Resolves once nothing leaves the tab's send queue between two looks 300 ms apart (a stalled link's buffers are full). */
const queueStill = (tab: Page) =>
  tab.waitForFunction(
    () => {
      const win = window as unknown as Win & { lastQueued?: number };
      const now = win.provider.ws?.bufferedAmount ?? 0;
      const still = now === win.lastQueued;
      win.lastQueued = now;
      return still;
    },
    null,
    { polling: 300, timeout: 10_000 },
  );

describe("a network change during a big upload on a slow link", () => {
  it("three offline/online flaps while it drains keep the socket, and the paste goes out once and is saved", async () => {
    const { tab, uplink } = await tabOnSlowUplink("h157-flaps");
    await paste(tab);
    for (let flap = 0; flap < 3; flap++) {
      await setOnline(tab, false);
      await setOnline(tab, true);
      // Bytes queued before the change leave the tab after it (the server's side acknowledged them): not a probe answer.
      await queueBelow(tab, await queued(tab));
      await tab.clock.runFor(2_000); // the probe's deadline: the server has not read the paste yet, so no frame came
      expect(await inTab(tab, (win) => win.statuses)).toEqual(["connecting", "connected"]);
      if (flap < 2) await waitInTab(tab, (win) => (win.provider.ws?.bufferedAmount ?? 0) > 0, 20_000);
    }
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0, 60_000);
    await suite.serverHas("h157-flaps", pasted);
    expect(await inTab(tab, (win) => win.statuses)).toEqual(["connecting", "connected"]);
    // One socket, and the paste went out once: the time to saved is the upload's, not a restart's after each flap.
    expect(uplink.connections).toBe(1);
    expect(uplink.passed).toBeLessThan(PASTE_BYTES * 1.1);
  }, 120_000);

  it("a link that dies mid-upload and a flap: nothing leaves the tab, and the socket is given up within 2 s", async () => {
    const { tab, uplink } = await tabOnSlowUplink("h157-stalled");
    await paste(tab);
    // Some way into the upload, the OS buffers on its way are full: the relay's too, whose kernel takes bytes (and
    // acknowledges them) while it has room, as no dead link does.
    await uplink.whenPassed(2_000_000);
    uplink.stall();
    await setOnline(tab, false);
    await setOnline(tab, true);
    await tab.clock.runFor(2_000);
    expect(await inTab(tab, (win) => [win.statuses.slice(0, 3), win.provider.synced])).toEqual([["connecting", "connected", "disconnected"], false]);
    uplink.resume(); // the network works again: the paste goes out on the next socket
    await waitInTab(tab, (win) => win.provider.unsyncedChanges === 0, 60_000);
    await suite.serverHas("h157-stalled", pasted);
    expect(uplink.connections).toBe(2);
  }, 120_000);

  it("kept by what left after a change, then the link dies: given up when a silence probe is (the paste through at 32 KiB/s, and 15 s), not kept for good", async () => {
    const { tab, uplink } = await tabOnSlowUplink("h158-kept-then-dies");
    await paste(tab);
    await setOnline(tab, false);
    await setOnline(tab, true);
    await queueBelow(tab, await queued(tab));
    await tab.clock.runFor(2_000);
    uplink.stall();
    // When the paste (and what went before it) would be through on the slowest uplink allowed for: the bound docs/provider.md gives.
    const [now, uploadDoneAt] = await inTab(tab, (win) => {
      const bytes = window.yparty.Y.encodeStateAsUpdate(win.provider.doc).byteLength;
      return [Date.now(), Date.now() - 2_500 + (bytes * 1000) / (32 * 1024)];
    });
    await tab.clock.runFor(uploadDoneAt + 15_000 - 4_000 - now);
    expect(await inTab(tab, (win) => win.statuses)).toEqual(["connecting", "connected"]);
    await tab.clock.runFor(7_000); // past the bound, and the watchdog's next look (every 3 s)
    expect(await inTab(tab, (win) => [win.statuses.slice(0, 3), win.provider.synced])).toEqual([["connecting", "connected", "disconnected"], false]);
  }, 120_000);

  it("bytes that left after a first change, then the link dies and the network changes again: given up by the first change's 2 s", async () => {
    const { tab, uplink } = await tabOnSlowUplink("h158-second-change");
    await paste(tab);
    await setOnline(tab, false); // the link still works for a moment: some of the paste leaves
    await queueBelow(tab, await queued(tab));
    uplink.stall(); // then it dies, and the browser is back online on another network
    await queueStill(tab);
    await setOnline(tab, true);
    await tab.clock.runFor(2_000);
    // What left before the latest change says nothing of the network after it: kept, the socket waited out a silence
    // probe's minutes (the paste at 32 KiB/s), saying "connected" and "Saving…" on a dead link.
    expect(await inTab(tab, (win) => [win.statuses.slice(0, 3), win.provider.synced])).toEqual([["connecting", "connected", "disconnected"], false]);
    uplink.resume();
    await waitInTab(tab, (win) => win.statuses.length === 5, 20_000); // reconnected at once: no backoff waits on the paused clock
    expect(uplink.connections).toBe(2);
  }, 120_000);
});
