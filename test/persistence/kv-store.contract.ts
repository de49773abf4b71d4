import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StorageError, type KvStore, type Storage } from "../../persistence/index.js";
import type { StorageFactory, StorageUnderTest } from "./helpers.js";

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  return (error as StorageError).code;
}

/** Keys in an order that UTF-8 byte order would get wrong: JS order puts U+FFFF after the astral 😀's surrogates. */
const awkwardKeys = ["b", "a", "aa", "", "a\u0000", "\uFFFF", "😀", "é", "A", "a/b", "a0"];

/** The KvStore contract: every engine passes exactly these tests. */
export function runKvStoreContract(engine: string, factory: StorageFactory): void {
  describe(`KvStore contract: ${engine}`, () => {
    let subject: StorageUnderTest;
    let storage: Storage;
    let kv: KvStore;
    beforeEach(async () => {
      subject = await factory();
      storage = subject.storage;
      kv = storage.kv("main/room");
    });
    afterEach(() => subject.dispose());

    it("stores anything structured clone can copy", async () => {
      const value = {
        map: new Map<string, unknown>([["k", { deep: [1, 2, 3] }]]),
        set: new Set(["x", "y"]),
        date: new Date("2024-05-06T07:08:09Z"),
        bytes: Uint8Array.of(1, 2, 255),
        big: 12345678901234567890n,
        nested: { list: [null, true, "s", 1.5] },
      };
      await kv.put("value", value);
      expect(await kv.get("value")).toEqual(value);
      expect(await kv.get("missing")).toBeUndefined();
    });

    it("keeps its own copy of values, both ways", async () => {
      const value = { count: 1, items: ["a"] };
      await kv.put("v", value);
      value.count = 2;
      value.items.push("b");
      const read = await kv.get<typeof value>("v");
      expect(read).toEqual({ count: 1, items: ["a"] });
      read!.count = 3;
      expect(await kv.get("v")).toEqual({ count: 1, items: ["a"] });
    });

    it("gets, puts and deletes many keys at once", async () => {
      await kv.put({ a: 1, b: 2, c: 3 });
      expect(await kv.get(["a", "c", "zz"])).toEqual(
        new Map([
          ["a", 1],
          ["c", 3],
        ]),
      );
      expect(await kv.delete(["a", "zz"])).toBe(1);
      expect(await kv.delete("b")).toBe(true);
      expect(await kv.delete("b")).toBe(false);
      expect(await kv.list()).toEqual(new Map([["c", 3]]));
    });

    it("applies writes in call order", async () => {
      const writes = [kv.put("k", 1), kv.put("k", 2), kv.delete("k"), kv.put("k", 3)];
      await Promise.all(writes);
      expect(await kv.get("k")).toBe(3);
    });

    it("lets a read see every write called before it, awaited or not (Durable Objects' read-your-writes)", async () => {
      for (let i = 0; i < 20; i++) {
        void kv.put("n", i);
        expect(await kv.get("n")).toBe(i);
      }
      void kv.put({ a: 1, b: 2 });
      void kv.delete("a");
      expect(await kv.list()).toEqual(
        new Map<string, unknown>([
          ["b", 2],
          ["n", 19],
        ]),
      );
      void kv.put("t", "before");
      expect(await kv.transaction(async (txn) => txn.get("t"))).toBe("before");
    });

    it("lists keys in Durable Objects' order: their UTF-8 bytes (an emoji after U+FFFF, where JavaScript's < puts it before)", async () => {
      await kv.put(Object.fromEntries(awkwardKeys.map((k, i) => [k, i])));
      const sorted = [...awkwardKeys].sort((a, b) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
      expect(sorted.slice(-2)).toEqual(["\uFFFF", "😀"]);
      expect([...(await kv.list()).keys()]).toEqual(sorted);
      expect([...(await kv.list({ reverse: true })).keys()]).toEqual([...sorted].reverse());
    });

    it("lists with prefix, bounds, limit and reverse", async () => {
      await kv.put(Object.fromEntries(awkwardKeys.map((k) => [k, k])));
      const keysOf = async (options: Parameters<KvStore["list"]>[0]) => [...(await kv.list(options)).keys()];
      expect(await keysOf({ prefix: "a" })).toEqual(["a", "a\u0000", "a/b", "a0", "aa"]);
      expect(await keysOf({ prefix: "a", reverse: true, limit: 2 })).toEqual(["aa", "a0"]);
      expect(await keysOf({ start: "a0", end: "b" })).toEqual(["a0", "aa"]);
      expect(await keysOf({ startAfter: "a0", end: "é" })).toEqual(["aa", "b"]);
      expect(await keysOf({ start: "é" })).toEqual(["é", "\uFFFF", "😀"]);
      expect(await keysOf({ start: "é", end: "😀", reverse: true })).toEqual(["\uFFFF", "é"]);
      expect(await keysOf({ limit: 3 })).toEqual(["", "A", "a"]);
      expect(await keysOf({ prefix: "a", start: "a1" })).toEqual(["aa"]);
      expect(await keysOf({ start: "b", end: "a" })).toEqual([]);
      expect(await keysOf({ limit: 0 })).toEqual([]);
      expect(await keysOf({ prefix: "\uFFFF" })).toEqual(["\uFFFF"]);
    });

    it("refuses contradicting list options and bad keys or values", async () => {
      expect(await codeOf(kv.list({ start: "a", startAfter: "a" }))).toBe("ERR_STORAGE_INVALID_ARGUMENT");
      expect(await codeOf(kv.list({ limit: -1 }))).toBe("ERR_STORAGE_INVALID_ARGUMENT");
      expect(await codeOf(kv.put(42 as unknown as string, 1))).toBe("ERR_STORAGE_INVALID_ARGUMENT");
      expect(await codeOf(kv.put("f", () => 1))).toBe("ERR_STORAGE_INVALID_ARGUMENT");
      expect(await kv.get("f")).toBeUndefined();
    });

    it("keeps rooms apart, whatever their ids and keys", async () => {
      const rooms = ["main/a", "main/ab", "main/a/b", "main/a\u0000", "main/\uD800"];
      for (const room of rooms) await storage.kv(room).put({ "": room, b: room, "b/c": room });
      for (const room of rooms) {
        expect(await storage.kv(room).list()).toEqual(new Map(["", "b", "b/c"].map((k) => [k, room])));
        expect(await storage.kv(room).list({ prefix: "b", reverse: true })).toEqual(new Map(["b/c", "b"].map((k) => [k, room])));
      }
      await storage.kv("main/a").deleteAll();
      expect(await storage.kv("main/a").list()).toEqual(new Map());
      expect((await storage.kv("main/ab").list()).size).toBe(3);
      expect(await storage.kv("main/a\u0000").get("b")).toBe("main/a\u0000");
    });

    it("lists the rooms holding entries, with how many each holds, whatever their ids", async () => {
      expect(await storage.kvRooms()).toEqual(new Map());
      const rooms = ["main/a", "main/ab", "main/a/b", "main/a\u0000", "main/\uD800", "main/😀", "x".repeat(300)];
      for (const [i, room] of rooms.entries()) await storage.kv(room).put(Object.fromEntries(Array.from({ length: i + 1 }, (_, k) => [`k${k}`, k])));
      await storage.kv("main/emptied").put("gone", 1);
      await storage.kv("main/emptied").deleteAll();
      await storage.kv("main/read-only").get("nothing");
      expect(await storage.kvRooms()).toEqual(new Map(rooms.map((room, i) => [room, i + 1])));
    });

    it("applies a transaction's writes together, reading its own writes", async () => {
      await kv.put({ keep: 1, drop: 2 });
      const result = await kv.transaction(async (txn) => {
        await txn.put("new", 3);
        expect(await txn.delete("drop")).toBe(true);
        expect(await txn.get("new")).toBe(3);
        expect(await txn.get("drop")).toBeUndefined();
        expect([...(await txn.list()).keys()]).toEqual(["keep", "new"]);
        expect(await kv.get("new")).toBeUndefined(); // not visible outside before the end
        return "done";
      });
      expect(result).toBe("done");
      expect(await kv.list()).toEqual(
        new Map([
          ["keep", 1],
          ["new", 3],
        ]),
      );
    });

    it("applies nothing of a transaction that throws", async () => {
      await kv.put({ a: 1, b: 2 });
      const failure = kv.transaction(async (txn) => {
        await txn.put("a", 100);
        await txn.delete("b");
        await txn.deleteAll();
        await txn.put("c", 3);
        throw new Error("changed my mind");
      });
      await expect(failure).rejects.toThrow("changed my mind");
      expect(await kv.list()).toEqual(
        new Map([
          ["a", 1],
          ["b", 2],
        ]),
      );
    });

    it("handles deleteAll inside a transaction", async () => {
      await kv.put({ a: 1, b: 2 });
      await kv.transaction(async (txn) => {
        await txn.deleteAll();
        expect(await txn.list()).toEqual(new Map());
        await txn.put("c", 3);
        expect(await txn.list({ limit: 5 })).toEqual(new Map([["c", 3]]));
      });
      expect(await kv.list()).toEqual(new Map([["c", 3]]));
    });

    it("rejects writes after close with ERR_STORAGE_WRITE naming the room and the location", async () => {
      await storage.close();
      const error = await kv.put("late", 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).code).toBe("ERR_STORAGE_WRITE");
      expect((error as StorageError).message).toContain('"main/room"');
      expect((error as StorageError).message).toContain(storage.location);
    });
  });
}
