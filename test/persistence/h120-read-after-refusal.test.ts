/**
 * A room.storage write refused beside a failed LevelDB write (write-guard.ts) stays in LevelDB's memory until the
 * reopen, whose replay may drop it. Reads until then showed it: a room that retried a refused read-modify-write (a
 * counter's get and put) read its own refused value and stored one increment too many once the reopen dropped the
 * first. A read after a failed write now waits for the reopen when there is room for it (on a full disk reads go on
 * from the open database: there is nothing else to read).
 */
import type { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LevelKvBackend } from "../../persistence/kv-level.js";
import { WriteGuard } from "../../persistence/write-guard.js";
import { gatedDb } from "./gated-db.js";
import { closeTempLevel, openTempLevel } from "./helpers.js";
import { refuseBeside } from "./reopen-support.js";

describe("a room.storage read after a write refused beside a failed one", () => {
  let dir: string;
  let level: Level<Uint8Array, Uint8Array>;
  beforeEach(async () => {
    ({ dir, level } = await openTempLevel());
  });
  afterEach(() => closeTempLevel(level, dir));

  it("does not see the refused write: a retried increment counts once", async () => {
    const gate = gatedDb(level);
    const guard = new WriteGuard(level, dir, () => {});
    const target = guard.guard(gate.db);
    const kv = new LevelKvBackend("r", target, { location: dir, sync: true, isClosed: () => false, whenWritable: () => guard.ready() });
    const increment = async () => {
      const stored = await kv.read("counter");
      await kv.write([{ type: "put", key: "counter", value: Uint8Array.of((stored?.[0] ?? 0) + 1) }]);
    };
    await increment(); // 1
    await refuseBeside(level, gate, target, increment); // the second is refused: its caller retries it
    await increment();
    expect(Array.from((await kv.read("counter"))!)).toEqual([2]);
  });
});
