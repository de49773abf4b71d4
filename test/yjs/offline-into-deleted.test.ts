/**
 * An editor that was offline while someone else deleted a nested type comes back with changes inside it: Yjs collects
 * those (their parent is gone), and whatever else it typed must still be taken. Found by an adversarial run: the
 * update check took a unit of a collected item for one placed by the update, so the next change naming it (the same
 * map key set again) looked forged, and the editor's whole step 2 was refused with 1007 on every reconnect, its
 * offline work never reaching the room. Real server, y-websocket providers; then random runs of such editors
 * (test/yjs/support/concurrent-editors.ts) through a room's session, every check included.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { DocumentParty } from "../../src/yjs/index.js";
import { startServer } from "../helpers/server.js";
import { offlineNestedUpdates } from "./support/concurrent-editors.js";
import { clientDocs, destroyProviders, makeProvider, until, whenSynced } from "./support/providers.js";
import { reloadDiffers } from "./support/reload-compare.js";
import { openSession, stopAll } from "./support/sessions.js";

const docs = clientDocs();
afterEach(stopAll);

function newDoc(options?: { gc: boolean }): Y.Doc {
  const doc = new Y.Doc(options);
  docs.push(doc);
  return doc;
}

const sameState = (a: Y.Doc, b: Y.Doc): boolean => Buffer.from(Y.encodeStateVector(a)).equals(Buffer.from(Y.encodeStateVector(b)));

describe("offline changes inside a type deleted meanwhile", () => {
  it("are collected, and the rest of the editor's offline work is taken: every replica and a reload agree", async () => {
    const server = await startServer({ main: DocumentParty });
    const online = newDoc();
    const onlineProvider = makeProvider("y-websocket", server.url, "main", "offline-deleted", online);
    await whenSynced(onlineProvider);
    online.transact(() => {
      online.getText("t").insert(0, "hello");
      online.getMap("m").set("inner", new Y.Map());
    });

    // An editor that keeps deleted content (gc: false, as for version history) keeps its changes inside the map as
    // items, so every reconnect sends them again: a refusal would be for good.
    const editor = newDoc({ gc: false });
    const first = makeProvider("y-websocket", server.url, "main", "offline-deleted", editor);
    await until(editor, (d) => d.getMap("m").get("inner") instanceof Y.Map && d.getText("t").toString() === "hello", "the editor has the map");
    first.destroy(); // offline from here

    // The server has taken the deletion once a third client sees it
    const observer = newDoc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "offline-deleted", observer));
    online.getMap("m").delete("inner");
    await until(observer, (d) => d.getMap("m").get("inner") === undefined, "the deletion reaches the room");

    // Offline: a key set inside the map (gone for everyone else), text typed, the same key set again
    const inner = editor.getMap("m").get("inner") as Y.Map<number>;
    inner.set("n2", 1);
    editor.getText("t").insert(5, " world");
    inner.set("n2", 2);

    const back = makeProvider("y-websocket", server.url, "main", "offline-deleted", editor);
    const closes: number[] = [];
    back.on("connection-close", (event: { code: number } | null) => event && closes.push(event.code));
    await whenSynced(back);
    await until(online, (d) => d.getText("t").toString() === "hello world", "the offline text reaches the online editor", 10_000);
    await until(editor, (d) => d.getMap("m").get("inner") === undefined, "the deletion reaches the editor", 10_000);
    await until(online, (d) => sameState(d, editor), "both replicas hold the same structs", 10_000);
    expect(closes).toEqual([]); // never refused

    const exported = (await (await fetch(`${server.url}/parties/main/offline-deleted`)).json()) as { t: string };
    expect(exported.t).toBe("hello world");
    destroyProviders();
    const reloaded = newDoc();
    const reader = makeProvider("y-websocket", server.url, "main", "offline-deleted", reloaded);
    await whenSynced(reader);
    expect(reloaded.getText("t").toString()).toBe("hello world");
    expect(reloaded.getMap("m").toJSON()).toEqual({});
  });

  it("random runs: a room takes every update of honest editors back from offline, and equals its reload", async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { updates } = offlineNestedUpdates({ editors: 4, edits: 1_500, seed });
      const session = await openSession({ room: `offline-${seed}`, gc: true });
      for (const [index, update] of updates.entries()) {
        await session.applyUpdate(update).catch((error: Error) => {
          throw new Error(`seed ${seed}, update ${index} of ${updates.length} refused: ${error.message}`);
        });
      }
      expect(reloadDiffers(session.doc), `seed ${seed}`).toBeUndefined();
    }
  }, 60_000);
});
