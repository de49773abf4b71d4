/**
 * Interop: our provider, y-websocket's WebsocketProvider and y-partykit's provider edit one room at once
 * and converge, text and presence.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import type { Awareness } from "y-protocols/awareness";
import { startBackend, type Backend } from "./backend.js";
import { destroyProviders, makeProvider, synced, track, waitUntil, WS, YPartyKitAnchorProvider } from "./support.js";

let backend: Backend;
beforeEach(async () => {
  backend = await startBackend();
});
afterEach(async () => {
  destroyProviders();
  await backend.close();
});

const names = (awareness: Awareness) =>
  [...awareness.getStates().values()]
    .map((state) => (state as { user?: string }).user)
    .filter(Boolean)
    .sort();

describe("interop in one room", () => {
  it("yparty, y-websocket and y-partykit providers converge on text and see each other", async () => {
    const room = `interop-${Date.now()}`;
    const ours = makeProvider(backend.host, room);
    const ywsDoc = new Y.Doc();
    const yws = track(new WebsocketProvider(`ws://${backend.host}/parties/main`, room, ywsDoc, { WebSocketPolyfill: WS, disableBc: true }));
    const pkDoc = new Y.Doc();
    const pk = track(new YPartyKitAnchorProvider(backend.host, room, pkDoc, { WebSocketPolyfill: WS }));
    await Promise.all([synced(ours), new Promise<void>((resolve) => (yws.synced ? resolve() : yws.once("sync", () => resolve()))), synced(pk)]);

    ours.doc.getText("t").insert(0, "[yparty]");
    ywsDoc.getText("t").insert(0, "[y-websocket]");
    pkDoc.getText("t").insert(0, "[y-partykit]");
    ours.awareness.setLocalStateField("user", "yparty");
    yws.awareness.setLocalStateField("user", "y-websocket");
    pk.awareness.setLocalStateField("user", "y-partykit");

    const docs = [ours.doc, ywsDoc, pkDoc];
    const texts = () => docs.map((doc) => doc.getText("t").toString());
    await waitUntil(
      "all three documents to hold all three edits",
      () => texts().every((text) => text === texts()[0] && ["[yparty]", "[y-websocket]", "[y-partykit]"].every((part) => text.includes(part))),
      (recheck) => {
        docs.forEach((doc) => doc.on("update", recheck));
        return () => docs.forEach((doc) => doc.off("update", recheck));
      },
    );
    const everyone = ["y-partykit", "y-websocket", "yparty"];
    const awarenesses = [ours.awareness, yws.awareness, pk.awareness];
    await waitUntil(
      "everyone to see everyone",
      () => awarenesses.every((awareness) => JSON.stringify(names(awareness)) === JSON.stringify(everyone)),
      (recheck) => {
        awarenesses.forEach((awareness) => awareness.on("change", recheck));
        return () => awarenesses.forEach((awareness) => awareness.off("change", recheck));
      },
    );
    expect(texts()[0]).toHaveLength("[yparty][y-websocket][y-partykit]".length);
  });
});
