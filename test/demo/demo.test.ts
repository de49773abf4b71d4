/**
 * The demo in a real headless Chromium, checked the way a visitor meets it: the room picker alone, a room
 * with two editors (toolbar, placeholders, headings bigger than body text), an invite link on the clipboard,
 * two people who converge and see each other in the avatar stacks of the editor each is in, a phone-wide
 * layout without sideways scrolling, and a favicon. Screenshots of each state land in test-artifacts/.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type BrowserContextOptions, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { YPartyKitProvider } from "../../provider/index.js";
import { CliProcess, deferredCleanups, repoRoot, tempDir } from "../cli/helpers.js";
import { code, richHtml, richText } from "./support.js";

const artifacts = path.join(repoRoot, "test-artifacts");
const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const waitMs = 20_000;
const desktop = { width: 1360, height: 820 };

let browser: Browser;
let cli: CliProcess;
let url: string;
let data: { dir: string; remove: () => Promise<void> };

beforeAll(async () => {
  data = await tempDir("yparty-demo-");
  cli = new CliProcess(["dev", "--config", "demo/yparty.json", "--port", "0", "--persist", data.dir]);
  url = await cli.url();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
  await mkdir(artifacts, { recursive: true });
}, 60_000);

/** Browser contexts and providers a test opens are closed after it. */
const defer = deferredCleanups(afterEach);

afterAll(async () => {
  await browser?.close();
  await cli?.stop("SIGTERM");
  await data?.remove();
});

let rooms = 0;
const newRoom = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++rooms}`;

/** A page in its own browser context (its own localStorage, so its own identity); page errors fail the test. */
async function newPage(options: BrowserContextOptions & { identity?: { name: string; color: string } } = {}): Promise<Page> {
  const { identity, ...contextOptions } = options;
  const context = await browser.newContext({ viewport: desktop, ...contextOptions });
  defer(() => context.close());
  context.setDefaultTimeout(waitMs);
  if (identity) {
    await context.addInitScript(([n, c]) => localStorage.setItem("yparty-demo-identity", JSON.stringify({ name: n, color: c })), [
      identity.name,
      identity.color,
    ] as const);
  }
  const page = await context.newPage();
  page.on("pageerror", (error) => {
    throw new Error(`The page threw: ${error.message}`);
  });
  return page;
}

/** Opens `room` and waits until both editors are up and the connection badge says so. */
async function openRoom(page: Page, room: string): Promise<Page> {
  await page.goto(`${url}/?room=${encodeURIComponent(room)}`);
  await page.locator("#tiptap .ProseMirror").waitFor({ timeout: waitMs });
  await page.locator("#codemirror .cm-content").waitFor({ timeout: waitMs });
  await expect.poll(() => page.locator("#connection").textContent(), { timeout: waitMs }).toBe("Connected");
  return page;
}

async function openAs(name: string, color: string, room: string): Promise<Page> {
  const page = await openRoom(await newPage({ identity: { name, color } }), room);
  // Record every state the save indicator passes through.
  await page.evaluate(() => {
    const status = document.getElementById("saved")!;
    const seen: string[] = [];
    Object.assign(window, { savedStates: seen });
    new MutationObserver(() => seen.push(status.dataset.state ?? "")).observe(status, { attributes: true, childList: true });
  });
  return page;
}

const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(artifacts, `demo-${name}.png`) });

const fontSize = (page: Page, selector: string) =>
  page
    .locator(selector)
    .first()
    .evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
/** The names in the avatar stack of one editor's panel, as their tooltips read. */
const avatarsIn = (page: Page, editor: "Rich text" | "Code") =>
  page
    .getByLabel(`Who is in ${editor}`)
    .locator(".avatar")
    .evaluateAll((els) => els.map((el) => el.getAttribute("title")));

describe("demo page", () => {
  it("the page without a room shows the room picker alone, lists rooms and opens a new one", async () => {
    const page = await newPage();
    await page.goto(`${url}/`);
    await page.locator("#picker").waitFor({ timeout: waitMs });
    await expect.poll(() => page.locator("#room-list li").count(), { timeout: waitMs }).toBeGreaterThan(0);
    // Nothing of a room: no editors, no connection badge stuck on "Connecting…", no export link to nowhere.
    expect(await page.getByText("Connecting…").isVisible()).toBe(false);
    expect(await page.getByRole("link", { name: "JSON export" }).isVisible()).toBe(false);
    expect(await page.getByText("Rich text").isVisible()).toBe(false);
    expect(await page.locator("#tiptap").isVisible()).toBe(false);
    await screenshot(page, "picker");

    await page.locator("#new-room").fill("from-the-picker");
    await page.locator("#new-room-form button").click();
    await page.waitForURL(/\?room=from-the-picker$/, { timeout: waitMs });
    await page.locator("#tiptap .ProseMirror").waitFor({ timeout: waitMs });
    expect(await page.locator("#room-name").textContent()).toBe("from-the-picker");
    expect(await page.locator("#picker").isVisible()).toBe(false);
  }, 60_000);

  it("serves a favicon: /favicon.ico and the icon the page links", async () => {
    const ico = await fetch(`${url}/favicon.ico`);
    expect(ico.status).toBe(200);
    expect(ico.headers.get("content-type")).toBe("image/x-icon");
    expect([...new Uint8Array(await ico.arrayBuffer()).subarray(0, 4)]).toEqual([0, 0, 1, 0]);

    const page = await newPage();
    await page.goto(`${url}/`);
    const linked = await page.locator('link[rel="icon"]').getAttribute("href");
    const svg = await fetch(new URL(linked!, url));
    expect(svg.status).toBe(200);
    expect(svg.headers.get("content-type")).toBe("image/svg+xml");
  });

  it("empty editors show placeholders, which go once there is text", async () => {
    const page = await openRoom(await newPage(), newRoom("empty"));
    const tiptapPlaceholder = () =>
      page
        .locator("#tiptap .ProseMirror p")
        .first()
        .evaluate((el) => getComputedStyle(el, "::before").content);
    expect(await tiptapPlaceholder()).toBe('"Write something…"');
    expect(await page.locator("#codemirror .cm-placeholder").textContent()).toBe("// Code goes here");
    expect(await page.locator("#codemirror .cm-placeholder").isVisible()).toBe(true);
    await screenshot(page, "room-connected");

    await page.locator("#tiptap .ProseMirror").click();
    await page.keyboard.type("Hi");
    await page.locator("#codemirror .cm-content").click();
    await page.keyboard.type("x");
    expect(await tiptapPlaceholder()).toBe("none");
    expect(await page.locator("#codemirror .cm-placeholder").count()).toBe(0);
  });

  it("headings typed in Tiptap are larger than body text", async () => {
    const page = await openRoom(await newPage(), newRoom("headings"));
    await page.locator("#tiptap .ProseMirror").click();
    // Markdown shortcuts make headings.
    await page.keyboard.type("# Title");
    await page.keyboard.press("Enter");
    await page.keyboard.type("## Section");
    await page.keyboard.press("Enter");
    await page.keyboard.type("Body text");
    const body = await fontSize(page, "#tiptap .ProseMirror p");
    expect(await fontSize(page, "#tiptap .ProseMirror h2")).toBeGreaterThan(body);
    expect(await fontSize(page, "#tiptap .ProseMirror h1")).toBeGreaterThan(await fontSize(page, "#tiptap .ProseMirror h2"));
  });

  it("the toolbar toggles marks and blocks, shows what is on at the caret, undoes and redoes", async () => {
    const page = await openRoom(await newPage(), newRoom("toolbar"));
    const button = (name: string) => page.getByRole("toolbar", { name: "Formatting" }).getByRole("button", { name, exact: true });
    await page.locator("#tiptap .ProseMirror").click();
    expect(await button("Undo").isDisabled()).toBe(true);
    await page.keyboard.type("Body text, ");

    // Bold and italic on, type, bold off: the buttons show the state at the caret.
    await button("Bold").click();
    await button("Italic").click();
    expect(await button("Bold").getAttribute("aria-pressed")).toBe("true");
    expect(await button("Italic").getAttribute("aria-pressed")).toBe("true");
    await page.keyboard.type("bold italic");
    await button("Bold").click();
    expect(await button("Bold").getAttribute("aria-pressed")).toBe("false");
    await page.keyboard.type(" italic");
    await button("Italic").click();
    await page.keyboard.type(" plain ");
    await button("Inline code").click();
    await page.keyboard.type("x = 1");
    await button("Inline code").click();
    expect(await richHtml(page)).toContain("<p>Body text, <strong><em>bold italic</em></strong><em> italic</em> plain <code>x = 1</code></p>");

    // Blocks: a bullet list, then a heading from the toolbar (the H2 button lights up).
    await page.keyboard.press("Enter");
    await button("Bullet list").click();
    expect(await button("Bullet list").getAttribute("aria-pressed")).toBe("true");
    await page.keyboard.type("first item");
    expect(await richHtml(page)).toContain("<ul><li><p>first item</p></li></ul>");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Enter");
    await button("Heading 2").click();
    expect(await button("Heading 2").getAttribute("aria-pressed")).toBe("true");
    expect(await button("Bullet list").getAttribute("aria-pressed")).toBe("false");
    await page.keyboard.type("Toolbar heading");
    expect(await richHtml(page)).toContain("<h2>Toolbar heading</h2>");
    await screenshot(page, "toolbar");

    // Undo takes back your typing (Yjs groups keystrokes less than half a second apart), Redo brings it back.
    // (Undoing down to an empty document and redoing leaves an empty first paragraph: y-tiptap does that.)
    const before = (await richText(page)).trim();
    expect(await button("Undo").isEnabled()).toBe(true);
    await button("Undo").click();
    expect(await richText(page)).not.toContain("Toolbar heading");
    // Right after the Undo (before: it was enabled only by the next transaction, which the carets' updates made soon).
    expect(await button("Redo").isEnabled()).toBe(true);
    await button("Redo").click();
    expect((await richText(page)).trim()).toBe(before);
  });

  it("undo in CodeMirror undoes only your own typing, never the other person's", async () => {
    const room = newRoom("cm-undo");
    const ada = await openAs("Ada", "#e6194b", room);
    const alan = await openAs("Alan", "#4363d8", room);
    await ada.locator("#codemirror .cm-content").click();
    await ada.keyboard.type("ada();", { delay: 10 });
    await expect.poll(() => code(alan), { timeout: waitMs }).toBe("ada();");
    await alan.locator("#codemirror .cm-content").click();
    await alan.keyboard.press("Control+End");
    await alan.keyboard.type(" alan();", { delay: 10 });
    await expect.poll(() => code(ada), { timeout: waitMs }).toBe("ada(); alan();");
    await ada.locator("#codemirror .cm-content").click();
    for (let i = 0; i < 3; i++) await ada.keyboard.press("Control+z");
    // CodeMirror's own history (basicSetup) took Control+Z and removed Alan's text too
    await expect.poll(() => code(alan), { timeout: waitMs }).toBe(" alan();");
    expect(await code(ada)).toBe(" alan();");
  });

  it("copy invite link puts the room's address on the clipboard and says so", async () => {
    const room = newRoom("invite");
    const page = await newPage({ permissions: ["clipboard-read", "clipboard-write"] });
    await openRoom(page, room);
    await page.getByRole("button", { name: "Copy invite link" }).click();
    await page.getByRole("button", { name: "Copied" }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${url}/?room=${room}`);
  });

  it("two people edit Tiptap and CodeMirror at once and converge, with cursors, avatars per editor, chat and save status", async () => {
    const room = newRoom("browser");
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
        await alan.locator("#codemirror .cm-content").click();
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

    // Presence: both names on both pages; each editor's avatar stack holds whoever is in it.
    for (const page of [ada, alan]) {
      await expect
        .poll(() => page.locator("#people li").allInnerTexts(), { timeout: waitMs })
        .toEqual(expect.arrayContaining([expect.stringContaining("Ada"), expect.stringContaining("Alan")]));
    }
    await expect.poll(() => avatarsIn(ada, "Rich text"), { timeout: waitMs }).toEqual(["Ada (you)"]);
    await expect.poll(() => avatarsIn(ada, "Code"), { timeout: waitMs }).toEqual(["Alan"]);
    await expect.poll(() => avatarsIn(alan, "Rich text"), { timeout: waitMs }).toEqual(["Ada"]);
    await expect.poll(() => avatarsIn(alan, "Code"), { timeout: waitMs }).toEqual(["Alan (you)"]);
    expect(await ada.locator("#people li", { hasText: "Alan" }).textContent()).toContain("Code");
    // Cursors: Alan sees Ada's caret in Tiptap (she clicked there last) in her colour.
    await alan.locator(".collaboration-carets__label", { hasText: "Ada" }).waitFor({ timeout: waitMs });
    expect(
      await alan
        .locator(".collaboration-carets__caret")
        .first()
        .evaluate((el) => getComputedStyle(el).borderLeftColor),
    ).toBe("rgb(230, 25, 75)");
    await screenshot(alan, "two-people-alan");
    await screenshot(ada, "two-people-ada");

    // Ada moves to the code editor: both stacks follow on Alan's page.
    await ada.locator("#codemirror .cm-content").click();
    await expect.poll(() => avatarsIn(alan, "Rich text"), { timeout: waitMs }).toEqual([]);
    await expect.poll(async () => (await avatarsIn(alan, "Code")).sort(), { timeout: waitMs }).toEqual(["Ada", "Alan (you)"]);

    // Chat over a Y.Array; typing in the chat is in neither editor.
    await ada.locator("#chat-input").fill("Hello Alan!");
    await ada.locator("#chat-form button").click();
    await alan.locator("#chat-log li", { hasText: "Hello Alan!" }).waitFor({ timeout: waitMs });
    await expect.poll(() => avatarsIn(alan, "Code"), { timeout: waitMs }).toEqual(["Alan (you)"]);

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
  }, 90_000);

  it("a crowded editor: its avatar stack shows four people and +N, with the others' names in the tooltip", async () => {
    const room = newRoom("crowded");
    const page = await openRoom(await newPage({ identity: { name: "Grace", color: "#008080" } }), room);
    await page.locator("#codemirror .cm-content").click();
    // Six more people in the code editor: Node clients publishing the same awareness fields as the page.
    const host = new URL(url).host;
    for (const name of ["Visitor 1", "Visitor 2", "Visitor 3", "Visitor 4", "Visitor 5", "Visitor 6"]) {
      const provider = new YPartyKitProvider(host, room, new Y.Doc(), { party: "main", WebSocketPolyfill: WebSocket as never, disableBc: true });
      defer(() => provider.destroy());
      provider.awareness.setLocalState({ user: { name, color: "#9a6324" }, editor: "code" });
    }
    await expect
      .poll(() => avatarsIn(page, "Code"), { timeout: waitMs })
      .toEqual(["Grace (you)", "Visitor 1", "Visitor 2", "Visitor 3", "Visitor 4, Visitor 5, Visitor 6"]);
    expect(await page.getByLabel("Who is in Code").locator(".avatar").last().textContent()).toBe("+3");
    expect(await page.locator("#people li").count()).toBe(7);
    await screenshot(page, "crowded");
  });

  it("fits a 390 px wide phone: nothing scrolls sideways in a room or in the picker, the header wraps", async () => {
    const page = await newPage({ viewport: { width: 390, height: 844 }, identity: { name: "Margaret", color: "#911eb4" } });
    const fitsTheScreen = async () => {
      for (const selector of ["html", "header"]) {
        const { scroll, client } = await page.locator(selector).evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
        expect(scroll, `${selector} is ${scroll} px wide in a ${client} px viewport`).toBeLessThanOrEqual(client);
      }
      for (const right of await page.locator("header > *, .room-bar > *").evaluateAll((els) => els.map((el) => el.getBoundingClientRect().right))) {
        expect(right).toBeLessThanOrEqual(390);
      }
    };
    await openRoom(page, newRoom("a-rather-long-room-name-on-a-phone"));
    await page.locator("#tiptap .ProseMirror").click();
    await page.keyboard.type("# On the go");
    await fitsTheScreen();
    await screenshot(page, "phone");

    await page.goto(`${url}/`);
    await page.locator("#room-list a").first().waitFor();
    await fitsTheScreen();
    await screenshot(page, "phone-picker");
  });

  it("the counter page: two players on the rooms protocol see one count, each other, and the link from the picker", async () => {
    const picker = await newPage();
    await picker.goto(`${url}/`);
    expect(await picker.locator('a[href="/counter.html"]').count()).toBe(1);

    const room = newRoom("counter");
    const openCounter = async (player: string) => {
      const page = await newPage();
      await page.goto(`${url}/counter.html?room=${room}&player=${player}`);
      await expect.poll(() => page.locator("#status").textContent(), { timeout: waitMs }).toBe("open");
      return page;
    };
    const ada = await openCounter("ada");
    const alan = await openCounter("alan");
    for (const page of [ada, alan]) await expect.poll(() => page.locator("#players li").allTextContents(), { timeout: waitMs }).toEqual(["ada", "alan"]);
    await ada.click("#inc5");
    await alan.click("#inc1");
    for (const page of [ada, alan]) await expect.poll(() => page.locator("#count").textContent(), { timeout: waitMs }).toBe("6");
    await screenshot(ada, "counter");
  });
});
