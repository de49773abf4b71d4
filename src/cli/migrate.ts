/**
 * `yparty migrate --from <leveldb folder> --to postgres://…`: copies every document, every room's key-value storage
 * and the stored alarms (a key-value store like the others) from a LevelDB data folder to a PostgreSQL database.
 * Both must be free: a folder a server holds, or a database a standalone server uses, is refused.
 *
 * Running it again is safe: a document the target already holds is merged with the folder's (Yjs updates merge; a
 * document holding everything already is left alone), and a key with the same value is left alone. A key the target
 * holds with another value (written there since) is not overwritten: it is reported, and the exit code is 1.
 */
import { isDeepStrictEqual } from "node:util";
import * as Y from "yjs";
import {
  checkFolder,
  heldByYparty,
  PostgresStorage,
  readLevelFolder,
  redactUrl,
  StorageError,
  type LevelFolderReader,
  type RoomEntries,
  type Storage,
} from "../../persistence/index.js";
import { eachLimited } from "../../persistence/each-limited.js";
import { deserializeValue } from "../../persistence/kv-codec.js";
import { formatReport, foundNothing, progressTo, warnTo } from "./doctor.js";
import { CliError, ExitCode } from "./errors.js";

export interface MigrateOptions {
  from: string;
  to: string;
  out?: NodeJS.WritableStream;
  /** Progress and problems. */
  err?: NodeJS.WritableStream;
}

/** Keys read and written per statement. */
const KEYS_PER_SLICE = 500;
/** Documents copied at once (the group commit writes theirs together). */
const DOCUMENTS_AT_ONCE = 8;
/** Problems listed one by one; past these, only counted. */
const PROBLEMS_LISTED = 20;

interface Tally {
  copied: number;
  present: number;
  problems: string[];
}

export async function migrateCommand({ from, to, out = process.stdout, err = process.stderr }: MigrateOptions): Promise<number> {
  const target = redactUrl(to);
  err.write(`Copying ${from} to ${target} …\n`);
  const source = await openSource(from, out, err);
  try {
    const storage = await openTarget(to, err);
    try {
      const docs = await copyDocuments(source, storage, err);
      const kv = await copyRooms(source, storage, err);
      out.write(
        `${docs.copied} document(s) copied, ${docs.present} already there; ${kv.copied} key(s) of ${kv.rooms} room store(s) copied, ` +
          `${kv.present} already there (alarms included), from ${from} to ${target}.\n`,
      );
      const problems = [...docs.problems, ...kv.problems];
      if (problems.length === 0) return ExitCode.Ok;
      for (const problem of problems.slice(0, PROBLEMS_LISTED)) out.write(`NOT COPIED  ${problem}\n`);
      if (problems.length > PROBLEMS_LISTED) out.write(`… and ${problems.length - PROBLEMS_LISTED} more.\n`);
      out.write(`${problems.length} item(s) not copied (above). Everything else was.\n`);
      return ExitCode.Failure;
    } finally {
      await storage.close();
    }
  } finally {
    await source.close();
  }
}

/**
 * The folder, checked first as `yparty doctor` checks it: the open that reads it replays LevelDB's write-ahead log, and
 * one that drops acknowledged writes from it (a damaged log) or a document the ack journal shows short would be copied
 * as if whole, without a word, the evidence gone with the replayed log.
 */
async function openSource(dir: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<LevelFolderReader> {
  try {
    const report = await checkFolder(dir, { onProgress: progressTo(err), onWarning: warnTo(err) });
    if (!foundNothing(report)) {
      out.write(formatReport(report));
      throw new CliError(
        "ERR_STORAGE",
        `${dir} is damaged (above): writes it acknowledged may be missing, and nothing was copied. Keep a copy of the folder, ` +
          `run "yparty repair --persist ${dir}" to keep what is left, then migrate again`,
      );
    }
    return await readLevelFolder(dir);
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (error instanceof StorageError && heldByYparty(error)) {
      throw new CliError("ERR_STORAGE", `${dir} is in use by a running server: stop it first (migrate copies a folder no one writes).`, { cause: error });
    }
    // (by a program that is not yparty, named)
    if (error instanceof StorageError && error.code === "ERR_STORAGE_LOCKED") throw new CliError("ERR_STORAGE", error.message, { cause: error });
    throw new CliError("ERR_USAGE", `--from: ${(error as Error).message}`, { cause: error });
  }
}

/** The database, its schema migrated when an older yparty's (said on `err`, as it goes: it can take a while). */
async function openTarget(url: string, err: NodeJS.WritableStream): Promise<Storage> {
  try {
    return await PostgresStorage.open({ url, owner: "yparty migrate", onWarning: () => undefined, onProgress: (line) => err.write(`  ${line.message}\n`) });
  } catch (error) {
    const code = (error as StorageError).code;
    throw new CliError(code === "ERR_STORAGE_LOCKED" ? "ERR_STORAGE" : "ERR_USAGE", `--to: ${(error as Error).message}`, { cause: error });
  }
}

async function copyDocuments(source: LevelFolderReader, storage: Storage, err: NodeJS.WritableStream): Promise<Tally> {
  const names = await source.docs.names();
  const tally: Tally = { copied: 0, present: 0, problems: [] };
  const progress = progressLine(err, "documents", names.length);
  await eachLimited(names, DOCUMENTS_AT_ONCE, async (name) => {
    try {
      const state = await source.docs.load(name);
      if (state && (await copyDocument(storage, name, state))) tally.copied++;
      else tally.present++;
    } catch (error) {
      tally.problems.push(`document ${JSON.stringify(name)}: ${(error as Error).message}`);
    }
    progress(tally.copied + tally.present + tally.problems.length);
  });
  return tally;
}

/** Appends the folder's state unless the target holds all of it already; whether it appended. */
async function copyDocument(storage: Storage, name: string, state: Uint8Array): Promise<boolean> {
  const stored = await storage.docs.load(name);
  if (stored) {
    // Not collecting: deleted content the target lacks (a room's history) is a difference too.
    const doc = new Y.Doc({ gc: false });
    Y.applyUpdate(doc, stored);
    const before = Y.encodeStateAsUpdate(doc);
    Y.applyUpdate(doc, state);
    const unchanged = Buffer.from(before).equals(Y.encodeStateAsUpdate(doc));
    doc.destroy();
    if (unchanged) return false;
  }
  await storage.docs.append(name, state);
  return true;
}

async function copyRooms(source: LevelFolderReader, storage: Storage, err: NodeJS.WritableStream): Promise<Tally & { rooms: number }> {
  const tally = { copied: 0, present: 0, problems: [] as string[], rooms: 0 };
  let lastRoom: string | undefined;
  const progress = progressLine(err, "keys", undefined);
  for await (const slice of source.rooms(KEYS_PER_SLICE)) {
    if (slice.room !== lastRoom) tally.rooms++;
    lastRoom = slice.room;
    await copySlice(storage, slice, tally);
    progress(tally.copied + tally.present + tally.problems.length);
  }
  return tally;
}

async function copySlice(storage: Storage, { room, entries }: RoomEntries, tally: Tally): Promise<void> {
  const kv = storage.kv(room);
  const existing = await kv.get(entries.map(([key]) => key));
  const writes: Record<string, unknown> = Object.create(null); // a key may be "__proto__"
  for (const [key, bytes] of entries) {
    let value: unknown;
    try {
      value = deserializeValue(bytes);
    } catch {
      tally.problems.push(`room ${JSON.stringify(room)} key ${JSON.stringify(key)}: its stored value cannot be decoded`);
      continue;
    }
    if (!existing.has(key)) writes[key] = value;
    else if (isDeepStrictEqual(existing.get(key), value)) tally.present++;
    else tally.problems.push(`room ${JSON.stringify(room)} key ${JSON.stringify(key)}: the target holds another value (written there since?); left as it is`);
  }
  const count = Object.keys(writes).length;
  if (count > 0) await kv.put(writes);
  tally.copied += count;
}

/** A progress line at most every second (and the last one). */
function progressLine(err: NodeJS.WritableStream, what: string, total: number | undefined): (done: number) => void {
  let last = 0;
  return (done) => {
    const now = performance.now();
    if (now - last < 1_000 && done !== total) return;
    last = now;
    err.write(`  ${what}: ${done}${total === undefined ? "" : ` of ${total}`}\n`);
  };
}
