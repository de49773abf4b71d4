import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { StorageError, storageDefaults, type DocStore } from "../../persistence/index.js";
import { textOf, textUpdate, type StorageFactory, type StorageUnderTest } from "./helpers.js";

/** The DocStore contract: every engine passes exactly these tests. */
export function runDocStoreContract(engine: string, factory: StorageFactory): void {
  describe(`DocStore contract: ${engine}`, () => {
    let subject: StorageUnderTest;
    let docs: DocStore;
    beforeEach(async () => {
      subject = await factory();
      docs = subject.storage.docs;
    });
    afterEach(() => subject.dispose());

    it("knows nothing of a document never written", async () => {
      expect(await docs.load("main/none")).toBeNull();
      expect(await docs.stats("main/none")).toEqual({ updates: 0, bytes: 0 });
      expect(await docs.names()).toEqual([]);
    });

    it("loads the merge of every appended update, counting updates and bytes", async () => {
      const writer = new Y.Doc();
      const updates = ["hello", " ", "world"].map((text) => textUpdate(writer, text));
      for (const update of updates) await docs.append("main/a", update);
      expect(textOf(await docs.load("main/a"))).toBe("hello world");
      const bytes = updates.reduce((sum, u) => sum + u.byteLength, 0);
      expect(await docs.stats("main/a")).toEqual({ updates: 3, bytes });
    });

    it("keeps its own copy of an appended update", async () => {
      const update = textUpdate(new Y.Doc(), "kept");
      await docs.append("main/a", update);
      update.fill(0);
      expect(textOf(await docs.load("main/a"))).toBe("kept");
    });

    it("loads a log too long for the lazy merge without dropping deleted content (a history room's old versions)", async () => {
      const writer = new Y.Doc({ gc: false });
      const text = writer.getText("t");
      let version: Y.Snapshot | undefined;
      for (let i = 0; i <= storageDefaults.mergeInDocAbove; i++) {
        if (i === 10) version = Y.snapshot(writer);
        const before = Y.encodeStateVector(writer);
        if (i % 2 === 1) text.delete(0, 1);
        else text.insert(0, `${i},`);
        await docs.append("main/history", Y.encodeStateAsUpdate(writer, before));
      }
      expect((await docs.stats("main/history")).updates).toBeGreaterThan(storageDefaults.mergeInDocAbove);
      const loaded = new Y.Doc({ gc: false });
      Y.applyUpdate(loaded, (await docs.load("main/history"))!);
      const versionText = (doc: Y.Doc) => Y.createDocFromSnapshot(doc, version!).getText("t").toString();
      expect(versionText(loaded)).toBe(versionText(writer));
      expect(loaded.getText("t").toString()).toBe(text.toString());
    });

    it("keeps documents apart and lists their names sorted", async () => {
      const names = ["main/b", "main/a", "main/ab", "main/a/b", "chat/é😀"];
      for (const name of names) await docs.append(name, textUpdate(new Y.Doc(), `text of ${name}`));
      expect(await docs.names()).toEqual([...names].sort());
      for (const name of names) expect(textOf(await docs.load(name))).toBe(`text of ${name}`);
    });

    it("keeps every one of many appends made without waiting, merged into entries of at most maxUpdatesPerEntry", async () => {
      const writer = new Y.Doc();
      const updates = Array.from({ length: 200 }, (_, i) => textUpdate(writer, `${i},`));
      await Promise.all(updates.map((u) => docs.append("main/burst", u)));
      expect(textOf(await docs.load("main/burst"))).toBe(writer.getText("t").toString());
      expect((await docs.stats("main/burst")).updates).toBe(Math.ceil(200 / storageDefaults.maxUpdatesPerEntry));
    });

    it("stores lazy appends like any other, in the order of the calls, among appends that are not lazy", async () => {
      const writers = [new Y.Doc(), new Y.Doc()];
      const pending: Promise<void>[] = [];
      for (let i = 0; i < 20; i++) {
        for (const [w, writer] of writers.entries())
          pending.push(docs.append(`main/lazy-${w}`, textUpdate(writer, `${i},`), i % 3 === 0 ? undefined : { lazy: true }));
      }
      await Promise.all(pending);
      for (const [w, writer] of writers.entries()) expect(textOf(await docs.load(`main/lazy-${w}`))).toBe(writer.getText("t").toString());
    });

    it("keeps every document's appends when many documents append at once, with compactions and deletions among them", async () => {
      const names = Array.from({ length: 8 }, (_, i) => `main/doc-${i}`);
      const writers = names.map(() => new Y.Doc());
      const pending: Promise<void>[] = [];
      for (let round = 0; round < 20; round++) {
        for (const [i, name] of names.entries()) {
          pending.push(docs.append(name, textUpdate(writers[i]!, `${round},`)));
          if (round === 10 && i % 2 === 0) pending.push(docs.compact(name));
        }
        if (round === 5) {
          pending.push(docs.delete("main/doc-7"));
          writers[7] = new Y.Doc(); // starts afresh: later updates must not depend on the deleted ones
        }
        if (round % 4 === 0) await pending.at(-1);
      }
      await Promise.all(pending);
      for (const [i, name] of names.entries()) expect(textOf(await docs.load(name))).toBe(writers[i]!.getText("t").toString());
      // deleted after round 5's append: rounds 6..19 are what is left
      expect(writers[7]!.getText("t").toString()).toBe(Array.from({ length: 14 }, (_, i) => `${i + 6},`).join(""));
    });

    it("compacts the log into one snapshot of the same content", async () => {
      const writer = new Y.Doc();
      for (let i = 0; i < 20; i++) await docs.append("main/c", textUpdate(writer, `${i} `));
      await docs.compact("main/c");
      const state = await docs.load("main/c");
      expect(textOf(state)).toBe(writer.getText("t").toString());
      expect(await docs.stats("main/c")).toEqual({ updates: 1, bytes: state!.byteLength });
    });

    it("compacts the log keeping deleted content when asked to (a history room's old versions), and collects it otherwise", async () => {
      const writer = new Y.Doc({ gc: false });
      const text = writer.getText("t");
      const append = async (change: () => void) => {
        const before = Y.encodeStateVector(writer);
        change();
        await docs.append("main/kept", Y.encodeStateAsUpdate(writer, before));
      };
      await append(() => text.insert(0, "old words"));
      const version = Y.snapshot(writer);
      await append(() => text.delete(0, 4));
      await append(() => text.insert(0, "new "));
      const versionIn = async () => {
        const loaded = new Y.Doc({ gc: false });
        Y.applyUpdate(loaded, (await docs.load("main/kept"))!);
        expect(loaded.getText("t").toString()).toBe("new words");
        return Y.createDocFromSnapshot(loaded, version).getText("t").toString();
      };
      await docs.compact("main/kept", { keepDeleted: true });
      expect((await docs.stats("main/kept")).updates).toBe(1);
      expect(await versionIn()).toBe("old words");
      await docs.compact("main/kept");
      expect(await versionIn()).not.toBe("old words"); // collected: the deleted word is gone
    });

    it("compacts to the state it is given", async () => {
      const writer = new Y.Doc();
      for (let i = 0; i < 5; i++) await docs.append("main/c", textUpdate(writer, `${i}`));
      const state = Y.encodeStateAsUpdate(writer);
      await docs.compact("main/c", state);
      expect(await docs.load("main/c")).toEqual(state);
      expect(await docs.stats("main/c")).toEqual({ updates: 1, bytes: state.byteLength });
    });

    it("never loses appends that race compactions", async () => {
      const writer = new Y.Doc();
      const pending: Promise<void>[] = [];
      for (let i = 0; i < 300; i++) {
        pending.push(docs.append("main/race", textUpdate(writer, `${i},`)));
        if (i % 25 === 0) pending.push(docs.compact("main/race"));
      }
      await Promise.all(pending);
      expect(textOf(await docs.load("main/race"))).toBe(writer.getText("t").toString());
      await docs.compact("main/race");
      expect(textOf(await docs.load("main/race"))).toBe(writer.getText("t").toString());
      expect((await docs.stats("main/race")).updates).toBe(1);
    });

    it("keeps appends made after a compaction with a given state was asked for", async () => {
      const writer = new Y.Doc();
      await docs.append("main/given", textUpdate(writer, "before "));
      const compaction = docs.compact("main/given", Y.encodeStateAsUpdate(writer));
      const later = docs.append("main/given", textUpdate(writer, "after"));
      await Promise.all([compaction, later]);
      expect(textOf(await docs.load("main/given"))).toBe("before after");
    });

    it("does nothing when compacting a document that is not stored", async () => {
      await docs.compact("main/none");
      expect(await docs.load("main/none")).toBeNull();
      expect(await docs.names()).toEqual([]);
    });

    it("deletes a document, which can then start afresh", async () => {
      await docs.append("main/d", textUpdate(new Y.Doc(), "old"));
      await docs.append("main/keep", textUpdate(new Y.Doc(), "kept"));
      await docs.delete("main/d");
      expect(await docs.load("main/d")).toBeNull();
      expect(await docs.stats("main/d")).toEqual({ updates: 0, bytes: 0 });
      expect(await docs.names()).toEqual(["main/keep"]);
      await docs.append("main/d", textUpdate(new Y.Doc(), "new"));
      expect(textOf(await docs.load("main/d"))).toBe("new");
      expect(await docs.names()).toEqual(["main/d", "main/keep"]);
    });

    it("does not bring back a document deleted while it was being compacted", async () => {
      const writer = new Y.Doc();
      for (let i = 0; i < 10; i++) await docs.append("main/gone", textUpdate(writer, `${i}`));
      await Promise.all([docs.compact("main/gone"), docs.delete("main/gone")]);
      expect(await docs.load("main/gone")).toBeNull();
      expect(await docs.names()).toEqual([]);
    });

    it("rejects writes after close with ERR_STORAGE_WRITE naming the document and the location", async () => {
      await subject.storage.close();
      const error = await docs.append("main/late", textUpdate(new Y.Doc(), "x")).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).code).toBe("ERR_STORAGE_WRITE");
      expect((error as StorageError).message).toContain('"main/late"');
      expect((error as StorageError).message).toContain(subject.storage.location);
    });
  });
}
