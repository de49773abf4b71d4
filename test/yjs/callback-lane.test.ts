/**
 * A change callback still running when its room stopped (cut after `closeWithinMs`, e.g. at a `yparty dev` reload) is
 * left behind; the room's next instance then saved the newer document while the old run, reading its older copy after
 * an await, finished later and wrote it over the newer one. Runs of one document now never overlap across instances:
 * the next instance's first run waits for the one left behind, for at most the callback's timeout (a run that never
 * ends must not stop the new code's saves for good).
 *
 * The order of two runs is a matter of time (the debounce), so the clock here is vitest's: nothing else is faked.
 */
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import * as Y from "yjs";
import { silentLogger } from "../../src/runtime/index.js";
import { ChangeCallback, type CallbackLane } from "../../src/yjs/change-callback.js";
import { deferred } from "../helpers/server.js";

beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] }));
afterEach(() => vi.useRealTimers());

const TIMEOUT_MS = 5_000;

function docWith(text: string): Y.Doc {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return doc;
}

/** An instance's callback on `doc`; its handler saves the text it reads once `before` (if any) resolved. */
function instance(lane: CallbackLane, doc: Y.Doc, saves: string[], before?: Promise<void>): ChangeCallback {
  const handler = async (saved: Y.Doc) => {
    await before;
    saves.push(saved.getText("t").toString());
  };
  const callback = { debounceWait: 10, debounceMaxWait: 100, timeout: TIMEOUT_MS, handler };
  return new ChangeCallback({ callback, room: "notes", doc, logger: silentLogger(), closeWithinMs: 50, lane });
}

/** Stops `callback` while its run waits: the run is left behind once `closeWithinMs` passed. */
async function stopWhileRunning(callback: ChangeCallback): Promise<void> {
  callback.notify();
  await vi.advanceTimersByTimeAsync(10); // the debounce: its run starts and waits
  const closed = callback.close();
  await vi.advanceTimersByTimeAsync(50);
  await closed;
}

test("the next instance's save waits for the run its room's stop left behind, so the newer document is saved last", async () => {
  const lane = { scope: {}, name: "main/notes" };
  const saves: string[] = [];
  const slowWebhook = deferred<void>();
  await stopWhileRunning(instance(lane, docWith("hello"), saves, slowWebhook.promise));

  instance(lane, docWith("hello world"), saves).notify();
  await vi.advanceTimersByTimeAsync(1_000);
  expect(saves).toEqual([]);

  slowWebhook.resolve();
  await vi.advanceTimersByTimeAsync(0);
  expect(saves).toEqual(["hello", "hello world"]);
});

test("a run left behind that never ends holds the next instance's saves back for the callback's timeout only", async () => {
  const lane = { scope: {}, name: "main/notes" };
  const saves: string[] = [];
  await stopWhileRunning(instance(lane, docWith("hello"), saves, new Promise(() => {})));

  const next = instance(lane, docWith("hello world"), saves);
  next.notify();
  await vi.advanceTimersByTimeAsync(10 + TIMEOUT_MS);
  expect(saves).toEqual(["hello world"]);
  next.notify();
  await vi.advanceTimersByTimeAsync(10);
  expect(saves).toEqual(["hello world", "hello world"]); // waited once: later runs go at once
});

test("another document's save does not wait", async () => {
  const scope = {};
  const saves: string[] = [];
  await stopWhileRunning(instance({ scope, name: "main/notes" }, docWith("hello"), saves, new Promise(() => {})));

  instance({ scope, name: "main/other" }, docWith("other"), saves).notify();
  await vi.advanceTimersByTimeAsync(10);
  expect(saves).toEqual(["other"]);
});
