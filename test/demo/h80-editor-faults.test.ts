/**
 * The demo's editors (Tiptap, CodeMirror) in headless Chromium against a real `yparty dev` on LevelDB, under the
 * faults an editor author meets: a tab whose network stalls while both type (briefly, then past the silence
 * timeout), the server killed (SIGKILL) mid-typing and started again on the same port and folder, undo and redo
 * across that, 5 MB pastes (one while the server is down), a tab that crashed or went silent, a frozen tab, and
 * what the connection badge says while the browser is offline.
 * (Chromium's offline emulation keeps an open WebSocket open and passes nothing through it: a stalled network.)
 */
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CliProcess, closedPort, deferredCleanups, tempDir } from "../cli/helpers.js";
import { CHROMIUM_ARGS } from "../provider/browser-harness.js";
import { code, type DemoWindow, richText } from "./support.js";

const waitMs = 30_000;
let browser: Browser;
let data: { dir: string; remove: () => Promise<void> };
let port: number;
let cli: CliProcess;
let url: string;

/** The demo server on a fixed port and data folder, so a restart is the same server to the tabs. */
async function startServer(): Promise<void> {
  cli = new CliProcess(["dev", "--config", "demo/yparty.json", "--port", String(port), "--persist", data.dir]);
  url = await cli.url();
}

beforeAll(async () => {
  data = await tempDir("yparty-h80-");
  port = await closedPort();
  await startServer();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}, 60_000);

const defer = deferredCleanups(afterEach);

afterAll(async () => {
  await browser?.close();
  await cli?.stop("SIGTERM");
  await data?.remove();
});

let rooms = 0;
const newRoom = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++rooms}`;

interface Tab {
  page: Page;
  context: BrowserContext;
  errors: string[];
}

/** The demo's room in a browser context of its own (its own network, its own BroadcastChannel), synced. */
async function openTab(room: string): Promise<Tab> {
  const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  defer(() => context.close());
  context.setDefaultTimeout(waitMs);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${url}/?room=${encodeURIComponent(room)}`);
  await page.locator("#tiptap .ProseMirror").waitFor();
  await page.locator("#codemirror .cm-content").waitFor();
  await page.waitForFunction(() => (window as unknown as DemoWindow).yparty.provider.synced);
  return { page, context, errors };
}

const provider = (page: Page) =>
  page.evaluate(() => {
    const { provider } = (window as unknown as DemoWindow).yparty;
    return { connected: provider.wsconnected, synced: provider.synced, unsynced: provider.unsyncedChanges };
  });
const saved = (tab: Tab) => expect.poll(() => provider(tab.page), { timeout: waitMs }).toMatchObject({ connected: true, unsynced: 0 });
const disconnected = (tab: Tab) => expect.poll(() => provider(tab.page), { timeout: waitMs }).toMatchObject({ connected: false });

async function killServer(...tabs: Tab[]): Promise<void> {
  await cli.stop("SIGKILL");
  for (const tab of tabs) await disconnected(tab);
}

/** Pastes `text` as the clipboard's plain text into the focused editor. */
async function paste(page: Page, text: string): Promise<void> {
  await page.evaluate((text) => navigator.clipboard.writeText(text), text);
  await page.keyboard.press("Control+V");
}

const fiveMegabytes = (line: string) => line.repeat(Math.ceil((5 * 1024 * 1024) / line.length));

describe("the demo's editors under faults", () => {
  it("one tab's network stalls while both type; once it is back both converge with everything", async () => {
    const room = newRoom("stalled");
    const [a, b] = [await openTab(room), await openTab(room)];
    await a.page.locator("#tiptap .ProseMirror").click();
    await b.page.locator("#codemirror .cm-content").click();
    await Promise.all([a.page.keyboard.type("A before. ", { delay: 5 }), b.page.keyboard.type("b_before();", { delay: 5 })]);
    await b.context.setOffline(true);
    const lots = "stalled_typing();\n".repeat(200);
    await Promise.all([a.page.keyboard.type("A while B is away. ", { delay: 5 }), b.page.keyboard.insertText(lots)]);
    await b.page.keyboard.type("tail();", { delay: 5 });
    await b.context.setOffline(false);
    await expect.poll(() => code(a.page), { timeout: waitMs }).toBe(`b_before();${lots}tail();`);
    await expect.poll(() => richText(b.page), { timeout: waitMs }).toBe("A before. A while B is away. ");
    await Promise.all([saved(a), saved(b)]);
    expect([...a.errors, ...b.errors]).toEqual([]);
  }, 90_000);

  it("a tab offline says so within seconds, then converges and saves once online", async () => {
    const room = newRoom("long-offline");
    const [a, b] = [await openTab(room), await openTab(room)];
    await b.page.locator("#codemirror .cm-content").click();
    await b.context.setOffline(true);
    await b.page.keyboard.type("offline_for_long();", { delay: 5 });
    await a.page.locator("#codemirror .cm-content").click();
    await a.page.keyboard.type("online();", { delay: 5 });
    // Within seconds of the browser's `offline` event, not "Saving…" until the 30 s silence timeout (helper 84)
    await expect.poll(() => b.page.locator("#saved").textContent(), { timeout: 5_000 }).toMatch(/^Offline: \d+ changes? not saved yet$/);
    await b.context.setOffline(false);
    await expect.poll(() => code(a.page), { timeout: waitMs }).toContain("offline_for_long();");
    await expect.poll(() => code(b.page), { timeout: waitMs }).toBe(await code(a.page));
    await expect.poll(() => b.page.locator("#saved").textContent(), { timeout: waitMs }).toBe("All changes saved");
  }, 120_000);

  it("the connection badge says Offline while the browser is, through the provider's reconnect attempts, then Connected", async () => {
    const tab = await openTab(newRoom("badge-offline"));
    const badge = tab.page.locator("#connection");
    await expect.poll(() => badge.textContent()).toBe("Connected");
    // Every text the badge shows from here on, and every status the provider reports.
    await tab.page.evaluate(() => {
      const seen = { texts: [] as string[], statuses: [] as string[] };
      Object.assign(window, { badgeSeen: seen });
      const element = document.getElementById("connection") as HTMLElement;
      new MutationObserver(() => seen.texts.push(element.textContent ?? "")).observe(element, { childList: true, characterData: true, subtree: true });
      (window as unknown as DemoWindow).yparty.provider.on("status", ({ status }: { status: string }) => seen.statuses.push(status));
    });
    const seen = () => tab.page.evaluate(() => (window as unknown as { badgeSeen: { texts: string[]; statuses: string[] } }).badgeSeen);
    await tab.context.setOffline(true);
    // The socket is given up and at least two attempts are made while offline.
    await expect.poll(async () => (await seen()).statuses.filter((status) => status === "connecting").length, { timeout: waitMs }).toBeGreaterThanOrEqual(2);
    expect((await seen()).texts).toEqual(["Offline"]);
    await tab.context.setOffline(false);
    await expect.poll(() => badge.textContent(), { timeout: waitMs }).toBe("Connected");
    expect(tab.errors).toEqual([]);
  }, 90_000);

  it("the server killed (SIGKILL) mid-typing and started again: tabs reconnect, saved edits stay, unsaved ones land", async () => {
    const room = newRoom("kill");
    const [a, b] = [await openTab(room), await openTab(room)];
    await a.page.locator("#tiptap .ProseMirror").click();
    await b.page.locator("#codemirror .cm-content").click();
    // What each tab held the last time its provider said "all saved" (each tab only appends to its own editor).
    const savedText = { rich: "", code: "" };
    let typing = true;
    const typeAway = async (tab: Tab, editor: "rich" | "code", word: string) => {
      for (let i = 0; typing; i++) {
        await tab.page.keyboard.type(`${word}${i} `, { delay: 3 });
        const seen = await tab.page.evaluate(() => {
          const { provider, richText, code } = (window as unknown as DemoWindow).yparty;
          return { unsynced: provider.unsyncedChanges, rich: richText.getText(), code: code.state.doc.toString() };
        });
        if (seen.unsynced === 0) savedText[editor] = seen[editor];
      }
    };
    const typists = Promise.all([typeAway(a, "rich", "a"), typeAway(b, "code", "b")]);
    await expect.poll(() => savedText.rich.length > 20 && savedText.code.length > 20, { timeout: waitMs }).toBe(true);
    const savedAtKill = { ...savedText };
    await killServer(a, b);
    await startServer();
    await expect.poll(() => provider(a.page), { timeout: waitMs }).toMatchObject({ connected: true, synced: true });
    typing = false;
    await typists;
    await Promise.all([saved(a), saved(b)]);
    const final = { rich: await richText(a.page), code: await code(b.page) };
    expect(await richText(b.page)).toBe(final.rich);
    expect(await code(a.page)).toBe(final.code);
    expect(final.rich.startsWith(savedAtKill.rich)).toBe(true);
    expect(final.code.startsWith(savedAtKill.code)).toBe(true);
    // What the tabs called saved is on disk: killed again, a new tab gets all of it.
    await killServer(a, b);
    await startServer();
    const c = await openTab(room);
    await expect.poll(() => richText(c.page), { timeout: waitMs }).toBe(final.rich);
    expect(await code(c.page)).toBe(final.code);
    expect([...a.errors, ...b.errors, ...c.errors]).toEqual([]);
  }, 120_000);

  it("undo and redo in both editors reach the other tab after a reconnect (the server killed in between)", async () => {
    const room = newRoom("undo");
    const [a, b] = [await openTab(room), await openTab(room)];
    await a.page.locator("#codemirror .cm-content").click();
    await a.page.keyboard.type("one();", { delay: 5 });
    await a.page.locator("#tiptap .ProseMirror").click();
    await a.page.keyboard.type("First.", { delay: 5 });
    await saved(a);
    await killServer(a);
    await a.page.waitForTimeout(600); // past Yjs's 500 ms capture window: a separate undo step
    await a.page.keyboard.type(" Second.", { delay: 5 });
    await a.page.locator("#codemirror .cm-content").click();
    await a.page.keyboard.press("End");
    await a.page.keyboard.type(" two();", { delay: 5 });
    await startServer();
    await expect.poll(() => code(b.page), { timeout: waitMs }).toBe("one(); two();");
    await expect.poll(() => richText(b.page), { timeout: waitMs }).toBe("First. Second.");
    await a.page.keyboard.press("Control+z");
    await expect.poll(() => code(b.page), { timeout: waitMs }).toBe("one();");
    await a.page.locator("#tiptap .ProseMirror").click();
    await a.page.keyboard.press("Control+z");
    await expect.poll(() => richText(b.page), { timeout: waitMs }).toBe("First.");
    await a.page.keyboard.press("Control+Shift+z");
    await expect.poll(() => richText(b.page), { timeout: waitMs }).toBe("First. Second.");
    await a.page.locator("#codemirror .cm-content").click();
    await a.page.keyboard.press("Control+y");
    await expect.poll(() => code(b.page), { timeout: waitMs }).toBe("one(); two();");
    await saved(a);
  }, 120_000);

  it("5 MB pasted into CodeMirror reaches the other tab and is saved; 5 MB more pasted while the server is down land once it is back", async () => {
    const room = newRoom("paste");
    const [a, b] = [await openTab(room), await openTab(room)];
    await a.page.locator("#codemirror .cm-content").click();
    const first = fiveMegabytes("const pasted = 'abcdefghijklmnopqrstuvwxyz0123456789';\n");
    await paste(a.page, first);
    await expect.poll(async () => (await code(b.page)).length, { timeout: waitMs }).toBe(first.length);
    await saved(a);
    await killServer(a, b);
    const second = fiveMegabytes("const offline = 'pasted while the server was down';\n");
    await a.page.keyboard.press("Control+End");
    await paste(a.page, second);
    await startServer();
    await expect.poll(async () => (await code(b.page)).length, { timeout: waitMs }).toBe(first.length + second.length);
    await saved(a);
    const c = await openTab(room);
    expect(await code(c.page)).toBe(first + second);
  }, 120_000);

  it("the cursors of a tab that crashed and of one whose network went silent disappear within the awareness timeout", async () => {
    const room = newRoom("gone");
    const [a, crashed, silent] = [await openTab(room), await openTab(room), await openTab(room)];
    const peers = () => a.page.evaluate(() => (window as unknown as DemoWindow).yparty.provider.awareness.getStates().size);
    await expect.poll(peers, { timeout: waitMs }).toBe(3);
    const cdp = await crashed.context.newCDPSession(crashed.page);
    void cdp.send("Page.crash").catch(() => {}); // answered by no one: the page is gone
    await expect.poll(peers, { timeout: waitMs }).toBe(2);
    await silent.context.setOffline(true);
    // y-protocols' awareness timeout is 30 s (the server's heartbeat would end the socket within 40 s)
    await expect.poll(peers, { timeout: 35_000 }).toBe(1);
  }, 120_000);

  it("a frozen background tab catches up with what the other typed once it runs again, and its own typing goes out", async () => {
    const room = newRoom("frozen");
    const [a, b] = [await openTab(room), await openTab(room)];
    const cdp = await b.context.newCDPSession(b.page);
    await cdp.send("Page.setWebLifecycleState", { state: "frozen" });
    await a.page.locator("#codemirror .cm-content").click();
    await a.page.keyboard.type("typed while the other tab sleeps", { delay: 5 });
    await saved(a);
    await cdp.send("Page.setWebLifecycleState", { state: "active" });
    await expect.poll(() => code(b.page), { timeout: waitMs }).toBe("typed while the other tab sleeps");
    await b.page.locator("#codemirror .cm-content").click();
    await b.page.keyboard.press("End");
    await b.page.keyboard.type("!", { delay: 5 });
    await expect.poll(() => code(a.page), { timeout: waitMs }).toBe("typed while the other tab sleeps!");
    await saved(b);
  }, 120_000);
});
