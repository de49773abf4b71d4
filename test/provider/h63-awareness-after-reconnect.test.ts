import { afterEach, describe, expect, it } from "vitest";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { awarenessChanges, destroyProviders, makeProvider, nextEvent, synced, waitUntil } from "./support.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const watch = awarenessChanges;

describe("presence after a reconnect", () => {
  it("a cursor moved right after the re-sync reaches the other editor", async () => {
    const { url } = await startServer({ main: DocumentParty }, { storage: "memory" });
    const a = makeProvider(url, "cursor-room");
    const b = makeProvider(url, "cursor-room");
    a.awareness.setLocalStateField("cursor", 1);
    await Promise.all([synced(a), synced(b)]);
    const cursorOfA = () => (b.awareness.getStates().get(a.doc.clientID) as { cursor?: number } | undefined)?.cursor;
    await waitUntil("b to see a's cursor 1", () => cursorOfA() === 1, watch(b.awareness));

    // The network drops a's socket; the provider reconnects, and the editor moves the cursor once the text is back.
    const resynced = nextEvent(a, "synced", (state: boolean) => state);
    a.on("synced", (state: boolean) => {
      if (state) a.awareness.setLocalStateField("cursor", 2);
    });
    (a.ws as unknown as { terminate(): void }).terminate();
    await resynced;

    await waitUntil("b to see a's cursor 2", () => cursorOfA() === 2, watch(b.awareness), 5_000).catch(() => {});
    expect(cursorOfA()).toBe(2);
  });
});
