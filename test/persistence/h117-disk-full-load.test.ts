/**
 * A real full disk (an 8 MiB tmpfs) under writers of both kinds at once: rooms' key-value puts and documents' appends
 * reach LevelDB independently, so batches fail while others are in flight (write-guard.ts). Once space returns and
 * the storage is opened again, every put and append that resolved is there, no document is taken for damaged, and
 * every refused write was told as a full disk (ERR_STORAGE_FULL), saying that writes resume once space returns.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { openStorage, type Storage, type StorageWarning } from "../../persistence/index.js";
import { fillDisk, mountTmpfs, unmount } from "./disk-support.js";
import { makeTempDir, removeDir } from "./helpers.js";

const ROOMS = 6;
const DOCS = 6;
/** Refusals each writer must have met while the disk is full, and writes landed after, before the writers stop. */
const REFUSED_EACH = 3;
const LANDED_AFTER = 5;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("a full disk under rooms' and documents' writes at once", () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("keeps every write that resolved and tells every refused one as a full disk", { timeout: 90_000 }, async () => {
    const mountPoint = await makeTempDir();
    cleanups.push(() => removeDir(mountPoint));
    mountTmpfs(mountPoint);
    cleanups.push(async () => unmount(mountPoint));
    const dir = path.join(mountPoint, "data");
    const warnings: StorageWarning[] = [];
    let storage: Storage = await openStorage({ dir, onWarning: (w) => warnings.push(w) });
    cleanups.push(() => storage.close());

    let phase: "filling" | "full" | "freed" | "stop" = "filling";
    const refusals: Array<{ code: unknown; message: string }> = [];
    /** Per writer: landed writes since space returned, refusals while full. */
    const writers: Array<{ refused: number; landedAfter: number }> = [];
    const stored = new Map<string, string>(); // room/key → value, every put that resolved
    const appended = new Map<string, Set<string>>(); // doc → keys of every append that resolved

    const run = async (write: (i: number) => Promise<unknown>, landed: (i: number) => void) => {
      const me = { refused: 0, landedAfter: 0 };
      writers.push(me);
      for (let i = 0; phase !== "stop"; i++) {
        const during = phase;
        try {
          await write(i);
          landed(i);
          if (during === "freed") me.landedAfter++;
        } catch (error) {
          refusals.push({ code: (error as { code?: unknown }).code, message: (error as Error).message });
          if (phase === "full") me.refused++;
          await nextTurn();
        }
      }
    };
    const value = (i: number) => `${i}`.padEnd(3000, "v");
    const rooms = Array.from({ length: ROOMS }, (_, r) => {
      const kv = () => storage.kv(`room-${r}`);
      return run(
        (i) => kv().put(`k${i}`, value(i)),
        (i) => stored.set(`room-${r}/k${i}`, value(i)),
      );
    });
    const docs = Array.from({ length: DOCS }, (_, d) => {
      const doc = new Y.Doc();
      const keys = new Set<string>();
      appended.set(`doc-${d}`, keys);
      return run(
        (i) => {
          let update: Uint8Array | undefined;
          doc.once("update", (u: Uint8Array) => (update = u));
          doc.getMap("m").set(`k${i}`, value(i));
          // A room writes what was refused again with its next updates: the whole state is in each append here.
          return storage.docs.append(`doc-${d}`, i === 0 ? update! : Y.encodeStateAsUpdate(doc));
        },
        (i) => keys.add(`k${i}`),
      );
    });

    const filler = await fillDisk(mountPoint);
    phase = "full";
    await until(() => writers.every((w) => w.refused >= REFUSED_EACH), "every writer refused while the disk is full");
    await fs.rm(filler);
    phase = "freed";
    await until(() => writers.every((w) => w.landedAfter >= LANDED_AFTER), "every writer writing again once space returned");
    phase = "stop";
    await Promise.all([...rooms, ...docs]);

    expect(refusals.length).toBeGreaterThan(0);
    // Each says what to do about it, not only LevelDB's IO error.
    const untold = refusals.filter((r) => r.code !== "ERR_STORAGE_FULL" || !/writes resume once space returns/.test(r.message));
    expect(untold).toEqual([]);
    await storage.close();
    warnings.length = 0;
    storage = await openStorage({ dir, onWarning: (w) => warnings.push(w) });
    expect(warnings.filter((w) => w.level === "error")).toEqual([]);
    for (const [roomKey, expected] of stored) {
      const [room, key] = roomKey.split("/") as [string, string];
      expect(await storage.kv(room).get(key), roomKey).toBe(expected);
    }
    for (const [name, keys] of appended) {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, (await storage.docs.load(name))!);
      const map = doc.getMap("m");
      expect(
        [...keys].filter((key) => !map.has(key)),
        name,
      ).toEqual([]);
    }
  });
});

async function until(done: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await nextTurn();
  }
}
