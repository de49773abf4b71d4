/**
 * A background tab's presence, seen from a collaborator's foreground tab across several minutes. y-protocols renews
 * the local awareness state from a timer (15 s old, looked at every 3 s) and drops a peer's state not renewed for
 * 30 s; Chrome runs a hidden tab's repeating timers once a minute, so without more the background tab renewed once a
 * minute and its cursor vanished for the others for up to half of every minute.
 *
 * Both pages run on Playwright's clock, paused, and the test moves simulated time in steps of 1 s, letting the frames
 * of each step arrive before the next. The foreground tab's timers run at every step (`runFor`). The hidden tab's
 * wall clock follows (`setSystemTime`: Date.now moves, no timer runs) and its timers run once a minute (`fastForward`
 * of the minute, as in h80-throttled-tab: each due timer fires once).
 */
import { describe, expect, it } from "vitest";
import { pageErrors } from "./browser-harness.js";
import { MINUTE, presenceTabs, ownClock, PAUSED_AT, seen, STEP_MS, type Win } from "./presence-tabs.js";

const { openTab, join } = presenceTabs();

describe("a background tab's presence (timers throttled to once a minute)", () => {
  it("stays visible to a collaborator, without a gap, across several minutes", async () => {
    const [front, back] = await Promise.all([openTab(false), openTab(true)]);
    await Promise.all([front.clock.pauseAt(PAUSED_AT), back.clock.pauseAt(PAUSED_AT)]);
    const frontId = await join(front, "background-presence", "front");
    const backId = await join(back, "background-presence", "back");
    await seen(front, backId, await ownClock(back));
    await seen(back, frontId, await ownClock(front));

    const backClockBefore = await ownClock(back);
    const presentAtEveryStep: boolean[] = [];
    for (let now = PAUSED_AT + STEP_MS; now <= PAUSED_AT + 4 * MINUTE; now += STEP_MS) {
      await front.clock.runFor(STEP_MS);
      if ((now - PAUSED_AT) % MINUTE === 0) {
        // The minute's wake-up: the wall clock is put back the minute the timers then jump, so it lands on `now`.
        await back.clock.setSystemTime(now - MINUTE);
        await back.clock.fastForward(MINUTE);
      } else {
        await back.clock.setSystemTime(now);
      }
      // What each tab sent in this step has arrived at the other before time moves on.
      await seen(back, frontId, await ownClock(front));
      await seen(front, backId, await ownClock(back));
      presentAtEveryStep.push(await front.evaluate((id) => (window as unknown as Win).provider.awareness.getStates().has(id), backId));
    }

    const changes = await front.evaluate(() => (window as unknown as Win).changes);
    const backGone = changes.filter((change) => change.removed.includes(backId)).map((change) => (change.at - PAUSED_AT) / 1000);
    expect(backGone, "seconds at which the foreground tab lost the background tab's presence").toEqual([]);
    expect(presentAtEveryStep.every(Boolean)).toBe(true);
    // Renewed from the frames that came (the foreground tab's renewals, every 15 s), not on every one.
    expect((await ownClock(back)) - backClockBefore).toBeLessThanOrEqual((4 * MINUTE) / 10_000);
    expect(pageErrors(front)).toEqual([]);
    expect(pageErrors(back)).toEqual([]);
  });
});
