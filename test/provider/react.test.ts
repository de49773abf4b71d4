/**
 * useYProvider under React StrictMode, in a real Chromium with React's development build (the one that
 * mounts, unmounts and remounts every effect): one provider, one socket, cleaned up on unmount.
 */
import http from "node:http";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket as NodeSocket } from "ws";
import { bundlePage, launchChromium, openPage, pageErrors, servePage } from "./browser-harness.js";
import { listen, waitUntil, type TestHttpServer } from "./support.js";

let browser: Browser;
let page: TestHttpServer & { url: string };
let server: TestHttpServer;
const wss = new WebSocketServer({ noServer: true });
/** Every upgrade: its room path, connection id, and whether its socket is still open. */
const upgrades: Array<{ path: string; pk: string | null; socket: NodeSocket; open: boolean }> = [];
const changed = new Set<() => void>();
const notify = () => changed.forEach((recheck) => recheck());
const watch = (recheck: () => void) => {
  changed.add(recheck);
  return () => changed.delete(recheck);
};

beforeAll(async () => {
  const httpServer = http.createServer((_req, res) => res.writeHead(404).end());
  httpServer.on("upgrade", (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      const url = new URL(req.url ?? "/", "http://x");
      const entry = { path: url.pathname, pk: url.searchParams.get("_pk"), socket: ws, open: true };
      upgrades.push(entry);
      ws.on("close", () => {
        entry.open = false;
        notify();
      });
      notify();
    }),
  );
  [browser, page, server] = await Promise.all([launchChromium(), bundlePage("react-page.tsx").then(servePage), listen(httpServer)]);
});

afterAll(async () => {
  await browser?.close();
  await page?.close();
  for (const client of wss.clients) client.terminate();
  wss.close();
  await server?.close();
});

const openSockets = (room: string) => upgrades.filter((u) => u.open && u.path === `/parties/main/${room}`);
const hook = <T>(p: Page, read: () => T) => p.evaluate(read);

describe("useYProvider under StrictMode", () => {
  it("makes one provider and one socket, follows a room change, and cleans up on unmount", async () => {
    const tab = await openPage(browser, page.url);
    await tab.evaluate((host) => window.hook.mount(host, "react-one"), server.host);
    await tab.waitForFunction(() => window.hook.providers[0]?.wsconnected === true, null, { timeout: 10_000 });
    // StrictMode rendered twice and ran the effect twice...
    expect(await hook(tab, () => window.hook.renders)).toBeGreaterThanOrEqual(2);
    expect(await hook(tab, () => window.hook.effects)).toBe(2);
    // ...yet there is one provider and the server saw one connection.
    expect(await hook(tab, () => window.hook.providers.length)).toBe(1);
    expect(upgrades.filter((u) => u.path === "/parties/main/react-one")).toHaveLength(1);

    await tab.evaluate(() => window.hook.setRoom("react-two"));
    await waitUntil(
      "the old room's socket to close and the new one to open",
      () => openSockets("react-one").length === 0 && openSockets("react-two").length === 1,
      watch,
    );
    await tab.waitForFunction(() => window.hook.providers[0]!.destroyed && window.hook.providers[1]?.wsconnected === true, null, {
      timeout: 10_000,
    });
    expect(await hook(tab, () => window.hook.providers.length)).toBe(2);

    await tab.evaluate(() => window.hook.unmount());
    await waitUntil("every socket to close", () => upgrades.every((u) => !u.open), watch);
    await tab.waitForFunction(() => window.hook.providers.every((p) => p.destroyed && p.ws === null), null, { timeout: 10_000 });
    expect(upgrades.filter((u) => u.path === "/parties/main/react-two")).toHaveLength(1);
    expect(pageErrors(tab)).toEqual([]);
    await tab.close();
  });
});
