/**
 * A compaction that read the log before a reopen is left out (h120: its read may hold a batch the replay dropped). Does
 * the document get compacted later, or does its log grow on? The room's next compaction lands, and so does a load's.
 */
import type { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readDocument } from "../../persistence/ack-check.js";
import { LevelDocStore } from "../../persistence/doc-level.js";
import { closeTempLevel, openTempLevel } from "./helpers.js";
import { refusedBeside, storedContent } from "./reopen-support.js";

describe("a document whose compaction was left out after a reopen", () => {
  let dir: string;
  let level: Level<Uint8Array, Uint8Array>;
  beforeEach(async () => {
    ({ dir, level } = await openTempLevel());
  });
  afterEach(() => closeTempLevel(level, dir));

  it("is compacted by the room's next compaction, and by the next load past the limit", async () => {
    const { docs, updates } = await refusedBeside(level, dir, 3, 2, (docs) => docs.load("d"));
    await docs.append("d", updates[3]!); // the room writes the refused update again: the reopen comes first
    expect((await readDocument(level, "d")).entries.length).toBe(4); // the load's compaction was left out
    await docs.compact("d");
    expect((await readDocument(level, "d")).entries.length).toBe(1);

    await docs.append("d", updates[4]!);
    for (let i = 0; i < 3; i++) await docs.append("d", updates[4]!);
    await docs.close();
    const again = new LevelDocStore(level, { location: dir, compactOnLoadAbove: 2 });
    await again.load("d");
    await again.close(); // lets the load's compaction finish
    const { entries, meta } = await readDocument(level, "d");
    expect(entries.length).toBe(1);
    expect(meta.acked).toEqual({ clock: entries[0]!.clock, updates: 1 });
    expect(await storedContent(level, dir)).toEqual({ a: "a", b: "b", c: "c", d: "d", e: "e" });
  });
});
