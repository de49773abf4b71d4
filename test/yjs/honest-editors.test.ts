/**
 * The order check never refuses an honest editor: random runs of real Y.Docs editing rich content
 * (test/yjs/support/honest-editors.ts: ProseMirror-like XML with formatted text, a formatted Y.Text with embeds,
 * maps in arrays in maps, undo and redo, editors offline, editors resending their whole state, editors loaded from
 * stale snapshots) through a room's session, by HTTP (each update on its own) and through a connection (what an
 * editor sends together arrives in one socket read: one burst). Every update is taken, the room's document equals a
 * reference that applied every update, and a reload of it orders every list alike. Yjs's UndoManager sometimes names
 * neighbours that were never next to each other (yjs/yjs#794): the room takes such a redo into a nested type when a
 * reload agrees (into a live type, keeping a span that later items of its list are checked against). Known exception,
 * kept out of these seeds: about one run in 150 of the undo-heavy nested-map ones writes a redo whose right origin
 * lies before its origin inside one item of the same update; no reload agrees with any place of it, and it is
 * refused (docs/reliability.md, "Honest redos").
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeSyncStep1, encodeSyncStep2, encodeUpdate } from "../../src/protocol/index.js";
import type { SessionConnection } from "../../src/yjs/peer.js";
import type { DocumentSession } from "../../src/yjs/session.js";
import { endOfRead } from "./support/fake-client.js";
import { contentOf, type Delivery, type HonestOptions, honestEditorRun } from "./support/honest-editors.js";
import { reloadDiffers } from "./support/reload-compare.js";
import { openSession, stopAll } from "./support/sessions.js";

afterEach(stopAll);

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** A connection that only notes how it was closed (no Y.Doc: it sends nothing of its own, as a provider's would). */
function silentConnection(id: string): SessionConnection & { closed?: string } {
  const conn: SessionConnection & { closed?: string } = {
    id,
    send: () => {},
    close: (code, reason) => {
      conn.closed = `${code} ${reason}`;
    },
  };
  return conn;
}

/**
 * Feeds a run to a fresh room (by HTTP or through a connection per editor) and checks it against a reference.
 * `reloadEvery`: by HTTP, the room is reloaded from its encoding every that many deliveries (what a restart does).
 */
async function replay(options: HonestOptions, gc: boolean, path: "http" | "socket", reloadEvery = 0): Promise<Map<Delivery["kind"], number>> {
  const { deliveries } = honestEditorRun(options);
  const where = `seed ${options.seed}, ${gc ? "gc" : "no gc"} room, ${path}`;
  const room = `honest-${options.seed}-${gc}-${path}`;
  let session: DocumentSession = await openSession({ room, gc });
  const reference = new Y.Doc({ gc });
  const connections = new Map<number, ReturnType<typeof silentConnection>>();
  const kinds = new Map<Delivery["kind"], number>();
  try {
    for (const [index, delivery] of deliveries.entries()) {
      const what = `${where}: delivery ${index} of ${deliveries.length} (${delivery.kind}, editor ${delivery.from}, ${delivery.updates.length} updates)`;
      if (reloadEvery > 0 && index > 0 && index % reloadEvery === 0) {
        const state = Y.encodeStateAsUpdate(session.doc);
        session = await openSession({ room: `${room}-${index}`, gc, load: async () => state });
      }
      if (path === "http") {
        for (const update of delivery.updates) {
          await session.applyUpdate(update).catch((error: Error) => {
            throw new Error(`${what} refused: ${error.message}`);
          });
        }
      } else {
        let conn = connections.get(delivery.from);
        if (conn === undefined) {
          conn = silentConnection(`editor-${delivery.from}`);
          connections.set(delivery.from, conn);
          session.attach(conn);
          session.receive(conn, encodeSyncStep1(Y.encodeStateVector(new Y.Doc())));
        }
        for (const update of delivery.updates) session.receive(conn, delivery.kind === "live" ? encodeUpdate(update) : encodeSyncStep2(update));
        await endOfRead();
        expect(conn.closed, `${what} refused`).toBeUndefined();
      }
      for (const update of delivery.updates) Y.applyUpdate(reference, update);
      kinds.set(delivery.kind, (kinds.get(delivery.kind) ?? 0) + delivery.updates.length);
    }
    expect(hex(Y.encodeStateVector(session.doc)), where).toBe(hex(Y.encodeStateVector(reference)));
    expect(contentOf(session.doc), where).toEqual(contentOf(reference));
    expect(reloadDiffers(session.doc), where).toBeUndefined();
    return kinds;
  } finally {
    reference.destroy();
  }
}

/** Updates per kind of delivery over several runs. */
function tally(into: Map<Delivery["kind"], number>, kinds: Map<Delivery["kind"], number>): void {
  for (const [kind, count] of kinds) into.set(kind, (into.get(kind) ?? 0) + count);
}

describe("honest editors of rich content", () => {
  it("prose, formatted text and nested types, with undo, offline editors and stale snapshots: every update is taken, by HTTP", async () => {
    const kinds = new Map<Delivery["kind"], number>();
    for (const seed of [1, 2, 3, 4, 5]) for (const gc of [true, false]) tally(kinds, await replay({ editors: 4, edits: 500, seed }, gc, "http"));
    // Every way an editor sends: live updates, a step 2 after being offline, its whole state, a stale snapshot's edits
    expect([...kinds.keys()].sort()).toEqual(["live", "snapshot", "step2", "whole state"]);
    expect([...kinds.values()].reduce((a, b) => a + b)).toBeGreaterThan(2_000);
  }, 60_000);

  it("the same, each editor's updates arriving together in one socket read (bursts)", async () => {
    for (const seed of [6, 7, 8]) for (const gc of [true, false]) await replay({ editors: 4, edits: 500, seed }, gc, "socket");
  }, 60_000);

  it("editors that undo and redo often (deletions of nested types undone, redone after others' edits)", async () => {
    // Seeds whose editors' undos all write neighbours the room can check (see the note below)
    for (const seed of [9, 10, 13, 14]) {
      await replay({ editors: 3, edits: 400, seed, undo: 0.35 }, seed % 2 === 0, "http");
      await replay({ editors: 3, edits: 400, seed, undo: 0.3, content: ["nested"] }, seed % 2 === 1, "socket");
    }
  }, 60_000);

  it("redos whose items name neighbours Yjs knew were apart, into a type the same update restores or into a deleted one", async () => {
    // Each seed's run once had an honest update refused as naming neighbours its sender knew were apart: seed 11 in
    // every room (a redo restores a list and its items in one update), 16, 25 and 60 in rooms that keep deleted
    // content (a redo into a list deleted in the room).
    for (const seed of [11, 16, 25, 60]) {
      for (const gc of [true, false]) await replay({ editors: 3, edits: 400, seed, undo: 0.3, content: ["nested"] }, gc, seed % 2 === 0 ? "http" : "socket");
    }
  }, 60_000);

  it("redos into a live type that name neighbours Yjs knew were apart: taken when a reload agrees, also across reloads of the room", async () => {
    // Each seed's run had an honest update refused as naming neighbours its sender knew were apart: a formatting mark
    // (seed 79, ProseMirror-like content; seed 87, all three kinds) redone into a paragraph's text, between the copies
    // an earlier redo restored, with its own earlier units between them.
    for (const [seed, content] of [
      [79, ["prose"]],
      [87, undefined],
    ] as const) {
      for (const gc of [true, false]) {
        await replay({ editors: 3, edits: 400, seed, undo: 0.3, content }, gc, "http");
        await replay({ editors: 3, edits: 400, seed, undo: 0.3, content }, gc, gc ? "socket" : "http", gc ? 0 : 9);
      }
    }
  }, 60_000);

  it("an undo that restores a list Yjs names its items' neighbours in oddly (origin and right origin the same) is taken when a reload agrees", async () => {
    // Yjs's redo of items inside a restored type traces each item's neighbours through earlier restores; here both
    // trace to one copy, so the restored item names it as origin and right origin (yjs/yjs#794). In one update with
    // that copy the walk cannot follow it, and the copy check takes it: the room equals its reload.
    const editor = new Y.Doc({ gc: false });
    const other = new Y.Doc({ gc: false });
    editor.clientID = 1;
    other.clientID = 2;
    const updates: Uint8Array[] = [];
    for (const doc of [editor, other]) doc.on("update", (update: Uint8Array, origin: unknown) => origin !== "sync" && updates.push(update));
    const sync = (from: Y.Doc, to: Y.Doc): void => Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)), "sync");
    const root = editor.getArray<Y.Array<string>>("root");
    const undo = new Y.UndoManager(root, { captureTimeout: 0 });
    root.insert(0, [new Y.Array<string>()]);
    root.get(0).insert(0, ["x"]);
    undo.stopCapturing();
    undo.clear();
    root.get(0).delete(0, 1);
    undo.undo(); // a copy of x, left of the deleted x
    sync(editor, other);
    other.getArray<Y.Array<string>>("root").get(0).insert(1, ["p"]); // between the copy and the deleted x
    sync(other, editor);
    root.delete(0, 1);
    undo.undo(); // the list restored: p's copy names x's new copy as origin and right origin
    const restored = Y.decodeUpdate(updates.at(-1)!).structs.find((struct) => struct instanceof Y.Item && struct.origin !== null) as Y.Item;
    expect(restored.origin).toEqual(restored.rightOrigin);

    for (const gc of [true, false]) {
      const session = await openSession({ room: `undo-same-origins-${gc}`, gc });
      for (const update of updates) await session.applyUpdate(update);
      expect(session.doc.getArray("root").toJSON()).toEqual([["x", "p"]]);
      expect(reloadDiffers(session.doc)).toBeUndefined();
    }
    editor.destroy();
    other.destroy();
  });
});
