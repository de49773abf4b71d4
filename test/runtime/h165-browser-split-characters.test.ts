/**
 * A large text paced in fragments whose boundaries split a four-byte character reaches a real browser whole: Chromium's
 * WebSocket, plain and through partysocket, gets the text as the party sent it.
 */
import * as esbuild from "esbuild";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { FRAGMENT_BYTES } from "../../src/runtime/paced-sender.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { launchChromium } from "../provider/browser-harness.js";

afterEach(cleanupAll);

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/**
 * A text of `prefix` bytes of ASCII, then four-byte characters, past three fragments: each fragment boundary falls
 * `prefix` bytes into a character (none for 0), so the fragments of 1, 2 and 3 split every character they end in.
 */
const splitText = (prefix: number): string => "a".repeat(prefix) + "😀".repeat((3 * FRAGMENT_BYTES) / 4 + 100);

/** Sends the text asked for (its prefix length), then "end". */
class SplitText implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onMessage(message: string | ArrayBuffer | ArrayBufferView, conn: Party.Connection) {
    conn.send(splitText(Number(message)));
    conn.send("end");
  }
}

/** In the page: opens `make(url)`, asks for each text and answers what arrived, as lengths and whether it was as sent. */
async function receivedInPage(url: string, client: "WebSocket" | "PartySocket"): Promise<string[]> {
  const page = await browser.newPage();
  try {
    if (client === "PartySocket") {
      const bundle = await esbuild.build({
        stdin: { contents: 'import { WebSocket as PartySocket } from "partysocket"; window.PartySocket = PartySocket;', resolveDir: process.cwd() },
        bundle: true,
        platform: "browser",
        format: "iife",
        write: false,
        logLevel: "silent",
      });
      await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    }
    return await page.evaluate(
      async ({ url, client, fragment }) => {
        const expected = (prefix: number) => "a".repeat(prefix) + "😀".repeat((3 * fragment) / 4 + 100);
        const Client = client === "WebSocket" ? WebSocket : (window as unknown as { PartySocket: typeof WebSocket }).PartySocket;
        const ws = new Client(url);
        const frames: string[] = [];
        let wake = () => {};
        ws.addEventListener("message", (event) => {
          frames.push(String(event.data));
          wake();
        });
        ws.addEventListener("close", (event) => {
          frames.push(`close ${event.code}`);
          wake();
        });
        const next = () => new Promise<string>((resolve) => (frames.length > 0 ? resolve(frames.shift()!) : (wake = () => resolve(frames.shift()!))));
        await new Promise((resolve) => ws.addEventListener("open", resolve, { once: true }));
        const seen: string[] = [];
        for (const prefix of [0, 1, 2, 3]) {
          ws.send(String(prefix));
          const text = await next();
          seen.push(`${prefix}: ${text === expected(prefix) ? "as sent" : `${text.length} chars, not as sent`}, then ${await next()}`);
        }
        ws.close();
        return seen;
      },
      { url, client, fragment: FRAGMENT_BYTES },
    );
  } finally {
    await page.close();
  }
}

describe("a paced text that splits four-byte characters, in Chromium", () => {
  for (const client of ["WebSocket", "PartySocket"] as const) {
    it(`${client}: every text arrives as it was sent`, { timeout: 60_000 }, async () => {
      const { wsUrl } = await startServer({ main: SplitText }, { storage: "memory" });
      const seen = await receivedInPage(wsUrl("/party/split"), client);
      expect(seen).toEqual([0, 1, 2, 3].map((prefix) => `${prefix}: as sent, then end`));
    });
  }
});
