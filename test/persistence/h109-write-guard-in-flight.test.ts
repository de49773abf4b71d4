/**
 * After a failed write LevelDB may leave a torn record in its log, and its replay (the write guard's reopen, or the
 * next start) drops what follows it in the same block. A batch that was in flight when another one failed (a
 * room.storage write beside a document's batch: they go to LevelDB independently) may have landed after the torn
 * record: the write guard must not report it written, or an acknowledged write could be gone after the reopen. With
 * several in flight when the first fails (h117), none of the later ones counts as written, and those after the reopen
 * do.
 */
import type { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WriteGuard } from "../../persistence/write-guard.js";
import { gatedDb, touches } from "./gated-db.js";
import { closeTempLevel, openTempLevel } from "./helpers.js";

describe("the write guard", () => {
  let dir: string;
  let level: Level<Uint8Array, Uint8Array>;
  beforeEach(async () => {
    ({ dir, level } = await openTempLevel());
  });
  afterEach(() => closeTempLevel(level, dir));

  /** Puts through the guard on a database whose batches the test can hold (`gate.hold`). */
  function guardedPuts(onReopened: () => void = () => {}) {
    const gate = gatedDb(level);
    const guarded = new WriteGuard(level, dir, onReopened).guard(gate.db);
    const put = (key: string) => guarded.batch([{ type: "put", key: Buffer.from(key), value: Buffer.from("v") }], { sync: true });
    return { gate, put };
  }

  it("does not count a batch in flight while an earlier one failed as written; later writes land after the reopen", async () => {
    let reopened = 0;
    const { gate, put } = guardedPuts(() => reopened++);
    const held = gate.hold(touches("first"));
    const first = put("first");
    await held.entered;
    const second = put("second"); // reaches LevelDB while the first is still under way
    held.release(new Error("IO error: No space left on device (simulated)"));
    await expect(first).rejects.toThrow("simulated");
    const refused = await second.then(
      () => undefined,
      (error: Error) => error,
    );
    expect(refused?.message).toMatch(/a write in flight beside it failed \(IO error: No space left on device \(simulated\)\).*write it again/);
    expect(refused?.cause).toBeInstanceOf(Error); // the failed write's error: a full disk is still told as one
    await put("third");
    expect(reopened).toBe(1);
    expect(Buffer.from(await level.get(Buffer.from("third"))).toString()).toBe("v");
  });

  it("lets batches that overlap without a failure land as before", async () => {
    const { gate, put } = guardedPuts();
    const held = gate.hold(touches("first"));
    const first = put("first");
    await held.entered;
    const second = put("second");
    held.release();
    await Promise.all([first, second]);
  });

  it("refuses every batch issued after the failed one while it was under way, and trusts those after the reopen", async () => {
    let reopened = 0;
    const { gate, put } = guardedPuts(() => reopened++);
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
