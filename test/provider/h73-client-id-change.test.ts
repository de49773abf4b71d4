/**
 * A doc whose client id changes (Yjs gives a doc a new one when a remote change seems to come from another client
 * using its id). The Awareness keeps the id it was made with: the provider's presence is that entry. It threw
 * (y-protocols has no entry under the doc's new id) from the socket's open handler and from `connect()`, and
 * stopped announcing the user's presence.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Y from "yjs";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { awarenessChanges, converged, destroyProviders, makeProvider, nextEvent, synced, waitUntil } from "./support.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

describe("a doc whose client id changes", () => {
  it("keeps announcing presence, reconnects and saves", async () => {
    const { url } = await startServer({ main: DocumentParty }, { storage: "memory" });
    const a = makeProvider(url, "new-client-id", { disableBc: false });
    const b = makeProvider(url, "new-client-id");
    a.awareness.setLocalStateField("cursor", 1);
    await Promise.all([synced(a), synced(b)]);
    const presence = a.awareness.clientID;
    const cursorOfA = () => (b.awareness.getStates().get(presence) as { cursor?: number } | undefined)?.cursor;
    await waitUntil("b to see a's cursor 1", () => cursorOfA() === 1, awarenessChanges(b.awareness));

    a.doc.clientID = presence + 1; // what Yjs does on its own (transaction cleanup: "Changed the client-id…")

    a.awareness.setLocalStateField("cursor", 2);
    await waitUntil("b to see a's cursor 2", () => cursorOfA() === 2, awarenessChanges(b.awareness));

    const failures: unknown[] = [];
    const onFailure = (error: unknown) => failures.push(error);
    process.on("uncaughtException", onFailure);
    process.on("unhandledRejection", onFailure);
    try {
      a.disconnect();
      await waitUntil("b to see a gone", () => cursorOfA() === undefined, awarenessChanges(b.awareness));
      const resynced = nextEvent(a, "synced", (state: boolean) => state);
      await a.connect();
      await resynced;
      await waitUntil("b to see a's cursor again", () => cursorOfA() === 2, awarenessChanges(b.awareness));
      const saved = nextEvent(a, "unsynced-changes", (count: number) => count === 0);
      a.doc.getText("t").insert(0, "typed under the new id");
      await saved;
      await converged([b.doc], (doc: Y.Doc) => doc.getText("t").toString(), "typed under the new id");
    } finally {
      process.off("uncaughtException", onFailure);
      process.off("unhandledRejection", onFailure);
    }
    expect(failures).toEqual([]);
  });
});
