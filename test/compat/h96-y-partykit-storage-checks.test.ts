/**
 * y-partykit/storage's `storeUpdate` takes an update from server code (a seed, an import): it is checked as a
 * client's update is, before anything is applied, whether the room has its document loaded or not. A refused one
 * changes neither the live document, nor what the editors see, nor the store.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as Y from "yjs";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_TYPE_DEPTH } from "../../src/yjs/defaults.js";
import { deferredCleanups, serveFixture, serveIn } from "../cli/helpers.js";
import { nestedMaps } from "../yjs/support/nested-maps.js";
import { destroyProviders, makeProvider, until, whenSynced } from "../yjs/support/providers.js";

const projects = path.join(path.dirname(fileURLToPath(import.meta.url)), "projects");
const defer = deferredCleanups(afterEach);
afterEach(() => destroyProviders());

/** A document whose map "root" holds a chain of `depth` nested maps: one past MAX_TYPE_DEPTH is refused from a client. */
const nested = (depth: number): Uint8Array => Y.encodeStateAsUpdate(nestedMaps(depth).doc);

/** A fresh client's update pushing `text` to "messages". */
function message(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getArray("messages").push([{ text }]);
  return Y.encodeStateAsUpdate(doc);
}

const post = (url: string, update: Uint8Array) => fetch(`${url}/parties/main/lobby`, { method: "POST", body: new Blob([update as Uint8Array<ArrayBuffer>]) });

/** Bytes Yjs cannot read as an update. */
const GARBAGE = new Uint8Array([1, 1, 200, 1, 0, 4, 9, 9, 9]);

describe("y-partykit/storage's storeUpdate checks the update as a client's", () => {
  it("in a room an editor has open: a refused update reaches neither the document nor the editor", async () => {
    const { url } = await serveFixture(defer, "dev", "y-storage", [], projects);
    const doc = new Y.Doc();
    await whenSynced(makeProvider("y-partykit", url, "main", "lobby", doc));

    expect((await post(url, nested(MAX_TYPE_DEPTH + 1))).ok).toBe(false);
    expect((await post(url, GARBAGE)).ok).toBe(false);
    expect(await (await post(url, message("after"))).json()).toEqual([{ text: "after" }]);
    await until(doc, (d) => d.getArray("messages").length === 1, "the accepted update in the editor");
    expect(doc.getMap("root").size).toBe(0);
  });

  it("in a room nobody has open: a refused update is not stored, and what is stored loads whole", async () => {
    const { url, cli, dir } = await serveFixture(defer, "dev", "y-storage", [], projects);
    expect((await post(url, nested(MAX_TYPE_DEPTH + 1))).ok).toBe(false);
    expect((await post(url, GARBAGE)).ok).toBe(false);
    expect(await (await post(url, message("kept"))).json()).toEqual([{ text: "kept" }]);

    await cli.stop("SIGTERM");
    const again = await serveIn(defer, "dev", dir);
    const doc = new Y.Doc();
    await whenSynced(makeProvider("y-partykit", again.url, "main", "lobby", doc));
    await until(doc, (d) => d.getArray("messages").length === 1, "the stored update in the editor");
    expect(doc.getMap("root").size).toBe(0);
    expect(again.cli.output).not.toMatch(/ERR_STORAGE_CORRUPT|cannot be decoded/);
  });
});

describe("y-partykit/storage's storeUpdate while the room's document unloads", () => {
  it("an update stored as the last editor leaves is kept: in the document then, and after a restart", async () => {
    const { url, cli, dir } = await serveFixture(defer, "dev", "y-storage", [], projects);
    const expected: string[] = [];
    for (let round = 0; round < 8; round++) {
      const doc = new Y.Doc();
      const provider = makeProvider("y-partykit", url, "main", "lobby", doc);
      await whenSynced(provider);
      for (let i = 0; i < 30; i++) doc.getArray("edits").push([`${round}-${i}`]);
      provider.destroy();
      // The server unloads the document as the socket's close reaches it: updates are stored meanwhile.
      const texts = Array.from({ length: 6 }, (_, i) => `stored ${round}-${i}`);
      const answers = await Promise.all(texts.map((text) => post(url, message(text))));
      expect(answers.map((answer) => answer.status)).toEqual(texts.map(() => 200));
      expected.push(...texts);
    }
    await cli.stop("SIGTERM");
    const again = await serveIn(defer, "dev", dir);
    const texts = ((await (await fetch(`${again.url}/parties/main/lobby`)).json()) as Array<{ text: string }>).map((m) => m.text);
    expect(texts.sort()).toEqual(expected.sort());
  });
});
