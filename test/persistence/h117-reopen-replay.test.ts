/**
 * A document batch in flight beside a write that failed is refused (write-guard.ts) though LevelDB took it into
 * memory; the reopen's replay may then drop it (it followed the torn record in the log). What was read of the document
 * before the reopen (its log's end, a load's entries) must not outlive it: a next batch built on the dropped entry's
 * count made its acked record claim an entry that is gone (the document refused as damaged, ERR_DOCUMENT_DAMAGED until
 * `yparty repair`), and a compaction begun by a load before the reopen deleted an acknowledged entry written after it
 * under the dropped entry's clock. Likewise a room's deleteAll listed its keys before the reopen brought one back.
 */
import type { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LevelKvBackend } from "../../persistence/kv-level.js";
import { WriteGuard } from "../../persistence/write-guard.js";
import { gatedDb } from "./gated-db.js";
import { closeTempLevel, openTempLevel } from "./helpers.js";
import { refuseBeside, refusedBeside, storedContent } from "./reopen-support.js";

describe("a document batch refused beside a failed write, then dropped by the reopen's replay", () => {
  let dir: string;
  let level: Level<Uint8Array, Uint8Array>;
  beforeEach(async () => {
    ({ dir, level } = await openTempLevel());
  });
  afterEach(() => closeTempLevel(level, dir));

  it("leaves the document whole and not damaged once its updates are written again", async () => {
    const { docs, updates } = await refusedBeside(level, dir, 1);
    // The room writes the refused update again, with the next one.
    await Promise.all([docs.append("d", updates[1]!), docs.append("d", updates[2]!)]);
    await docs.close();
    expect(await storedContent(level, dir)).toEqual({ a: "a", b: "b", c: "c" });
  });

  it("is not taken for damaged when a load before the reopen read the dropped entry", async () => {
    // A room loading the document meanwhile, before the failure is known (reads after it wait for the reopen, h120).
    const { docs, updates } = await refusedBeside(level, dir, 1, undefined, (docs) => docs.load("d"));
    await Promise.all([docs.append("d", updates[1]!), docs.append("d", updates[2]!)]);
    await docs.close();
    expect(await storedContent(level, dir)).toEqual({ a: "a", b: "b", c: "c" });
  });

  it("keeps what is written after the reopen when a load before it began a compaction", async () => {
    // A room loading the document before the failure is known: a long log, compacted in the background.
    const { docs, updates } = await refusedBeside(level, dir, 3, 2, (docs) => docs.load("d"));
    await Promise.all([docs.append("d", updates[3]!), docs.append("d", updates[4]!)]);
    await docs.close(); // waits for the compaction
    expect(await storedContent(level, dir)).toEqual({ a: "a", b: "b", c: "c", d: "d", e: "e" });
  });

  it("a room's deleteAll removes a key whose delete the reopen's replay dropped", async () => {
    const gate = gatedDb(level);
    const guard = new WriteGuard(level, dir, () => {});
    const target = guard.guard(gate.db);
    const kv = new LevelKvBackend("r", target, { location: dir, sync: true, isClosed: () => false, whenWritable: () => guard.ready() });
    await kv.write([{ type: "put", key: "k", value: Uint8Array.of(1) }]);
    await refuseBeside(level, gate, target, () => kv.write([{ type: "del", key: "k" }]));
    await kv.write([{ type: "clear" }]); // lists the room's keys: "k" looks deleted until the reopen brings it back
    await kv.write([{ type: "put", key: "after", value: Uint8Array.of(2) }]); // writes after the reopen, if not done yet
    expect(await kv.read("k")).toBeUndefined();
  });
});
