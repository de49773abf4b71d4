/**
 * The demo's game page in a real headless Chromium: two players open /game.html, are matched into one arena match,
 * see each other's dot move (arrow keys and a click), chat, vote (a live tally and a result, then a veto), and
 * finish. A screenshot lands in test-artifacts/.
 */
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliProcess, repoRoot, tempDir } from "../cli/helpers.js";

const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const waitMs = 20_000;

let browser: Browser;
let cli: CliProcess;
let url: string;
let data: { dir: string; remove: () => Promise<void> };

beforeAll(async () => {
  data = await tempDir("yparty-demo-game-");
  cli = new CliProcess(["dev", "--config", "demo/yparty.json", "--port", "0", "--persist", data.dir]);
  url = await cli.url();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await cli?.stop("SIGTERM");
  await data?.remove();
});

async function openAs(player: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  context.setDefaultTimeout(waitMs);
  const page = await context.newPage();
  page.on("pageerror", (error) => {
    throw new Error(`${player}'s page threw: ${error.message}`);
  });
  await page.goto(`${url}/game.html?player=${player}`);
  await expect.poll(() => page.locator("#status").textContent(), { timeout: waitMs }).toBe("open");
  return page;
}

/** Where a player's dot is drawn, in % of the board (from its inline style). */
const dotAt = (page: Page, player: string) => page.locator(`.dot[data-player="${player}"]`).evaluate((el: HTMLElement) => `${el.style.left} ${el.style.top}`);

describe("demo game page", () => {
  it("two players are matched, see each other move, chat, vote, veto and finish", async () => {
    const picker = await browser.newPage();
    await picker.goto(`${url}/`);
    expect(await picker.locator('a[href="/game.html"]').count()).toBe(1);
    await picker.close();

    const ada = await openAs("ada");
    const alan = await openAs("alan");
    for (const page of [ada, alan]) await expect.poll(() => page.locator("#phase").textContent(), { timeout: waitMs }).toMatch(/^playing with/);
    expect(await ada.locator("#phase").textContent()).toBe("playing with alan");
    for (const page of [ada, alan]) await expect.poll(() => page.locator(".dot").count(), { timeout: waitMs }).toBe(2);

    // Arrow keys move ada's dot by a cell; alan sees it move. (Cell 2 of 20: its centre at 12.5 %.)
    await ada.locator("#board").focus();
    await ada.keyboard.press("ArrowRight");
    await ada.keyboard.press("ArrowRight");
    await ada.keyboard.press("ArrowDown");
    await expect.poll(() => dotAt(alan, "ada"), { timeout: waitMs }).toBe("12.5% 7.5%");
    // A click moves alan's dot to the clicked cell (the board's centre: cell 10, 10).
    const board = await alan.locator("#board").boundingBox();
    await alan.mouse.click(board!.x + board!.width * 0.52, board!.y + board!.height * 0.52);
    await expect.poll(() => dotAt(ada, "alan"), { timeout: waitMs }).toBe("52.5% 52.5%");

    // Chat in the match's channel.
    await alan.locator("#chat-input").fill("good luck");
    await alan.locator("#chat-form button").click();
    await expect
      .poll(() => ada.locator("#messages li").allTextContents(), { timeout: waitMs })
      .toEqual([expect.stringMatching(/^alan good luck \d\d:\d\d:\d\d$/)]);

    // A vote: both pick Volcano, the live tally and the result show on both pages.
    await ada.locator("#call-vote").click();
    for (const page of [ada, alan]) await page.locator('#vote-options button[data-option="volcano"]').click();
    await expect.poll(() => ada.locator("#vote-tally").textContent(), { timeout: waitMs }).toBe("jungle 0, volcano 2 (2 votes)");
    for (const page of [ada, alan]) await expect.poll(() => page.locator("#vote-result").textContent(), { timeout: waitMs }).toBe("volcano wins");
    await ada.screenshot({ path: path.join(repoRoot, "test-artifacts", "demo-game.png") });

    // Another vote, vetoed by alan: no result, both pages say who vetoed.
    await ada.locator("#call-vote").click();
    await expect.poll(() => alan.locator("#vote-options button").count(), { timeout: waitMs }).toBe(2);
    await alan.locator("#veto").click();
    for (const page of [ada, alan]) await expect.poll(() => page.locator("#vote-result").textContent(), { timeout: waitMs }).toBe("vetoed by alan");

    await alan.locator("#finish").click();
    await expect.poll(() => ada.locator("#phase").textContent(), { timeout: waitMs }).toBe("finished: alan won");
    await expect.poll(() => alan.locator("#phase").textContent(), { timeout: waitMs }).toBe("finished: you won");
    expect(await ada.locator("#again").isVisible()).toBe(true);
  }, 90_000);
});
