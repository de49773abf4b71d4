/**
 * The room forgets a released id's clock and raises every later claim past the highest clock it forgot
 * (awareness-owners.ts #claimClock, #forgottenClock): one value for the whole room, whoever held it. A connection
 * that announced an entry at the highest clock the room takes (MAX_AWARENESS_CLOCK, 2^52) and left sets it for good:
 * every visitor after it is given a clock of 2^52 + 1 on its first entry, and each change it makes after that carries
 * a clock over 2^52 and is dropped as `clock-too-high`. Nobody's cursor moves for anyone any more, in a room that
 * stays loaded (before the forgetting, such a clock stayed with the one id that used it).
 */
import * as encoding from "lib0/encoding";
import { afterEach, describe, expect, it } from "vitest";
import { encodeAwareness } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";
import { awarenessChanges, destroyProviders, makeProvider, synced, waitUntil } from "../provider/support.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const watch = awarenessChanges;

function entry(clientId: number, clock: number, state: unknown): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint(encoder, clientId);
  encoding.writeVarUint(encoder, clock);
  encoding.writeVarString(encoder, JSON.stringify(state));
  return encoding.toUint8Array(encoder);
}

describe("a visitor that left at the highest awareness clock", () => {
  it("does not freeze the presence of everyone who comes after it", async () => {
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const watcher = makeProvider(server.url, "lobby");
    await synced(watcher);

    const visitor = connect(server.wsUrl("/parties/main/lobby"));
    await visitor.opened;
    visitor.send(encodeAwareness(entry(424242, 2 ** 52, { user: "visitor" })));
    await waitUntil("the watcher to see the visitor", () => watcher.awareness.getStates().has(424242), watch(watcher.awareness));
    visitor.close();
    await waitUntil("the visitor's presence to go", () => !watcher.awareness.getStates().has(424242), watch(watcher.awareness));

    // An editor arrives and moves its cursor.
    const editor = makeProvider(server.url, "lobby");
    editor.awareness.setLocalStateField("cursor", 1);
    await synced(editor);
    const cursor = () => (watcher.awareness.getStates().get(editor.doc.clientID) as { cursor?: number } | undefined)?.cursor;
    await waitUntil("the watcher to see the editor's cursor 1", () => cursor() === 1, watch(watcher.awareness));
    for (const next of [2, 3, 4]) {
      editor.awareness.setLocalStateField("cursor", next);
      await waitUntil(`the watcher to see the editor's cursor ${next}`, () => cursor() === next, watch(watcher.awareness), 3_000).catch(() => {});
      expect(cursor(), `clocks: editor ${editor.awareness.meta.get(editor.doc.clientID)?.clock}`).toBe(next);
    }
  });
});
