/**
 * A background tab alone in a quiet room keeps its presence for a collaborator who sends nothing. The hidden tab
 * renews its presence from the server's frames (h93), and in such a room the only frames are the ones it asks for:
 * a wake-up call the server answers 12 s later (docs/protocol.md, "Wake-up calls"). Before them, it renewed once a
 * minute (its throttled timer), and the server's 30 s timeout took its cursor away from the others every minute.
 *
 * The server's timers run in real time, so the hidden tab's wall clock follows the real one: it is paused on
 * Playwright's clock (no timer runs), its `Date.now` set to the real time elapsed every second, and its timers run once,
 * at the end of the minute (`fastForward`, as in h93). The observer is a socket that sends nothing, in Node, with a
 * y-protocols Awareness that drops a state not renewed for 30 s as any client does. The test watches for 75 s.
 *
 * A tab that goes hidden while connected asks at once (`visibilitychange`): waiting for the next frame could mean
 * waiting for its own renewal's echo, from the timer the browser is about to throttle.
 */
import * as Y from "yjs";
import { Awareness, applyAwarenessUpdate } from "y-protocols/awareness";
import { describe, expect, it } from "vitest";
import { WAKE_FRAME, decodeMessage } from "../../src/protocol/index.js";
import { connect, deferred } from "../helpers/server.js";
import { pageErrors } from "./browser-harness.js";
import { MINUTE, ownClock, PAUSED_AT, presenceTabs, type Win } from "./presence-tabs.js";
import { awarenessChanges, waitUntil } from "./support.js";

const { openTab, join, host } = presenceTabs();
const WATCH_MS = MINUTE + 15_000;
const STEP_MS = 1_000;

/** A client that only listens: every awareness frame it gets goes into `awareness` (its own state is null). */
function silentObserver(room: string) {
  const client = connect(`ws://${host()}/parties/main/${room}`);
  const awareness = new Awareness(new Y.Doc());
  awareness.setLocalState(null);
  let wakeFrames = 0;
  client.ws.on("message", (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    const bytes = new Uint8Array(data);
    if (bytes.length === WAKE_FRAME.length && bytes.every((byte, i) => byte === WAKE_FRAME[i])) wakeFrames++;
    const message = decodeMessage(bytes);
    if (message.type === "awareness") applyAwarenessUpdate(awareness, message.update, "server");
  });
  return { client, awareness, wakeFrames: () => wakeFrames };
}

describe("a hidden tab alone in a quiet room", () => {
  it("stays present for a collaborator who sends nothing, across a throttled minute", async () => {
    const room = "quiet-room-presence";
    const back = await openTab(true);
    await back.clock.pauseAt(PAUSED_AT);
    const start = Date.now(); // the hidden tab's PAUSED_AT
    const observer = silentObserver(room);
    await observer.client.opened;
    const backId = await join(back, room, "back");
    await waitUntil("the observer to see the hidden tab", () => observer.awareness.getStates().has(backId), awarenessChanges(observer.awareness));

    const lost = deferred<number>();
    observer.awareness.on("change", ({ removed }: { removed: number[] }) => {
      if (removed.includes(backId)) lost.resolve((Date.now() - start) / 1000);
    });
    const clockBefore = await ownClock(back);
    let lostAt: number | null = null;
    let nextWakeUp = MINUTE;
    while (Date.now() - start < WATCH_MS && lostAt === null) {
      // Watches for the loss until the next second, then moves the hidden tab's clock to the real time.
      let timer: NodeJS.Timeout | undefined;
      const stepDone = new Promise<null>((resolve) => (timer = setTimeout(resolve, STEP_MS, null)));
      lostAt = await Promise.race([lost.promise, stepDone]);
      clearTimeout(timer);
      const elapsed = Date.now() - start;
      if (elapsed >= nextWakeUp) {
        // The throttled timers' wake-up: the wall clock is put back the minute the timers then jump.
        await back.clock.setSystemTime(PAUSED_AT + elapsed - MINUTE);
        await back.clock.fastForward(MINUTE);
        nextWakeUp += MINUTE;
      } else {
        await back.clock.setSystemTime(PAUSED_AT + elapsed);
      }
    }

    expect(lostAt, "seconds after which the observer lost the hidden tab's presence").toBe(null);
    expect(observer.awareness.getStates().has(backId)).toBe(true);
    // Renewed about every 12 s (each wake frame), not more.
    const renewals = (await ownClock(back)) - clockBefore;
    expect(renewals).toBeGreaterThanOrEqual(WATCH_MS / 30_000);
    expect(renewals).toBeLessThanOrEqual(WATCH_MS / 10_000 + 1);
    expect(observer.wakeFrames(), "wake frames sent to a connection that asked for none").toBe(0);
    expect(pageErrors(back)).toEqual([]);
    await observer.client.close();
    observer.awareness.destroy();
  }, 120_000);

  it("a tab hidden while connected asks for its wake frame at once, with no timer run and no frame from anyone", async () => {
    const tab = await openTab(false);
    await tab.clock.pauseAt(PAUSED_AT);
    await join(tab, "hidden-while-connected", "tab");
    await tab.evaluate((wake) => {
      const socket = (window as unknown as Win).provider.ws!;
      const win = window as unknown as { wakeFrames: number };
      win.wakeFrames = 0;
      socket.addEventListener("message", ({ data }) => {
        const bytes = new Uint8Array(data as ArrayBuffer);
        if (bytes.length === wake.length && bytes.every((byte, i) => byte === wake[i])) win.wakeFrames++;
      });
      // What the browser does when the tab goes to the background.
      Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get: () => "hidden" });
      document.dispatchEvent(new Event("visibilitychange", { bubbles: true }));
    }, Array.from(WAKE_FRAME));
    await tab.waitForFunction(() => (window as unknown as { wakeFrames: number }).wakeFrames === 1, null, { timeout: 20_000 });
    expect(pageErrors(tab)).toEqual([]);
  });
});
