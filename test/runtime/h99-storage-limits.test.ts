/**
 * `room.storage` refuses what a Durable Object's storage refuses, with workerd's error types and messages: a key over
 * 2,048 UTF-8 bytes, a value over 128 KiB serialized (workerd lets 34 bytes of serialization overhead through), more
 * than 128 keys in one get/put/delete, a write past 128 keys in one transaction. yparty stored all of them, so code
 * that worked on yparty failed on PartyKit. A party with `options.storageLimits: false` (yparty's rooms and game
 * parties) is not held to them. A PartyKit-shaped party on a real server.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

const LONG_KEY = "k".repeat(2049);
/** 683 characters, 2,049 UTF-8 bytes: over the limit, though 683 UTF-16 units. */
const LONG_UTF8_KEY = "€".repeat(683);
const KEY_OF_2048 = "k".repeat(2048);
const keys = (n: number) => Array.from({ length: n }, (_, i) => `key${i}`);
const entries = (n: number) => Object.fromEntries(keys(n).map((key) => [key, 1]));

/** Each operation a party may try, by name. */
const OPERATIONS: Record<string, (storage: Party.Storage) => Promise<unknown>> = {
  putLongKey: (s) => s.put(LONG_KEY, 1),
  putLongUtf8Key: (s) => s.put(LONG_UTF8_KEY, 1),
  putKeyOf2048: (s) => s.put(KEY_OF_2048, 1),
  getLongKey: (s) => s.get(LONG_KEY),
  deleteLongKey: (s) => s.delete(LONG_KEY),
  putEntriesLongKey: (s) => s.put({ a: 1, [LONG_KEY]: 2 }),
  deleteKeysLongKey: (s) => s.delete(["a", LONG_KEY]),
  putValueOf128KiB: (s) => s.put("string", "x".repeat(128 * 1024)).then(() => s.put("bytes", new Uint8Array(128 * 1024))),
  putBigValue: (s) => s.put("big", "x".repeat(128 * 1024 + 100)),
  putEntriesBigValue: (s) => s.put({ small: 1, big: "x".repeat(128 * 1024 + 100) }),
  get128: (s) => s.get(keys(128)),
  get129: (s) => s.get(keys(129)),
  put128: (s) => s.put(entries(128)),
  put129: (s) => s.put(entries(129)),
  delete128: (s) => s.delete(keys(128)),
  delete129: (s) => s.delete(keys(129)),
  transaction129: (s) =>
    s.transaction(async (txn) => {
      await txn.put(entries(128));
      await txn.get("key0"); // reads are not counted
      await txn.put("one-more", 1);
    }),
  transaction128: (s) =>
    s.transaction(async (txn) => {
      await txn.put(entries(100));
      await txn.put(Object.fromEntries(keys(28).map((key) => [`other${key}`, 1])));
    }),
};

type Outcome = { ok: true } | { ok: false; type: string; message: string };

function storageParty(options?: Party.ServerOptions) {
  return class Limits implements Party.Server {
    readonly options = options;
    constructor(readonly room: Party.Room) {}
    async onRequest(req: Party.Request) {
      const name = new URL(req.url).searchParams.get("op")!;
      if (name === "count") return Response.json((await this.room.storage.list()).size);
      try {
        await OPERATIONS[name]!(this.room.storage);
        return Response.json({ ok: true } satisfies Outcome);
      } catch (error) {
        const type = error instanceof RangeError ? "RangeError" : error instanceof Error ? error.constructor.name : typeof error;
        return Response.json({ ok: false, type, message: (error as Error).message } satisfies Outcome);
      }
    }
  };
}

async function run(url: string, room: string, op: string): Promise<Outcome> {
  const res = await fetch(`${url}/parties/main/${room}?op=${op}`);
  expect(res.status, op).toBe(200);
  return (await res.json()) as Outcome;
}

const refused = (type: string, message: string): Outcome => ({ ok: false, type, message });

describe("room.storage holds to Durable Objects' limits, with workerd's errors", () => {
  it("refuses a key over 2,048 UTF-8 bytes, a value over 128 KiB, more than 128 keys in a call or a transaction", async () => {
    const { url } = await startServer({ main: storageParty() }, { storage: "memory" });
    const keyTooLong = refused("RangeError", "Keys cannot be larger than 2048 bytes.");
    expect(await run(url, "r", "putLongKey")).toEqual(keyTooLong);
    expect(await run(url, "r", "putLongUtf8Key")).toEqual(keyTooLong);
    expect(await run(url, "r", "getLongKey")).toEqual(keyTooLong);
    expect(await run(url, "r", "deleteLongKey")).toEqual(keyTooLong);
    const named = refused("RangeError", `Key "${LONG_KEY}" is larger than the limit of 2048 bytes.`);
    expect(await run(url, "r", "putEntriesLongKey")).toEqual(named);
    expect(await run(url, "r", "deleteKeysLongKey")).toEqual(named);
    expect(await run(url, "r", "putBigValue")).toEqual(refused("RangeError", "Values cannot be larger than 131072 bytes."));
    expect(await run(url, "r", "putEntriesBigValue")).toEqual(refused("RangeError", 'Value for key "big" is above the limit of 131072 bytes.'));
    expect(await run(url, "r", "get129")).toEqual(refused("RangeError", "Maximum number of keys is 128."));
    expect(await run(url, "r", "put129")).toEqual(refused("RangeError", "Maximum number of pairs is 128."));
    expect(await run(url, "r", "delete129")).toEqual(refused("RangeError", "Maximum number of keys is 128."));
    expect(await run(url, "r", "transaction129")).toEqual(refused("Error", "Maximum number of keys modified in a transaction is 128."));
    // Nothing a refused call carried was stored (the entries' small value, the transaction's 128 keys).
    expect(await run(url, "r", "count")).toBe(0);

    // Right at the limits, everything goes through.
    for (const op of ["putKeyOf2048", "putValueOf128KiB", "put128", "get128", "delete128", "transaction128"]) {
      expect(await run(url, "r", op), op).toEqual({ ok: true });
    }
    expect(await run(url, "r", "count")).toBe(3 + 128);
  });

  it("a party with options.storageLimits: false stores past them", async () => {
    const { url } = await startServer({ main: storageParty({ storageLimits: false }) }, { storage: "memory" });
    for (const op of ["putLongKey", "putBigValue", "putEntriesBigValue", "put129", "get129", "transaction129", "delete129"]) {
      expect(await run(url, "r", op), op).toEqual({ ok: true });
    }
    // The long key, "big", "small" and the transaction's "one-more": delete129 took the 129 others.
    expect(await run(url, "r", "count")).toBe(4);
  });
});
