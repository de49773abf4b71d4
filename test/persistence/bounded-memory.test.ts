/**
 * A long-running server touches many documents and rooms: what the LevelDB storage keeps in memory for them must
 * not grow with every one it ever saw, and nothing on disk may change because of it.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LevelStorage } from "../../persistence/index.js";
import { makeTempDir, removeDir } from "./helpers.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/** Collects garbage until `done` holds (FinalizationRegistry callbacks run in tasks after a collection), or throws. */
async function collectUntil(done: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("LevelDB storage memory", () => {
  let dir: string;
  let storage: LevelStorage;
  beforeEach(async () => {
    dir = await makeTempDir();
    storage = await LevelStorage.open({ dir, sync: false });
  });
  afterEach(async () => {
    await storage.close();
    await removeDir(dir);
  });

  it("keeps a room's key-value store only while something holds it; the data of the others stays readable", async () => {
    const held = storage.kv("main/held");
    await held.put("k", "kept");
    for (let i = 0; i < 200; i++) await storage.kv(`main/room-${i}`).put("k", i);
    await collectUntil(() => storage.roomsKept === 1, "the unheld stores to be collected");
    expect(storage.kv("main/held")).toBe(held); // one instance per room while held: its writes stay in order
    expect(await storage.kv("main/room-7").get("k")).toBe(7);
    expect(await held.get("k")).toBe("kept");
  });
});
