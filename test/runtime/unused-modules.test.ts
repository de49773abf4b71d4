/**
 * What a server of Yjs rooms in memory must not load, because it never uses it and loading it costs its start:
 * Node's fetch classes (Request, Response, Headers: undici; loaded on first use, tens of milliseconds), since no
 * user hook sees a Request there; and LevelDB (`level` and its native binding, ~100 ms of CPU), since nothing is
 * stored on disk. Checked in a fresh process, after the import, the listen and a first sync.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const FIXTURE = fileURLToPath(new URL("./fixtures/yjs-socket-loads.ts", import.meta.url));

type Loaded = Record<"imported" | "listening" | "synced", { fetchClasses: boolean; leveldb: boolean }>;
let run: Promise<Loaded> | undefined;
/** One child for both checks. */
const loadedInChild = (): Promise<Loaded> =>
  (run ??= promisify(execFile)(process.execPath, ["--import", "tsx", FIXTURE], { timeout: 30_000 }).then(({ stdout }) => JSON.parse(stdout) as Loaded));

const steps = ["imported", "listening", "synced"] as const;

describe("a server of Yjs rooms in memory", () => {
  it("starts, listens and syncs a socket without loading Node's fetch classes", async () => {
    const loaded = await loadedInChild();
    expect(steps.map((step) => [step, loaded[step].fetchClasses])).toEqual(steps.map((step) => [step, false]));
  });

  it("starts, listens and syncs a socket without loading LevelDB", async () => {
    const loaded = await loadedInChild();
    expect(steps.map((step) => [step, loaded[step].leveldb])).toEqual(steps.map((step) => [step, false]));
  });
});
