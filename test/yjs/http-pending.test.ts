/**
 * A POSTed update that builds on changes the server has not seen is stored but held back by Yjs (pending):
 * the answer says so (202, `pending: true`) instead of a 200 for a document that did not change.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

const post = (url: string, update: Uint8Array) =>
  fetch(url, { method: "POST", body: Buffer.from(update), headers: { "content-type": "application/octet-stream" } });

/** Two changes by one author: `first`, then `second` that builds on it. */
function twoChanges(build: (text: Y.Text) => void, change: (text: Y.Text) => void) {
  const author = new Y.Doc();
  const text = author.getText("t");
  build(text);
  const first = Y.encodeStateAsUpdate(author);
  const afterFirst = Y.encodeStateVector(author);
  change(text);
  const second = Y.encodeStateAsUpdate(author, afterFirst);
  author.destroy();
  return { first, second };
}

describe("POST of an update Yjs cannot apply yet", () => {
  it.each([
    ["an insertion after text the server lacks", (t: Y.Text) => t.insert(0, "first "), (t: Y.Text) => t.insert(6, "second"), "first second"],
    ["a deletion of text the server lacks", (t: Y.Text) => t.insert(0, "first second"), (t: Y.Text) => t.delete(0, 6), "second"],
  ])("answers 202 pending for %s, and 200 once the missing change arrives", async (_name, build, change, whole) => {
    const server = await startServer({ main: DocumentParty });
    const room = `${server.url}/parties/main/held`;
    const { first, second } = twoChanges(build, change);

    const held = await post(room, second);
    expect(held.status).toBe(202);
    expect(await held.json()).toEqual({ ok: true, pending: true, stateVector: expect.any(String) });
    expect(await (await fetch(room)).json()).toEqual({});

    const completing = await post(room, first);
    expect(completing.status).toBe(200);
    expect(await completing.json()).toEqual({ ok: true, stateVector: expect.any(String) });
    expect(await (await fetch(room)).json()).toEqual({ t: whole });
  });

  it("answers 200 for an update that applies while an unrelated one is still pending", async () => {
    const server = await startServer({ main: DocumentParty });
    const room = `${server.url}/parties/main/mixed`;
    const { second } = twoChanges(
      (t) => t.insert(0, "first "),
      (t) => t.insert(6, "second"),
    );
    expect((await post(room, second)).status).toBe(202);

    const other = new Y.Doc();
    other.getMap("m").set("k", "v");
    const applied = await post(room, Y.encodeStateAsUpdate(other));
    other.destroy();
    expect(applied.status).toBe(200);
    expect(await (await fetch(room)).json()).toEqual({ m: { k: "v" } });
  });
});
