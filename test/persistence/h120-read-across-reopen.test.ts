/**
 * A read under way when the write guard reopens LevelDB after a failed write (a room loading a large document while
 * another room's write failed) was cut off by the close: it failed with "Database is not open" (the room's load
 * failed) though nothing was wrong with the data. The reopen now waits for the reads under way.
 */
import type { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WriteGuard } from "../../persistence/write-guard.js";
import { gatedDb, reads, touches } from "./gated-db.js";
import { closeTempLevel, openTempLevel } from "./helpers.js";
import { until } from "./reopen-support.js";

describe("a read under way when LevelDB is reopened after a failed write", () => {
  let dir: string;
  let level: Level<Uint8Array, Uint8Array>;
  beforeEach(async () => {
    ({ dir, level } = await openTempLevel());
  });
  afterEach(() => closeTempLevel(level, dir));

  it("completes", async () => {
    const gate = gatedDb(level);
    const target = new WriteGuard(level, dir, () => {}).guard(gate.db);
    const put = (key: string) => target.batch([{ type: "put", key: Buffer.from(key), value: Buffer.from("v") }], { sync: true });
    await put("stored");
    const held = gate.holdRead(reads("stored"));
    const reading = target.iterator({ gte: Buffer.from("stored"), lte: Buffer.from("stored") }).all();
    await held.entered;

    gate.fail(touches("failing"), new Error("IO error: No space left on device (simulated)"));
    await expect(put("failing")).rejects.toThrow("simulated");
    let closing = false;
    const close = level.close.bind(level);
    level.close = ((...args: Parameters<typeof close>) => ((closing = true), close(...args))) as typeof level.close;
    const writing = put("after"); // reopens first
    // The reopen closes the database unless it waits for the read: either, within a bounded number of turns.
    await until(() => closing, 5_000).catch(() => undefined);
    held.release();
    expect((await reading).map(([key]) => Buffer.from(key).toString())).toEqual(["stored"]);
    await writing;
  });
});
