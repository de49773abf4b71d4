/**
 * Yjs stores a bigint inside a map's or array's JSON value (lib0's writeAny encodes it). The known-IDs check
 * (known-structs.ts) compares such values with JSON.stringify, which throws on a bigint: an update that resends a
 * struct the room already holds (a retried HTTP POST, a reconnecting editor's step 2 that repeats structs the room
 * stored but did not acknowledge yet, an update relayed by another client) is refused with ERR_INVALID_UPDATE
 * ("Do not know how to serialize a BigInt", HTTP 400 / close 1007), though it is the very same struct.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { openSession, stopAll } from "./support/sessions.js";

afterEach(stopAll);

describe("a resent struct whose value holds a bigint", () => {
  it("is taken as known (same content), not refused", async () => {
    const session = await openSession({ room: "h67-bigint", gc: true });
    const editor = new Y.Doc();
    editor.getMap("m").set("order", { id: 9007199254740993n, qty: 2 });
    editor.getArray("a").insert(0, [[1n, 2n]]);
    const update = Y.encodeStateAsUpdate(editor);
    await session.applyUpdate(update);
    // The same bytes again: a retried POST whose answer was lost.
    await expect(session.applyUpdate(update)).resolves.toBeUndefined();
    // The editor's whole state, as a reconnecting client resends it.
    editor.getMap("m").set("more", 1);
    await expect(session.applyUpdate(Y.encodeStateAsUpdate(editor))).resolves.toBeUndefined();
    expect(session.doc.getMap("m").get("more")).toBe(1);
  });
});
