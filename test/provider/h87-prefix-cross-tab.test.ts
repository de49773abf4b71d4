/**
 * helper 87: with `prefix` the prefix is the whole path of the socket (y-partykit's rule), so a project can point
 * providers at different documents with the same `room` argument. The cross-tab channel left the prefix out of its
 * name (it was `…/parties/main/{room}` whatever the prefix): tabs of one browser on two different documents joined one
 * BroadcastChannel, and each document's edits went into the other, then to its server. y-partykit names the channel
 * `{prefixed url}/{room}`. Against a real yparty server (the prefixes are rooms' paths); lib0's channel delivers
 * within a process synchronously, so what reached a document did so by the time the edit returned.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { WS, YPartyKitAnchorProvider, destroyProviders, makeProvider, synced } from "./support.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

describe("helper 87: cross-tab sync with a prefix", () => {
  it("joins only tabs on the same prefixed path, and names the channel as y-partykit does", async () => {
    const { url } = await startServer({ main: DocumentParty }, { storage: "memory" });
    const host = url.replace("http://", "");
    const tab = (prefix: string) => makeProvider(host, "shared", { prefix, disableBc: false });
    const [a, sameDoc, otherDoc] = [tab("/parties/main/doc-a"), tab("/parties/main/doc-a"), tab("/parties/main/doc-b")];
    await Promise.all([synced(a), synced(sameDoc), synced(otherDoc)]);
    a.doc.getText("t").insert(0, "only in doc-a");
    expect(sameDoc.doc.getText("t").toString()).toBe("only in doc-a"); // the channel is in play
    expect(otherDoc.doc.getText("t").toString()).toBe("");

    const theirs = new YPartyKitAnchorProvider(host, "shared", new Y.Doc(), { prefix: "/parties/main/doc-a", connect: false, WebSocketPolyfill: WS });
    expect(a.bcChannel).toBe((theirs as unknown as { bcChannel: string }).bcChannel);
    theirs.destroy();
  });
});
