/**
 * A long stored log is merged on load one entry per piece of the heavy-work queue (persistence/merge.ts,
 * `mergeLogInTurns`; persistence/heavy-work.ts), so that lease renewals, timers and sockets get a turn between entries.
 * Before, the whole merge was one piece: a node taking over 30 rooms of 300 KB (70 stored edits each) held its event
 * loop 80–200 ms per room's merge, 0.7–1.3 s beside CPU hogs, and lost its own leases (a takeover run beside 4 CPU hogs:
 * 126 leases lost before, none after). What a turn may hold is counted here, not timed: every reading of the clock
 * steps it by a whole turn's budget, so the queue runs one piece a turn, and a turn holds at most one entry's apply.
 */
import { afterEach, expect, test, vi } from "vitest";
import * as Y from "yjs";
import { HEAVY_TURN_BUDGET_MS, inHeavyTurn } from "../../persistence/heavy-work.js";
import { openStorage, type Storage } from "../../persistence/index.js";

/** Past `mergeInDocAbove` (64): merged through a Y.Doc. */
const ENTRIES = 70;
const opened: Storage[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const storage of opened.splice(0)) await storage.close();
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test(`a log of ${ENTRIES} entries is merged on load over at least ${ENTRIES} turns when each piece takes a whole turn's budget, and loads whole`, async () => {
  const storage = await openStorage({ memory: true });
  opened.push(storage);
  const doc = new Y.Doc();
  const text = doc.getText("t");
  for (let i = 0; i < ENTRIES; i++) {
    const before = Y.encodeStateVector(doc);
    text.insert(0, `edit ${i} `);
    await storage.docs.append("main/long", Y.encodeStateAsUpdate(doc, before));
    await nextTurn(); // one entry each: the memory engine joins a turn's appends
  }
  expect((await storage.docs.stats("main/long")).updates).toBe(ENTRIES);

  // Nothing of the queue's runs before the count does: its turns are the load's pieces, each counted.
  await inHeavyTurn(() => undefined);
  // A whole number of milliseconds: every step is then exactly the budget. From a fraction, the step that crosses a
  // power of two reads a hair less than the budget (floating point), and two pieces share a turn.
  let clock = Math.ceil(performance.now());
  vi.spyOn(performance, "now").mockImplementation(() => (clock += HEAVY_TURN_BUDGET_MS));
  let turns = 0;
  let loading = true;
  const count = () => {
    if (!loading) return;
    turns++;
    setImmediate(count);
  };
  setImmediate(count);
  const loaded = await storage.docs.load("main/long");
  loading = false;
  vi.restoreAllMocks();

  // Before: the merge was one piece, and the load ended in the turn it began.
  expect(turns).toBeGreaterThanOrEqual(ENTRIES);
  const copy = new Y.Doc();
  Y.applyUpdate(copy, loaded!);
  expect(copy.getText("t").toString()).toBe(text.toString());
});
