import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { serialize } from "node:v8";
import { Level } from "level";
import * as Y from "yjs";
import { openStorage, type Storage, type StorageWarning } from "../../persistence/index.js";
import { encodeString, roomPrefix } from "../../persistence/kv-codec.js";

/** A fresh storage for one test, and how to throw it away. */
export interface StorageUnderTest {
  storage: Storage;
  dispose(): Promise<void>;
}
export type StorageFactory = () => Promise<StorageUnderTest>;

export async function makeTempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), "yparty-store-"));
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

export const memoryFactory: StorageFactory = async () => {
  const storage = await openStorage({ memory: true });
  return { storage, dispose: () => storage.close() };
};

/** A LevelDB storage in a fresh temp folder; warnings go to `warnings` when given. */
export function levelFactory(warnings?: StorageWarning[]): StorageFactory {
  return async () => {
    const dir = await makeTempDir();
    const storage = await openStorage({ dir, onWarning: (w) => warnings?.push(w) });
    return {
      storage,
      dispose: async () => {
        await storage.close();
        await removeDir(dir);
      },
    };
  };
}

/** The update that inserts `text` at the end of a doc's text "t" (a doc per writer, so every update is new). */
export function textUpdate(doc: Y.Doc, text: string): Uint8Array {
  let captured: Uint8Array | null = null;
  const capture = (update: Uint8Array) => (captured = update);
  doc.on("update", capture);
  const ytext = doc.getText("t");
  ytext.insert(ytext.length, text);
  doc.off("update", capture);
  if (!captured) throw new Error("no update captured");
  return captured;
}

/** The text "t" of a stored state (`""` when nothing is stored). */
export function textOf(state: Uint8Array | null): string {
  const doc = new Y.Doc();
  if (state) Y.applyUpdate(doc, state);
  return doc.getText("t").toString();
}

/** An update setting `key` in map "m", from a client of its own: any subset of such updates merges to exactly its keys. */
export function updateSettingKey(key: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap("m").set(key, 1);
  return Y.encodeStateAsUpdate(doc);
}

/** The keys of map "m" in `state` (none for no state), sorted. */
export function mapKeysOf(state: Uint8Array | null): string[] {
  const doc = new Y.Doc();
  if (state) Y.applyUpdate(doc, state);
  return Object.keys(doc.getMap("m").toJSON()).sort();
}

/** Resolves with the value, or rejects after `ms` naming what it waited for (no test waits forever). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A real LevelDB, open, in a fresh folder: for tests that wrap its batches (gated-db.ts) or read its keys. */
export async function openTempLevel(): Promise<{ dir: string; level: Level<Uint8Array, Uint8Array> }> {
  const dir = await makeTempDir();
  const level = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
  await level.open();
  return { dir, level };
}

export async function closeTempLevel(level: Level<Uint8Array, Uint8Array>, dir: string): Promise<void> {
  await level.close();
  await removeDir(dir);
}

/** Writes raw bytes under raw keys, as a crash, a bad disk or another tool might have left them. */
export async function writeRaw(dir: string, write: (db: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
  await db.open();
  try {
    await write(db);
  } finally {
    await db.close();
  }
}

/** The key `i` of `writeFormatOneKeys`: from U+E000 up, with an emoji, so the upgrade re-keys it. */
export const formatOneKey = (i: number): string => `\uE000${i}\u{1F600}`;
/** The room `i` of `writeFormatOneKeys` is in (50 rooms). */
export const formatOneRoom = (i: number): string => `main/r${i % 50}`;
/** The value stored under `writeFormatOneKeys`'s keys (as room.storage reads it). */
export const formatOneValue = (valueBytes: number): string => "v".repeat(valueBytes);

/** Writes `dir` as an older yparty left it (format 1): `count` keys (`formatOneKey`) in plain UTF-16 BE, `valueBytes` each. */
export async function writeFormatOneKeys(dir: string, count: number, valueBytes: number): Promise<void> {
  const value = serialize(formatOneValue(valueBytes));
  await writeRaw(dir, async (db) => {
    const kv = db.sublevel<Uint8Array, Uint8Array>("kv", { keyEncoding: "view", valueEncoding: "view" });
    for (let from = 0; from < count; from += 2_000) {
      const keys = Array.from({ length: Math.min(2_000, count - from) }, (_, i) => from + i);
      await kv.batch(keys.map((i) => ({ type: "put" as const, key: Buffer.concat([roomPrefix(formatOneRoom(i)), encodeString(formatOneKey(i))]), value })));
    }
    await db.put(new TextEncoder().encode("yparty:format"), new TextEncoder().encode("1"));
  });
}

/** How an open (or check) ended: `{ code: "opened" }` when it succeeded, else the refusal's code and message. */
export const refusalOf = (promise: Promise<unknown>): Promise<{ code?: string; message: string }> =>
  promise.then(
    () => ({ code: "opened", message: "" }),
    (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }),
  );

/** A new data folder (added to `dirs`, the test's to remove) holding one room's key `k` = "v", closed again. */
export async function folderWithAKey(dirs: string[]): Promise<string> {
  const dir = await makeTempDir();
  dirs.push(dir);
  const storage = await openStorage({ dir });
  await storage.kv("main/r").put("k", "v");
  await storage.close();
  return dir;
}
