/**
 * A document deleted in the same batch as writes to it queued before the delete (appends, a compaction): the delete
 * read the stored keys, which leave out what the batch's earlier jobs put, so those entries outlived the delete, and
 * the next append, numbered from an empty log, left a log whose acked record counted fewer entries than it held
 * (found by helper 161's write-path oracle, seed 5, under load).
 */
import type { Level } from "level";
import { afterEach, beforeEach, expect, it } from "vitest";
import { readDocument } from "../../persistence/ack-check.js";
import { LevelDocStore } from "../../persistence/doc-level.js";
import { closeTempLevel, mapKeysOf, openTempLevel, updateSettingKey } from "./helpers.js";

let dir: string;
let level: Level<Uint8Array, Uint8Array>;
beforeEach(async () => ({ dir, level } = await openTempLevel()));
afterEach(() => closeTempLevel(level, dir));

it("a delete queued after appends in the same batch leaves nothing of them, and the log starts over whole", async () => {
  // A batch waits a moment for more jobs: the appends and the delete below are built into one.
  const docs = new LevelDocStore(level, { location: dir, commitIntervalMs: 20 });
  await docs.append("d", updateSettingKey("before"));
  const appended = [docs.append("d", updateSettingKey("a")), docs.append("d", updateSettingKey("b"))];
  const deleted = docs.delete("d");
  await Promise.all([...appended, deleted]);
  expect(mapKeysOf(await docs.load("d")), "what the delete left").toEqual([]);
  await docs.append("d", updateSettingKey("after"));
  const { entries, meta } = await readDocument(level, "d");
  expect(mapKeysOf(await docs.load("d"))).toEqual(["after"]);
  expect(meta.acked, "the acked record counts the log's entries").toEqual({ clock: entries.at(-1)!.clock, updates: entries.length });
  await docs.close();
});
