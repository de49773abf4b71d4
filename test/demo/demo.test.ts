/**
 * The demo in a real headless Chromium: two people on one room type into Tiptap and CodeMirror at the same
 * time; both editors converge on both pages, each sees the other's cursor and name, chat goes through,
 * and the save indicator settles on "All changes saved". Screenshots land in test-artifacts/.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliProcess, repoRoot, tempDir } from "../cli/helpers.js";

const artifacts = path.join(repoRoot, "test-artifacts");
const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const waitMs = 20_000;

let browser: Browser;
let cli: CliProcess;
let url: string;
let data: { dir: string; remove: () => Promise<void> };

beforeAll(async () => {
  data = await tempDir("yparty-demo-");
  cli = new CliProcess(["dev", "--config", "demo/yparty.json", "--port", "0", "--persist", data.dir]);
  url = await cli.url();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await cli?.stop("SIGTERM");
  await data?.remove();
});

async function openAs(name: string, color: string, room: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 820 } });
  await context.addInitScript(([n, c]) => localStorage.setItem("yparty-demo-identity", JSON.stringify({ name: n, color: c })), [name, color] as const);
  const page = await context.newPage();
  page.on("pageerror", (error) => {
    throw new Error(`${name}'s page threw: ${error.message}`);
  });
  await page.goto(`${url}/?room=${room}`);
  await page.locator("#tiptap .ProseMirror").waitFor({ timeout: waitMs });
  await page.locator("#codemirror .cm-content").waitFor({ timeout: waitMs });
  await expect.poll(() => page.locator("#connection").textContent(), { timeout: waitMs }).toBe("Connected");
  // Record every state the save indicator passes through.
  await page.evaluate(() => {
    const status = document.getElementById("saved")!;
    const seen: string[] = [];
    Object.assign(window, { savedStates: seen });
    new MutationObserver(() => seen.push(status.dataset.state ?? "")).observe(status, { attributes: true, childList: true });
  });
  return page;
}

/** What each editor holds (its own state, not the DOM, which also shows the other people's caret labels). */
interface DemoWindow {
  yparty: { richText: { getText(): string }; code: { state: { doc: { toString(): string } } } };
}
const richText = (page: Page) => page.evaluate(() => (window as unknown as DemoWindow).yparty.richText.getText());
const code = (page: Page) => page.evaluate(() => (window as unknown as DemoWindow).yparty.code.state.doc.toString());

describe("demo page", () => {
  it("two people edit Tiptap and CodeMirror at once and converge, with cursors, presence, chat and save status", async () => {
    const room = `browser-${Date.now().toString(36)}`;
    const ada = await openAs("Ada", "#e6194b", room);
    const alan = await openAs("Alan", "#4363d8", room);

    // Both at the same time: Ada writes rich text while Alan writes code, then the other way round.
    await Promise.all([
      (async () => {
        await ada.locator("#tiptap .ProseMirror").click();
        await ada.keyboard.type("Ada writes rich text.", { delay: 15 });
      })(),
      (async () => {
        await alan.locator("#codemirror .cm-content").click();
        await alan.keyboard.type("const alan = 1;", { delay: 15 });
      })(),
    ]);
    await Promise.all([
      (async () => {
        await ada.locator("#codemirror .cm-content").click();
        await ada.keyboard.press("End");
        await ada.keyboard.type(" // Ada was here", { delay: 15 });
        await ada.locator("#tiptap .ProseMirror").click();
      })(),
      (async () => {
        await alan.locator("#tiptap .ProseMirror").click();
        await alan.keyboard.press("Control+End");
        await alan.keyboard.type(" Alan adds a sentence.", { delay: 15 });
      })(),
    ]);

    // Converged: the same text on both pages, containing both people's words.
    const both = async (read: (page: Page) => Promise<string>) => [await read(ada), await read(alan)];
    await expect.poll(async () => new Set(await both(richText)).size, { timeout: waitMs }).toBe(1);
    expect(await richText(ada)).toContain("Ada writes rich text.");
    expect(await richText(ada)).toContain("Alan adds a sentence.");
    await expect.poll(async () => new Set(await both(code)).size, { timeout: waitMs }).toBe(1);
    expect(await code(alan)).toContain("const alan = 1;");
    expect(await code(alan)).toContain("// Ada was here");

    // Presence: both names on both pages.
    for (const page of [ada, alan]) {
      await expect.poll(() => page.locator("#people li").allInnerTexts(), { timeout: waitMs }).toEqual(expect.arrayContaining([expect.stringContaining("Ada"), expect.stringContaining("Alan")]));
    }
    // Cursors: Alan sees Ada's caret in Tiptap (she clicked there last), Ada sees Alan's.
    await alan.locator(".collaboration-carets__label", { hasText: "Ada" }).waitFor({ timeout: waitMs });
    await ada.locator(".collaboration-carets__label", { hasText: "Alan" }).waitFor({ timeout: waitMs });
    expect(await alan.locator(".collaboration-carets__caret").first().evaluate((el) => getComputedStyle(el).borderLeftColor)).toBe("rgb(230, 25, 75)");

    // Chat over a Y.Array.
    await ada.locator("#chat-input").fill("Hello Alan!");
    await ada.locator("#chat-form button").click();
    await alan.locator("#chat-log li", { hasText: "Hello Alan!" }).waitFor({ timeout: waitMs });

    // The save indicator went through "saving" and settled on "All changes saved" (durable acks).
    for (const page of [ada, alan]) {
      await expect.poll(() => page.locator("#saved").textContent(), { timeout: waitMs }).toBe("All changes saved");
      expect(await page.evaluate(() => (window as unknown as { savedStates: string[] }).savedStates)).toContain("saving");
    }

    // The JSON export link answers the room's document.
    const exportHref = await ada.locator("#export-link").getAttribute("href");
    expect(exportHref).toBe(`/parties/main/${room}`);
    const exported = (await (await fetch(`${url}${exportHref}`)).json()) as Record<string, unknown>;
    expect(exported.code).toBe(await code(ada));
    expect(JSON.stringify(exported.prosemirror)).toContain("Ada writes rich text.");

    await mkdir(artifacts, { recursive: true });
    await alan.screenshot({ path: path.join(artifacts, "demo-alan.png") });
    await ada.screenshot({ path: path.join(artifacts, "demo-ada.png") });
  }, 90_000);

  it("the page without a room lists rooms and opens a new one", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${url}/`);
    await page.locator("#picker").waitFor({ timeout: waitMs });
    await expect.poll(() => page.locator("#room-list li").count(), { timeout: waitMs }).toBeGreaterThan(0);
    await page.locator("#new-room").fill("from-the-picker");
    await page.locator("#new-room-form button").click();
    await page.waitForURL(/\?room=from-the-picker$/, { timeout: waitMs });
    await page.locator("#tiptap .ProseMirror").waitFor({ timeout: waitMs });
    expect(await page.locator("#room-name").textContent()).toBe("from-the-picker");
  }, 60_000);
});
