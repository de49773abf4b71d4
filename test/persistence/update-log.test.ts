/**
 * A room's UpdateLog over the real LevelDB engine: updates go to the store as they are applied, the store's batches
 * fail and recover, and `whenDurable()` tells the truth throughout.
 */
import type { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { LevelDocStore, StorageError } from "../../persistence/index.js";
import type { DocStore } from "../../persistence/types.js";
import { UpdateLog } from "../../src/yjs/update-log.js";
import { gatedDb, touches } from "./gated-db.js";
import { closeTempLevel, openTempLevel, textOf, textUpdate, withTimeout } from "./helpers.js";

/** A logger that keeps what it was told. */
function recordingLogger() {
  const events: Array<{ event: string; fields: Record<string, unknown> }> = [];
  const record = (event: string, fields: Record<string, unknown> = {}) => void events.push({ event, fields });
  return { logger: { info: record, warn: record, error: record }, events };
}

describe("UpdateLog over the LevelDB engine", () => {
  let dir: string;
  let level: Level<Uint8Array, Uint8Array>;
  beforeEach(async () => {
    ({ dir, level } = await openTempLevel());
  });
  afterEach(() => closeTempLevel(level, dir));

  it("retries a failed batch; updates made meanwhile wait, go with the retry, and everything is acknowledged once stored", async () => {
    const gate = gatedDb(level);
    const docs = new LevelDocStore(gate.db, { location: dir });
    const { logger, events } = recordingLogger();
    const log = new UpdateLog({ store: docs, name: "main/doc", logger });
    const writer = new Y.Doc();
    gate.fail(touches("main/doc"), new Error("No space left on device (simulated)"));
    log.append(textUpdate(writer, "one "));
    const failFast = log.whenDurable({ failFast: true }).catch((error: { code?: string }) => error.code);
    expect(await withTimeout(failFast, 5_000, "the fail-fast waiter")).toBe("ERR_STORAGE_FULL");
    expect(events.map((e) => e.event)).toEqual(["yjs.append_failed"]);
    // While the retry waits, a fail-fast caller hears it at once and later updates are held back with the failed one.
    log.append(textUpdate(writer, "two "));
    await expect(log.whenDurable({ failFast: true })).rejects.toMatchObject({ code: "ERR_STORAGE_FULL" });
    log.append(textUpdate(writer, "three"));
    await withTimeout(log.whenDurable(), 5_000, "the retry");
    expect(events.map((e) => e.event)).toEqual(["yjs.append_failed", "yjs.append_recovered"]);
    expect(textOf(await docs.load("main/doc"))).toBe("one two three");
    expect(log.busy).toBe(false);
  });

  it("acknowledges nothing past an update whose batch failed, even when a later batch lands first", async () => {
    const gate = gatedDb(level);
    const docs = new LevelDocStore(gate.db, { location: dir });
    const { logger } = recordingLogger();
    const log = new UpdateLog({ store: docs, name: "main/doc", logger });
    const writer = new Y.Doc();
    const held = gate.hold(touches("main/doc"));
    log.append(textUpdate(writer, "a"));
    await held.entered; // "a" is being written
    log.append(textUpdate(writer, "b")); // handed over at once: it waits for the next batch
    const stored = gate.batches.length;
    let acknowledged = false;
    const durable = log.whenDurable().then(() => (acknowledged = true));
    held.release(new Error("I/O error (simulated)")); // "a" fails; "b" lands in the next batch
    await withTimeout(
      waitFor(() => gate.batches.length > stored),
      5_000,
      "the batch with b",
    );
    expect(acknowledged).toBe(false); // "a" is not stored yet: nothing after it may be acknowledged
    await withTimeout(durable, 5_000, "the retry of a");
    expect(textOf(await docs.load("main/doc"))).toBe("ab");
  });

  it("tracks the appends of one run as one: the store hands them the same promise, and a failed run is retried whole", async () => {
    const gate = gatedDb(level);
    const docs = new LevelDocStore(gate.db, { location: dir });
    const { logger, events } = recordingLogger();
    const log = new UpdateLog({ store: docs, name: "main/doc", logger });
    const writer = new Y.Doc();
    const held = gate.hold(touches("main/doc"));
    log.append(textUpdate(writer, "a"));
    await held.entered; // "a" is being written: what follows joins one run, for the next batch
    gate.fail(touches("main/doc"), new Error("I/O error (simulated)"));
    for (const text of ["b", "c", "d"]) log.append(textUpdate(writer, text));
    const failFast = log.whenDurable({ failFast: true }).catch((error: { code?: string }) => error.code);
    held.release();
    expect(await withTimeout(failFast, 5_000, "the run's failure")).toBe("ERR_APPEND_FAILED");
    await withTimeout(log.whenDurable(), 5_000, "the retry of b, c and d");
    expect(events.map((e) => e.event)).toEqual(["yjs.append_failed", "yjs.append_recovered"]);
    expect(textOf(await docs.load("main/doc"))).toBe("abcd");
    // The store's side: appends of one turn join one run, and get its promise.
    const other = new Y.Doc();
    const first = docs.append("main/other", textUpdate(other, "x"));
    expect(docs.append("main/other", textUpdate(other, "y"))).toBe(first);
    await first;
  });
});

describe("UpdateLog when another node owns the room", () => {
  it("a fenced append is final: its waiters hear it at once, nothing is retried or acknowledged", async () => {
    let appends = 0;
    const fenced: Pick<DocStore, "append"> = {
      append: async () => {
        appends++;
        throw new StorageError("ERR_FENCED", "main/doc is owned by another node now (fence 2 > 1)");
      },
    };
    const { logger, events } = recordingLogger();
    const log = new UpdateLog({ store: fenced as DocStore, name: "main/doc", logger });
    log.append(textUpdate(new Y.Doc(), "stale"));
    const outcome = log.whenDurable().then(
      () => "acknowledged",
      (error: { code?: string; cause?: { code?: string } }) => error.cause?.code,
    );
    expect(await withTimeout(outcome, 5_000, "the fenced append's waiter")).toBe("ERR_FENCED");
    expect(events).toEqual([{ event: "yjs.append_failed", fields: expect.objectContaining({ code: "ERR_FENCED", final: true }) }]);
    expect(appends).toBe(1);
    expect(log.busy).toBe(false);
  });

  it("after a fenced append nothing more counts as durable: a later wait (an ack for a message that changed nothing) is refused too", async () => {
    const fenced: Pick<DocStore, "append"> = {
      append: async () => {
        throw new StorageError("ERR_FENCED", "main/doc is owned by another node now (fence 2 > 1)");
      },
    };
    const lost: string[] = [];
    const log = new UpdateLog({ store: fenced as DocStore, name: "main/doc", logger: recordingLogger().logger, onLost: (error) => lost.push(error.code) });
    log.append(textUpdate(new Y.Doc(), "never stored"));
    await log.whenDurable().catch(() => {});
    expect(lost).toEqual(["ERR_APPEND_FAILED"]);
    // Nothing is waiting to be written now; before the fix this resolved at once, and the session acked with it.
    await expect(log.whenDurable()).rejects.toMatchObject({ code: "ERR_APPEND_FAILED" });
    log.append(textUpdate(new Y.Doc(), "after"));
    await expect(log.whenDurable()).rejects.toMatchObject({ code: "ERR_APPEND_FAILED" });
  });
});

/** Resolves once `check` holds (polled each turn of the event loop). */
async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}
