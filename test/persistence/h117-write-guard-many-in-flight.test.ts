/**
 * Several batches in flight when the first of them fails (rooms' writes beside a document's batch): none of the later
 * ones is counted as written (each may follow the torn record in LevelDB's log), and the first batch after the
 * reopen is.
 */
import type { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WriteGuard } from "../../persistence/write-guard.js";
import { gatedDb, touches } from "./gated-db.js";
import { closeTempLevel, openTempLevel } from "./helpers.js";

describe("the write guard, several batches in flight", () => {
  let dir: string;
  let level: Level<Uint8Array, Uint8Array>;
  beforeEach(async () => {
    ({ dir, level } = await openTempLevel());
  });
  afterEach(() => closeTempLevel(level, dir));

  it("refuses every batch issued after the failed one while it was under way, and trusts those after the reopen", async () => {
    const gate = gatedDb(level);
    let reopened = 0;
    const guarded = new WriteGuard(level, dir, () => reopened++).guard(gate.db);
    const put = (key: string) => guarded.batch([{ type: "put", key: Buffer.from(key), value: Buffer.from("v") }], { sync: true });
    const held = gate.hold(touches("first"));
    const first = put("first");
    await held.entered;
    const later = ["b", "c", "d", "e"].map(put);
    held.release(new Error("IO error: No space left on device (simulated)"));
    const outcomes = await Promise.allSettled([first, ...later]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected", "rejected", "rejected", "rejected"]);
    for (const outcome of outcomes.slice(1)) expect((outcome as PromiseRejectedResult).reason.message).toMatch(/a write in flight beside it failed/);
    await Promise.all(["f", "g", "h"].map(put));
    expect(reopened).toBe(1);
  });
});
