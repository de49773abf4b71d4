/**
 * A compaction reads the document's log outside the group commit. A load that read it while a batch refused beside a
 * failed write was still in LevelDB's memory began a compaction that counted that entry among those it replaces; the
 * reopen's replay dropped it, so the document's acked record (ack-record.ts) counted one entry fewer than its log held
 * from then on, and a later lost entry went unnoticed. A compaction now lands only if no reopen came between its read
 * and its batch.
 */
import type { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readDocument } from "../../persistence/ack-check.js";
import { LevelDocStore } from "../../persistence/doc-level.js";
import * as keys from "../../persistence/doc-keys.js";
import { closeTempLevel, openTempLevel } from "./helpers.js";
import { refusedBeside, storedContent } from "./reopen-support.js";

describe("a compaction that read a batch the next reopen drops", () => {
  let dir: string;
  let level: Level<Uint8Array, Uint8Array>;
  beforeEach(async () => {
    ({ dir, level } = await openTempLevel());
  });
  afterEach(() => closeTempLevel(level, dir));

  it("leaves the acked record counting the entries the log holds, and a lost entry is found later", async () => {
    // A room loads the document while the refused entry is in LevelDB, before the failure beside it is known: a long
    // log, compacted in the background from that read.
    const { docs, updates } = await refusedBeside(level, dir, 3, 2, (docs) => docs.load("d"));
    await docs.compact("d"); // after the background one
    await docs.append("d", updates[3]!); // the room writes the refused update again
    await docs.append("d", updates[4]!);
    await docs.close();

    const { entries, meta } = await readDocument(level, "d");
    expect(meta.acked).toEqual({ clock: entries.at(-1)!.clock, updates: entries.length });
    expect(await storedContent(level, dir)).toEqual({ a: "a", b: "b", c: "c", d: "d", e: "e" });

    // A disk loses an entry from the middle of the log: the next load must tell.
    await level.del(keys.updateKey("d", entries.at(-2)!.clock));
    const reopened = new LevelDocStore(level, { location: dir });
    await expect(reopened.load("d")).rejects.toMatchObject({ code: "ERR_DOCUMENT_DAMAGED" });
    await reopened.close();
  });
});
