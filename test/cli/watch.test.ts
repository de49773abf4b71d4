/**
 * The dev watcher reacts to the build's inputs (and new source files), never to other files in the same
 * folders: a log or data file written there must not reload the server (it used to, in a loop when the
 * server's own output went to a file in the project).
 */
import { watch } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { watchFiles } from "../../src/cli/serve/watch.js";
import { deferredCleanups, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);
const nextTimerTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Writes `file` and resolves once an independent watcher of its folder has seen it. */
async function writeSeen(file: string, content: string): Promise<void> {
  const seen = new Promise<void>((resolve) => {
    const watcher = watch(path.dirname(file), (_event, name) => {
      if (name !== path.basename(file)) return;
      watcher.close();
      resolve();
    });
  });
  await writeFile(file, content);
  await seen;
}

describe("watchFiles", () => {
  it("ignores files that are not inputs, and rebuilds for an input or a new source file", async () => {
    const { dir, remove } = await tempDir("yparty-watch-");
    defer(remove);
    const entry = path.join(dir, "server.ts");
    await writeFile(entry, "export {};\n");
    let changes = 0;
    let changed: () => void = () => {};
    const watcher = watchFiles(() => {
      changes++;
      changed();
    }, 0);
    defer(() => watcher.close());
    watcher.update([entry]);

    for (const name of ["out.log", "notes.txt", "data.bin"]) await writeSeen(path.join(dir, name), "x");
    // libuv hands one inotify event to every watcher of the folder in the same pass, and a 0 ms debounce
    // timer set then fires before timers set after it: two timer turns later, any reload would have run.
    await nextTimerTurn();
    await nextTimerTurn();
    expect(changes).toBe(0);

    const inputChanged = new Promise<void>((resolve) => (changed = resolve));
    await writeFile(entry, "export const v = 2;\n");
    await inputChanged;
    expect(changes).toBeGreaterThanOrEqual(1);

    const before = changes;
    const sourceAdded = new Promise<void>((resolve) => (changed = resolve));
    await writeFile(path.join(dir, "helper.ts"), "export const h = 1;\n");
    await sourceAdded;
    expect(changes).toBeGreaterThan(before);
  });
});
