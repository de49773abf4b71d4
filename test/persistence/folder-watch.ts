import { watch, type FSWatcher } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { withTimeout } from "./helpers.js";

const TIMEOUT_MS = 20_000;

/**
 * Every name created, renamed or removed in `dir` while `act` runs (all of them: a marker's event closes the list).
 * `watchers` gets the watcher, for the test's afterEach to close when `act` throws.
 */
export async function namesTouched(dir: string, act: () => Promise<void>, watchers: FSWatcher[] = []): Promise<string[]> {
  const names: string[] = [];
  const marker = "folder-watch-marker";
  let seen: () => void = () => undefined;
  const markerSeen = new Promise<void>((resolve) => (seen = resolve));
  const watcher = watch(dir, (_event, name) => {
    if (name === marker) seen();
    else if (name) names.push(name);
  });
  watchers.push(watcher);
  await act();
  await fs.writeFile(path.join(dir, marker), "");
  await withTimeout(markerSeen, TIMEOUT_MS, "the marker's event");
  watcher.close();
  await fs.rm(path.join(dir, marker));
  return names;
}
