/**
 * Attacks on the fenced key-value writes of the PostgreSQL engine (persistence/pg/commit.ts: a batch of puts alone is
 * one fenced statement since h121), with two nodes' storages on one real PostgreSQL:
 *  - a put a node called while it held the room, still waiting its turn when the room moved to another node and came
 *    back: it carried the fence of the moment its batch was built, the node's NEW claim, and overwrote the other
 *    owner's acknowledged value with an older one (failed before: the fence is now the one held when put is called);
 *  - a node that lost its fence (its put in flight, or called after) never overwrites the new owner's value;
 *  - duplicate keys in one batch (the last wins), puts mixed with deletes, a shared store (fence -1), a batch of many
 *    rooms' puts with large values: as the transaction path wrote them, and there after a restart.
 */
import { afterAll, afterEach, expect, test } from "vitest";
import { PostgresStorage, type StorageError } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase, holdRoomRow } from "./postgres-helpers.js";

const opened: PostgresStorage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

async function node(url: string, owner: string, sharedRooms: string[] = []): Promise<PostgresStorage> {
  const storage = await PostgresStorage.open({ url, mode: "cluster", owner, sharedRooms, onWarning: () => undefined });
  opened.push(storage);
  return storage;
}

test("a put called while the node held the room, landing after the room went to another node and came back, does not overwrite that node's value", {
  timeout: 30_000,
}, async () => {
  const { url } = await freshDatabase();
  const a = await node(url, "node-a");
  const b = await node(url, "node-b");
  await a.claim("main/blocker");
  await a.claim("main/r");
  // A's commit of another room is held in flight (its row locked): A's next writes wait their turn behind it.
  const held = await holdRoomRow(url, "main/blocker");
  const inFlight = a.kv("main/blocker").put("k", "x");
  await held.waited();
  const stale = a
    .kv("main/r")
    .put("k", "a's value, from its first ownership")
    .then(
      () => "written",
      (error: StorageError) => error.code,
    );
  // The room moves to B, whose write is acknowledged; then back to A (a new claim: it loads the room again).
  await b.claim("main/r");
  await b.kv("main/r").put("k", "b's value");
  await a.claim("main/r");
  await held.release();
  await inFlight;
  // Before: "written" under A's new fence, and B's acknowledged value replaced by an older one.
  expect(await stale).toBe("ERR_FENCED");
  const restarted = await node(url, "node-c");
  expect(await restarted.kv("main/r").get("k")).toBe("b's value");
});

test("a put in flight when the room is claimed by another node is refused or lands before the claim, never after", { timeout: 30_000 }, async () => {
  const { url } = await freshDatabase();
  const a = await node(url, "node-a");
  const b = await node(url, "node-b");
  for (let round = 0; round < 20; round++) {
    const room = `main/race-${round}`;
    await a.claim(room);
    const put = a
      .kv(room)
      .put("k", `a ${round}`)
      .then(
        () => "written",
        (error: StorageError) => error.code,
      );
    // The takeover races the put: B claims, then reads and writes.
    await b.claim(room);
    const seen = await b.kv(room).get("k");
    await b.kv(room).put("k", `b ${round}`);
    const outcome = await put;
    expect(["written", "ERR_FENCED"]).toContain(outcome);
    // Written means before B's claim: B read it.
    if (outcome === "written") expect(seen).toBe(`a ${round}`);
    else expect(seen).toBeUndefined();
    expect(await b.kv(room).get("k")).toBe(`b ${round}`);
    // A, having lost the room, cannot write it any more.
    await expect(a.kv(room).put("k", "late")).rejects.toMatchObject({ code: "ERR_FENCED" });
    expect(await b.kv(room).get("k")).toBe(`b ${round}`);
  }
});

test("one batch: duplicate keys (the last wins), puts with deletes, a shared store, a refused room beside written ones, many rooms of large values", {
  timeout: 60_000,
}, async () => {
  const { url } = await freshDatabase();
  const a = await node(url, "node-a", ["__shared"]);
  const b = await node(url, "node-b", ["__shared"]);
  const rooms = Array.from({ length: 40 }, (_, i) => `main/many-${i}`);
  for (const room of rooms) await a.claim(room);
  await a.claim("main/lost");
  await b.claim("main/lost"); // A lost it
  const big = "v".repeat(120_000);
  // All called in one turn: one batch, of puts alone except the room with a delete.
  const outcomes = await Promise.allSettled([
    ...rooms.map((room, i) => a.kv(room).put({ [`k${i}`]: `${big}${i}`, same: 1 })),
    ...rooms.map((room) => a.kv(room).put("same", 2)),
    a.kv("__shared").put("s", "a"),
    b.kv("__shared").put("s2", "b"),
    a.kv("main/lost").put("k", "stale"),
  ]);
  expect(outcomes.slice(0, -1).every((outcome) => outcome.status === "fulfilled")).toBe(true);
  expect(outcomes.at(-1)).toMatchObject({ status: "rejected", reason: { code: "ERR_FENCED" } });
  const mixed = await Promise.allSettled([a.kv("main/many-0").put("p", 1), a.kv("main/many-0").delete("same"), a.kv("main/many-1").put("same", 3)]);
  expect(mixed.map((outcome) => outcome.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
  const restarted = await node(url, "node-c", ["__shared"]);
  for (const [i, room] of rooms.entries()) {
    expect(await restarted.kv(room).get(`k${i}`)).toBe(`${big}${i}`);
    expect(await restarted.kv(room).get("same")).toBe(i === 0 ? undefined : i === 1 ? 3 : 2);
  }
  expect(await restarted.kv("main/many-0").get("p")).toBe(1);
  expect([...(await restarted.kv("__shared").list()).entries()]).toEqual([
    ["s", "a"],
    ["s2", "b"],
  ]);
  expect(await restarted.kv("main/lost").get("k")).toBeUndefined();
});
