/**
 * A live update sent on a new connection before the provider's sync step 2 (typed right after reconnecting, while
 * offline edits wait for the step 2 that carries them): the server's ack of that update must not count the offline
 * edits as saved, as they have not reached the server yet.
 */
import type WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { decodeMessage } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { converged, destroyProviders, makeProvider, nextEvent, stepTwoHolder, synced, waitUntil } from "./support.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const text = (doc: import("yjs").Doc) => doc.getText("t").toString();

/** The highest durable-ack count `ws` has received, kept up to date (read after the provider handled the frame). */
function acksOn(ws: WebSocket): { highest: number; wait(count: number): Promise<void> } {
  const acks = { highest: 0, wait: (count: number) => waitUntil(`the server's ack of ${count}`, () => acks.highest >= count, subscribe) };
  const subscribe = (recheck: () => void) => {
    ws.on("message", recheck);
    return () => ws.off("message", recheck);
  };
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    const message = isBinary ? decodeMessage(new Uint8Array(data)) : null;
    if (message?.type === "durable-ack") acks.highest = Math.max(acks.highest, message.count);
  });
  return acks;
}

describe("a live update sent before the step 2 of a new connection", () => {
  it("is acked without counting the offline edits its step 2 has not delivered yet", async () => {
    const { url } = await startServer({ main: DocumentParty });
    const network = stepTwoHolder();
    const a = makeProvider(url, "typed-on-reconnect", { WebSocketPolyfill: network.WebSocket });
    await synced(a);
    const t = a.doc.getText("t");
    const baseSaved = nextEvent(a, "unsynced-changes", (count: number) => count === 0);
    t.insert(0, "base");
    await baseSaved;

    a.disconnect();
    t.insert(4, " offline1");
    t.insert(t.length, " offline2");
    expect(a.unsyncedChanges).toBe(2);

    // The user types as soon as the socket is open; the step 2 with the offline edits is slow to reach the server.
    network.hold();
    let acks: ReturnType<typeof acksOn> | undefined;
    a.on("status", ({ status }) => {
      if (status !== "connected" || acks) return;
      acks = acksOn(a.ws as unknown as WebSocket);
      t.insert(t.length, "!");
    });
    void a.connect();
    await waitUntil(
      "the reconnect",
      () => acks !== undefined,
      (recheck) => (a.on("status", recheck), () => a.off("status", recheck)),
    );
    await acks!.wait(1); // the live update, message 1 of this connection, is stored: it is all the server has
    expect(a.unsyncedChanges).toBe(3);

    const saved = nextEvent(a, "unsynced-changes", (count: number) => count === 0);
    network.release();
    await saved;
    const reader = makeProvider(url, "typed-on-reconnect");
    await synced(reader);
    await converged([reader.doc], text, "base offline1 offline2!");
  });
});
