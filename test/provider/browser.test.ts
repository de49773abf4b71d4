/**
 * Two pages in a real headless Chromium on one room: text and awareness sync through the server, and two
 * tabs of one browser sync over BroadcastChannel even with no server, and drop a closed tab's presence.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundlePage, launchChromium, openPage, pageErrors, servePage } from "./browser-harness.js";
import { startBackend, type Backend } from "./backend.js";
import type { TestHttpServer } from "./support.js";

let browser: Browser;
let page: TestHttpServer & { url: string };
let backend: Backend;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, page, backend] = await Promise.all([launchChromium(), bundlePage("yjs-page.ts").then(servePage), startBackend()]);
});

afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close()));
  await browser?.close();
  await page?.close();
  await backend?.close();
});

/** `offline`: the tab never gets a socket (its connection attempt never completes), but talks to its other tabs. */
async function tab(context: BrowserContext, host: string, room: string, name: string, offline = false): Promise<Page> {
  const tabPage = await openPage(context, page.url);
  await tabPage.evaluate(
    ({ host, room, name, offline }) => {
      const { Y, YPartyKitProvider } = window.yparty;
      const doc = new Y.Doc();
      const stuck = { params: () => new Promise<Record<string, string>>(() => {}), connectTimeout: 600_000 };
      const provider = new YPartyKitProvider(host, room, doc, offline ? stuck : {});
      provider.awareness.setLocalStateField("user", { name });
      (window as unknown as { provider: unknown }).provider = provider;
    },
    { host, room, name, offline },
  );
  return tabPage;
}

type Win = { provider: import("../../provider/index.js").YPartyKitProvider };

const readText = (p: Page) => p.evaluate(() => (window as unknown as Win).provider.doc.getText("t").toString());
const waitText = (p: Page, expected: string) =>
  p.waitForFunction((expected) => (window as unknown as Win).provider.doc.getText("t").toString() === expected, expected, {
    timeout: 10_000,
  });
const waitPeers = (p: Page, names: string[]) =>
  p.waitForFunction(
    (names) => {
      const states = [...(window as unknown as Win).provider.awareness.getStates().values()] as Array<{ user?: { name: string } }>;
      const seen = states
        .map((state) => state.user?.name)
        .filter(Boolean)
        .sort();
      return JSON.stringify(seen) === JSON.stringify([...names].sort());
    },
    names,
    { timeout: 10_000 },
  );

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext();
  contexts.push(context);
  return context;
}

describe("provider in headless Chromium", () => {
  it("two pages (separate browsers) sync text and awareness through the server", async () => {
    const [one, two] = await Promise.all([newContext(), newContext()]);
    const a = await tab(one, backend.host, "browser-sync", "Ada");
    const b = await tab(two, backend.host, "browser-sync", "Grace");
    await a.waitForFunction(() => (window as unknown as Win).provider.synced, null, { timeout: 10_000 });
    const unsyncedRightAfter = await a.evaluate(() => {
      const { provider } = window as unknown as Win;
      provider.doc.getText("t").insert(0, "typed in page A");
      return provider.unsyncedChanges;
    });
    expect(unsyncedRightAfter).toBe(1);
    await waitText(b, "typed in page A");
    // "All changes saved" once the server acknowledged the durable write.
    await a.waitForFunction(() => (window as unknown as Win).provider.unsyncedChanges === 0, null, { timeout: 10_000 });
    await b.evaluate(() => (window as unknown as Win).provider.doc.getText("t").insert(0, ">> "));
    await waitText(a, ">> typed in page A");
    await Promise.all([waitPeers(a, ["Ada", "Grace"]), waitPeers(b, ["Ada", "Grace"])]);
    expect(await readText(b)).toBe(">> typed in page A");
    expect([...pageErrors(a), ...pageErrors(b)]).toEqual([]);
  });

  it("a tab without a connection types; another tab of the browser, connected, saves it: it reaches others after the first tab closed", async () => {
    const context = await newContext();
    const offline = await tab(context, backend.host, "tab-relay", "Ada", true);
    const online = await tab(context, backend.host, "tab-relay", "Grace");
    await online.waitForFunction(() => (window as unknown as Win).provider.synced, null, { timeout: 10_000 });
    await offline.evaluate(() => (window as unknown as Win).provider.doc.getText("t").insert(0, "typed with no socket"));
    await waitText(online, "typed with no socket");
    // "Saved" in the connected tab means the server has it (it said so before, and never sent it)
    await online.waitForFunction(() => (window as unknown as Win).provider.unsyncedChanges === 0, null, { timeout: 10_000 });
    await offline.close({ runBeforeUnload: true });
    const elsewhere = await tab(await newContext(), backend.host, "tab-relay", "Edsger");
    await waitText(elsewhere, "typed with no socket");
    expect([...pageErrors(online), ...pageErrors(elsewhere)]).toEqual([]);
  });

  it("two tabs of one browser sync over BroadcastChannel with no server, and a closed tab's presence goes at once", async () => {
    const context = await newContext();
    const unreachable = "127.0.0.1:9"; // discard port: nothing answers, the provider keeps backing off
    const a = await tab(context, unreachable, "cross-tab", "Ada");
    const b = await tab(context, unreachable, "cross-tab", "Grace");
    await a.evaluate(() => (window as unknown as Win).provider.doc.getText("t").insert(0, "no server needed"));
    await waitText(b, "no server needed");
    await waitPeers(b, ["Ada", "Grace"]);
    expect(await b.evaluate(() => (window as unknown as Win).provider.wsconnected)).toBe(false);
    // Closing tab A fires pagehide: its presence leaves now, not after the 30 s awareness timeout.
    await a.close({ runBeforeUnload: true });
    await waitPeers(b, ["Grace"]);
    expect(pageErrors(b)).toEqual([]);
  });
});
