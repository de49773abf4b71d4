/**
 * After a failed write LevelDB may leave a torn record in its log, and its replay (the write guard's reopen, or the
 * next start) drops what follows it in the same block. A batch that was in flight when another one failed (a
 * room.storage write beside a document's batch: they go to LevelDB independently) may have landed after the torn
 * record: the write guard must not report it written, or an acknowledged write could be gone after the reopen.
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

  it("does not count a batch in flight while an earlier one failed as written; later writes land after the reopen", async () => {
    const gate = gatedDb(level);
    let reopened = 0;
    const guarded = new WriteGuard(level, dir, () => reopened++).guard(gate.db);
    const put = (key: string) => guarded.batch([{ type: "put", key: Buffer.from(key), value: Buffer.from("v") }], { sync: true });
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
    const gate = gatedDb(level);
    const guarded = new WriteGuard(level, dir, () => {}).guard(gate.db);
    const put = (key: string) => guarded.batch([{ type: "put", key: Buffer.from(key), value: Buffer.from("v") }], { sync: true });
    const held = gate.hold(touches("first"));
    const first = put("first");
    await held.entered;
    const second = put("second");
    held.release();
    await Promise.all([first, second]);
  });
});
