/**
 * The memory engine's `appendNow` (an append done when it returns) and the room's UpdateLog over it: an update is
 * stored as the log takes it, with no promise or turn of the event loop in between, and appends of one turn still
 * share log entries as `append`'s do.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { MemoryDocStore, storageDefaults } from "../../persistence/index.js";
import { UpdateLog } from "../../src/yjs/update-log.js";
import { textOf, textUpdate, withTimeout } from "./helpers.js";

function recordingLogger() {
  const events: string[] = [];
  const record = (event: string) => void events.push(event);
  return { logger: { info: record, warn: record, error: record }, events };
}

describe("MemoryDocStore.appendNow", () => {
  it("stores the update before it returns, in order with append's, and tells when the log gained an entry", async () => {
    const docs = new MemoryDocStore();
    const writer = new Y.Doc();
    const first = textUpdate(writer, "a");
    expect(docs.appendNow("main/doc", first)).toBe(true);
    first.fill(0); // its own copy
    void docs.append("main/doc", textUpdate(writer, "b"));
    const merged = Array.from({ length: storageDefaults.maxUpdatesPerEntry - 2 }, () => docs.appendNow("main/doc", textUpdate(writer, "c")));
    expect(merged.every((grew) => !grew)).toBe(true); // one turn's appends: one entry so far
    expect(docs.appendNow("main/doc", textUpdate(writer, "d"))).toBe(true); // past maxUpdatesPerEntry: a second
    expect(textOf(await docs.load("main/doc"))).toBe(writer.getText("t").toString());
    expect((await docs.stats("main/doc")).updates).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(docs.appendNow("main/doc", textUpdate(writer, "e"))).toBe(true); // a later turn: an entry of its own
    expect((await docs.stats("main/doc")).updates).toBe(3);
  });

  it("throws the error append rejects with once the store is closed", async () => {
    const docs = new MemoryDocStore();
    await docs.close();
    const update = textUpdate(new Y.Doc(), "late");
    const rejected = await docs.append("main/doc", update).catch((error: { code?: string }) => error.code);
    expect(rejected).toBe("ERR_STORAGE_WRITE");
    expect(() => docs.appendNow("main/doc", update)).toThrow(expect.objectContaining({ code: rejected }));
  });
});

describe("UpdateLog over the memory engine", () => {
  it("has each update stored as it takes it, and reports it to the compaction policy at once", async () => {
    const docs = new MemoryDocStore();
    const reported: Array<[number, number]> = [];
    const log = new UpdateLog({
      store: docs,
      name: "main/doc",
      logger: recordingLogger().logger,
      onAppended: (bytes, entries) => void reported.push([bytes, entries]),
    });
    const writer = new Y.Doc();
    const one = textUpdate(writer, "one ");
    const two = textUpdate(writer, "two");
    log.append(one);
    log.append(two);
    expect(log.busy).toBe(false);
    expect(reported).toEqual([
      [one.byteLength, 1],
      [two.byteLength, 0], // merged into the same entry
    ]);
    expect(textOf(await docs.load("main/doc"))).toBe("one two");
  });

  it("an update the store refuses is logged, and closing rejects its waiters instead of acknowledging it", async () => {
    const docs = new MemoryDocStore();
    const { logger, events } = recordingLogger();
    const log = new UpdateLog({ store: docs, name: "main/doc", logger });
    await docs.close();
    log.append(textUpdate(new Y.Doc(), "lost"));
    expect(log.busy).toBe(true);
    expect(events).toEqual(["yjs.append_failed"]);
    const closed = log.close().then(
      () => "acknowledged",
      (error: { code?: string }) => error.code,
    );
    expect(await withTimeout(closed, 5_000, "the log's close")).toBe("ERR_APPEND_FAILED");
  });
});
