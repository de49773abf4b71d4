/** examples/rooms' page in a real headless Chromium: two players on one counter room see each other's inputs and cursors. */
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { copyFixture, deferredCleanups, repoRoot, serveIn } from "../cli/helpers.js";

const defer = deferredCleanups(afterEach);
const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const waitMs = 20_000;

async function openAs(browser: Browser, url: string, player: string, room: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  page.on("pageerror", (error) => {
    throw new Error(`${player}'s page threw: ${error.message}`);
  });
  await page.goto(`${url}/?room=${room}&player=${player}`);
  await expect.poll(() => page.locator("#status").textContent(), { timeout: waitMs }).toBe("open");
  return page;
}

describe("examples/rooms page", () => {
  it("two players: a click counts on both pages, the players list, echo, and the other's cursor", async () => {
    const project = await copyFixture("rooms", path.join(repoRoot, "examples"));
    defer(project.remove);
    const { url } = await serveIn(defer, "dev", project.dir, ["--config", "yparty.json"]);
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
    defer(() => browser.close());

    const ada = await openAs(browser, url, "ada", "r1");
    const alan = await openAs(browser, url, "alan", "r1");
    for (const page of [ada, alan]) await expect.poll(() => page.locator("#players li").allTextContents(), { timeout: waitMs }).toEqual(["ada", "alan"]);

    await ada.click("#inc5");
    await alan.click("#inc1");
    for (const page of [ada, alan]) await expect.poll(() => page.locator("#count").textContent(), { timeout: waitMs }).toBe("6");

    await ada.click("#echo");
    await expect.poll(() => ada.locator("#echoed").textContent(), { timeout: waitMs }).toMatch(/^echo: \{"at":/);
    expect(await alan.locator("#echoed").textContent()).toBe("");

    const board = await alan.locator("#board").boundingBox();
    await alan.mouse.move(board!.x + board!.width / 2, board!.y + board!.height / 4);
    await alan.mouse.move(board!.x + board!.width / 2 + 5, board!.y + board!.height / 4 + 5);
    await ada.locator('.cursor[data-player="alan"]').waitFor({ timeout: waitMs });
    expect(await alan.locator(".cursor").count()).toBe(0); // not sent back to the sender

    await ada.screenshot({ path: path.join(repoRoot, "test-artifacts", "rooms-counter.png") });
  });
});
