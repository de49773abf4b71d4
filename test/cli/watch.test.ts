/**
 * The dev watcher reacts to the build's inputs (and, after a failed build, new source files), never to other
 * files in the same folders: a log or data file written there must not reload the server (it used to, in a loop
 * when the server's own output went to a file in the project), nor a new module nothing imports.
 */
import { rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { watchFiles } from "../../src/cli/serve/watch.js";
import { deferredCleanups, tempDir } from "./helpers.js";
import { within } from "./ws-client.js";

const defer = deferredCleanups(afterEach);

/** As many editors save: one rename, so one event (a plain write can be seen as a truncate and, later, a write). */
async function saveAtomically(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`); // dot-files are not watched
  await writeFile(temp, text);
  await rename(temp, file);
}

describe("watchFiles", () => {
  it("ignores files that are not inputs, rebuilds for an input, and for a new source file only after a failed build", async () => {
    const { dir, remove } = await tempDir("yparty-watch-");
    defer(remove);
    const entry = path.join(dir, "server.ts");
    await writeFile(entry, "export {};\n");
    const bursts: string[][] = [];
    let nextBurst: (files: string[]) => void = () => {};
    const ignored: string[] = [];
    let nextIgnored: (file: string) => void = () => {};
    const watcher = watchFiles(
      (files) => {
        bursts.push(files);
        nextBurst(files);
      },
      (file) => {
        ignored.push(file);
        nextIgnored(file);
      },
    );
    defer(() => watcher.close());
    watcher.update([entry]);
    const burst = () => within(new Promise<string[]>((resolve) => (nextBurst = resolve)), 10_000, "a rebuild");

    // Files that are not inputs, then the input, all within one debounce window: the burst that follows
    // must name only the input (a non-input that triggered would be in it, or in an earlier burst).
    const first = burst();
    for (const name of ["out.log", "notes.txt", "data.bin"]) await writeFile(path.join(dir, name), "x");
    await saveAtomically(entry, "export const v = 2;\n");
    expect(await first).toEqual([entry]);
    expect(bursts).toEqual([[entry]]);

    // A new module while the build is good: nothing imports it yet, so nothing to rebuild.
    const helper = path.join(dir, "helper.ts");
    const seen = within(new Promise<string>((resolve) => (nextIgnored = (file) => file === helper && resolve(file))), 10_000, "the new file");
    await saveAtomically(helper, "export const h = 1;\n");
    await seen;
    expect(bursts).toEqual([[entry]]);

    // After a failed build, the same kind of file may be the missing import: it rebuilds.
    watcher.update([entry], { newSources: true });
    const second = burst();
    const missing = path.join(dir, "missing.ts");
    await saveAtomically(missing, "export const m = 1;\n");
    expect(await second).toEqual([missing]);
  });
});
