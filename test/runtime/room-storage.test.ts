import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStorage } from "../../persistence/index.js";
import type { Storage as BackingStorage } from "../../persistence/types.js";
import type * as Party from "../../src/runtime/index.js";
import { createRoomStorage, PendingStorageOps, type RoomAlarm } from "../../src/runtime/room-storage.js";

let backing: BackingStorage;
let storage: Party.Storage;
let alarmTime: number | null;

beforeEach(async () => {
  backing = await openStorage({ memory: true });
  alarmTime = null;
  const alarm: RoomAlarm = {
    get: async () => alarmTime,
    set: async (time) => void (alarmTime = time),
    delete: async () => void (alarmTime = null),
  };
  storage = createRoomStorage(backing.kv("main/room"), alarm, new PendingStorageOps(), () => {}); // the gate: see input-gate.test.ts
});
afterEach(() => backing.close());

describe("room.storage (the Durable Object storage API)", () => {
  it("gets, puts and deletes single keys and batches, with structured-clone values", async () => {
    await storage.put("a", { when: new Date(0), tags: new Set(["x"]) });
    await storage.put({ b: 2, c: new Uint8Array([1, 2]) });
    expect(await storage.get("a")).toEqual({ when: new Date(0), tags: new Set(["x"]) });
    expect(await storage.get(["b", "c", "missing"])).toEqual(
      new Map<string, unknown>([
        ["b", 2],
        ["c", new Uint8Array([1, 2])],
      ]),
    );
    expect(await storage.delete("a")).toBe(true);
    expect(await storage.delete("a")).toBe(false);
    expect(await storage.delete(["b", "c", "missing"])).toBe(2);
  });

  it("lists in key order with prefix, range, limit and reverse", async () => {
    await storage.put({ "u:1": 1, "u:2": 2, "u:3": 3, "v:1": 4 });
    expect([...(await storage.list({ prefix: "u:" })).keys()]).toEqual(["u:1", "u:2", "u:3"]);
    expect([...(await storage.list({ start: "u:2", end: "v:1" })).keys()]).toEqual(["u:2", "u:3"]);
    expect([...(await storage.list({ reverse: true, limit: 2 })).keys()]).toEqual(["v:1", "u:3"]);
    await storage.deleteAll();
    expect((await storage.list()).size).toBe(0);
  });

  it("commits a transaction together, discards it on throw or rollback()", async () => {
    await storage.transaction(async (txn) => {
      await txn.put("x", 1);
      await txn.put("y", 2);
    });
    await expect(
      storage.transaction(async (txn) => {
        await txn.put("x", 100);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    const result = await storage.transaction(async (txn) => {
      await txn.put("y", 200);
      txn.rollback();
      return "rolled back";
    });
    expect(result).toBe("rolled back");
    expect(await storage.get(["x", "y"])).toEqual(
      new Map([
        ["x", 1],
        ["y", 2],
      ]),
    );
  });

  it("delegates alarms and accepts a Date", async () => {
    await storage.setAlarm(new Date(5_000));
    expect(await storage.getAlarm()).toBe(5_000);
    await storage.deleteAlarm();
    expect(await storage.getAlarm()).toBeNull();
    await expect(storage.setAlarm(Number.NaN)).rejects.toThrow(TypeError);
  });
});
