/**
 * y-partykit/storage under yparty: `new YPartyKitStorage(room.storage).getYDoc(room.id)` reads the document
 * y-partykit's `persist` stored, and `storeUpdate` adds to it, as on PartyKit. The real module read y-partykit's keys
 * in room.storage, which yparty never writes: every read was an empty document.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as Y from "yjs";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, serveFixture, serveIn } from "../cli/helpers.js";
import { destroyProviders, makeProvider, until, whenSynced } from "../yjs/support/providers.js";

const projects = path.join(path.dirname(fileURLToPath(import.meta.url)), "projects");
const defer = deferredCleanups(afterEach);
afterEach(() => destroyProviders());

const messages = async (url: string) => (await fetch(`${url}/parties/main/lobby`)).json();

describe("y-partykit/storage", () => {
  it("getYDoc reads what the editors wrote: while they are connected, after they left, after a restart", async () => {
    const { url, cli, dir } = await serveFixture(defer, "dev", "y-storage", [], projects);
    const doc = new Y.Doc();
    await whenSynced(makeProvider("y-partykit", url, "main", "lobby", doc));
    doc.getArray("messages").push([{ text: "hi" }]);
    await expect.poll(() => messages(url), { timeout: 10_000 }).toEqual([{ text: "hi" }]);
    destroyProviders();
    expect(await messages(url)).toEqual([{ text: "hi" }]);

    await cli.stop("SIGTERM");
    const again = await serveIn(defer, "dev", dir);
    expect(await messages(again.url)).toEqual([{ text: "hi" }]);
  });

  it("storeUpdate seeds the document an editor then opens, and reaches an editor already in it", async () => {
    const { url } = await serveFixture(defer, "dev", "y-storage", [], projects);
    const seed = new Y.Doc();
    seed.getArray("messages").push([{ text: "seeded" }]);
    const post = (update: Uint8Array) => fetch(`${url}/parties/main/lobby`, { method: "POST", body: new Blob([update as Uint8Array<ArrayBuffer>]) });
    expect(await (await post(Y.encodeStateAsUpdate(seed))).json()).toEqual([{ text: "seeded" }]);

    const doc = new Y.Doc();
    await whenSynced(makeProvider("y-partykit", url, "main", "lobby", doc));
    await until(doc, (d) => d.getArray("messages").length === 1, "the seed in the editor");

    const before = Y.encodeStateVector(seed);
    seed.getArray("messages").push([{ text: "more" }]);
    await post(Y.encodeStateAsUpdate(seed, before));
    await until(
      doc,
      (d) => JSON.stringify(d.getArray("messages").toJSON()) === JSON.stringify([{ text: "seeded" }, { text: "more" }]),
      "the second update in the editor",
    );
  });
});
