import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { openStorage, StorageError, type Storage } from "../../persistence/index.js";
import { spawnFixture, spawnReady, type Child } from "./child.js";
import { makeTempDir, removeDir, textOf, textUpdate, withTimeout } from "./helpers.js";

const WRITES_BEFORE_KILL = 300;
const MAX_WRITES = 1_000_000; // far more than can happen before the kill: the child is always mid-stream
const CHILD_TIMEOUT_MS = 20_000;

describe("LevelDB storage across processes", () => {
  const dirs: string[] = [];
  const children: Child[] = [];
  const storages: Storage[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.kill()));
    await Promise.all(storages.splice(0).map((storage) => storage.close()));
    await Promise.all(dirs.splice(0).map(removeDir));
  });

  async function tempDir(): Promise<string> {
    const dir = await makeTempDir();
    dirs.push(dir);
    return dir;
  }

  async function open(dir: string): Promise<Storage> {
    const storage = await openStorage({ dir });
    storages.push(storage);
    return storage;
  }

  /** Runs the append child until it has reported WRITES_BEFORE_KILL writes, SIGKILLs it, returns what it reported. */
  async function reportedBeforeKill(dir: string, mode: "docs" | "kv"): Promise<number[]> {
    const child = spawnFixture("append-child.ts", [dir, mode, String(MAX_WRITES)]);
    children.push(child);
    await withTimeout(
      child.waitForLine((line) => line === `ok ${WRITES_BEFORE_KILL - 1}` || line === "finished"),
      CHILD_TIMEOUT_MS,
      "the child's writes",
    );
    await child.kill();
    expect(child.lines).not.toContain("finished");
    return child.lines.filter((line) => line.startsWith("ok ")).map((line) => Number(line.slice(3)));
  }

  it("keeps every document update that resolved before a SIGKILL", async () => {
    const dir = await tempDir();
    const reported = await reportedBeforeKill(dir, "docs");
    expect(reported.length).toBeGreaterThanOrEqual(WRITES_BEFORE_KILL);
    const storage = await open(dir);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, (await storage.docs.load("main/durable"))!);
    const numbers = doc.getMap<number>("numbers");
    const missing = reported.filter((n) => numbers.get(`k${n}`) !== n);
    expect(missing).toEqual([]);
  });

  it("keeps every key-value write that resolved before a SIGKILL", async () => {
    const dir = await tempDir();
    const reported = await reportedBeforeKill(dir, "kv");
    const storage = await open(dir);
    const stored = await storage.kv("main/durable").list<number>();
    expect(reported.filter((n) => stored.get(`k${n}`) !== n)).toEqual([]);
  });

  it("refuses a folder another process holds, with a clear ERR_STORAGE_LOCKED", async () => {
    const dir = await tempDir();
    const holder = await spawnReady("hold-folder.ts", [dir, "hold"], children, "the holder to open");

    const error = await openStorage({ dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("ERR_STORAGE_LOCKED");
    expect((error as StorageError).message).toMatch(/ is in use by another yparty process \(/);
    expect((error as StorageError).message).toContain(dir);

    await holder.kill(); // a crashed holder leaves no stale lock behind
    const storage = await open(dir);
    expect(await storage.docs.names()).toEqual([]);
  });

  it("refuses a second open in the same process, and keeps the folder locked against other processes", async () => {
    const dir = await tempDir();
    const storage = await open(dir);
    const again = await openStorage({ dir }).catch((e: unknown) => e);
    expect((again as StorageError).code).toBe("ERR_STORAGE_LOCKED");

    const other = spawnFixture("hold-folder.ts", [dir, "try"]);
    children.push(other);
    const answer = JSON.parse(
      await withTimeout(
        other.waitForLine(() => true),
        CHILD_TIMEOUT_MS,
        "the other process",
      ),
    );
    expect(answer.code).toBe("ERR_STORAGE_LOCKED");
    expect(answer.message).toContain("is in use by another yparty process");

    await storage.docs.append("main/still-mine", textUpdate(new Y.Doc(), "yes"));
    expect(textOf(await storage.docs.load("main/still-mine"))).toBe("yes");
  });

  it("keeps documents and rooms across close and reopen", async () => {
    const dir = await tempDir();
    const first = await openStorage({ dir });
    await first.docs.append("main/a", textUpdate(new Y.Doc(), "persisted"));
    await first.kv("main/a").put("when", new Date(0));
    await first.close();
    const second = await open(dir);
    expect(textOf(await second.docs.load("main/a"))).toBe("persisted");
    expect(await second.kv("main/a").get("when")).toEqual(new Date(0));
    expect(await second.docs.stats("main/a")).toMatchObject({ updates: 1 });
  });
});
