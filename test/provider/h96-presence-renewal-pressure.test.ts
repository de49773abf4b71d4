/**
 * The background-tab presence renewal (h93) under pressure, on the h93 harness (Playwright clocks; the hidden tab's
 * wall clock follows each simulated second, its timers run once a minute): a collaborator typing many changes a
 * second renews the hidden tab's presence at most once per 10 s; a hidden tab whose local state was set to null stays
 * gone however many frames come; a provider destroyed while hidden renews nothing and throws nothing.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { pageErrors } from "./browser-harness.js";
import { presenceTabs, ownClock, PAUSED_AT, seen, STEP_MS, type Win } from "./presence-tabs.js";

const { openTab, join } = presenceTabs();

/** `count` changes from `tab`'s document (each its own frame). */
const type = (tab: Page, count: number) =>
  tab.evaluate((count) => {
    const text = (window as unknown as Win).provider.doc.getText("t");
    for (let i = 0; i < count; i++) text.insert(0, "x");
  }, count);

/** Moves both tabs `seconds` simulated seconds on, the front one typing `perSecond` changes each second. */
async function run(front: Page, back: Page, from: number, seconds: number, perSecond: number, backListens = true): Promise<void> {
  for (let s = 1; s <= seconds; s++) {
    await front.clock.runFor(STEP_MS);
    await back.clock.setSystemTime(from + s * STEP_MS);
    await type(front, perSecond);
    if (!backListens) continue;
    // This second's frames have reached the hidden tab before time moves on.
    const length = await front.evaluate(() => (window as unknown as Win).provider.doc.getText("t").length);
    await back.waitForFunction((length) => (window as unknown as Win).provider.doc.getText("t").length >= length, length, { timeout: 10_000 });
  }
}

describe("presence renewal from frames while hidden", () => {
  it("renews at most once per 10 s under 20 frames a second; a null local state stays null; a destroyed provider is left alone", async () => {
    const [front, back] = await Promise.all([openTab(false), openTab(true)]);
    await Promise.all([front.clock.pauseAt(PAUSED_AT), back.clock.pauseAt(PAUSED_AT)]);
    await join(front, "renewal-pressure", "front");
    const backId = await join(back, "renewal-pressure", "back");
    await seen(front, backId, await ownClock(back));

    const before = await ownClock(back);
    await run(front, back, PAUSED_AT, 40, 20);
    const renewals = (await ownClock(back)) - before;
    expect(renewals).toBeGreaterThanOrEqual(2); // 40 s with frames every second: renewed at 10, 20, 30, 40 s or so
    expect(renewals).toBeLessThanOrEqual(4);

    // The app clears its presence while hidden: frames keep coming, nothing brings it back.
    await back.evaluate(() => (window as unknown as Win).provider.awareness.setLocalState(null));
    const cleared = await ownClock(back);
    await run(front, back, PAUSED_AT + 40_000, 25, 20);
    expect(await ownClock(back)).toBe(cleared);
    expect(await back.evaluate(() => (window as unknown as Win).provider.awareness.getLocalState())).toBe(null);
    expect(await front.evaluate((id) => (window as unknown as Win).provider.awareness.getStates().has(id), backId)).toBe(false);

    // Presence back, then the provider destroyed while hidden: frames from a second provider of the page go on.
    await back.evaluate(() => {
      const win = window as unknown as Win;
      win.provider.awareness.setLocalStateField("user", { name: "back" });
      win.provider.destroy();
    });
    await run(front, back, PAUSED_AT + 65_000, 15, 20, false);
    expect(pageErrors(front)).toEqual([]);
    expect(pageErrors(back)).toEqual([]);
  }, 120_000);
});
