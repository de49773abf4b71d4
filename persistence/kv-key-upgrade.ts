/**
 * Brings the `kv` sublevel of a format-1 folder (keys in plain UTF-16 BE) to `encodeKey`'s bytes (format 2), in
 * batches of bounded size, so a folder of any size upgrades in bounded memory, and a crash at any point resumes.
 * Two steps, each batch atomic:
 * 1. every entry whose key holds a unit from U+D800 up leaves `kv` for the `kv-upgrade` sublevel under its new key
 *    (never straight back into `kv`: a lone surrogate's old key can be another key's new one, not yet moved);
 * 2. once `kv` holds no old key (the step is recorded), the entries are copied back into `kv`, then `kv-upgrade` is
 *    cleared. It is kept until then as the record of which keys of `kv` are new ones (see below); resuming step 2
 *    copies again what is still there (the same values: nothing else writes during the upgrade).
 * Resuming step 1 scans `kv` again: until step 2 every key there from U+D800 up is an old one.
 * LevelDB's repair (`yparty repair`) of a folder stopped in step 2 may bring back an old key step 1 deleted (the table
 * holding that delete was damaged) beside its new one, which `kv` then held as a key nobody wrote (its bytes read in
 * the new format). The repair notes it in the step (`noteLevelDbRepaired`), and the resumed step 2 ends by deleting
 * every key of `kv` whose new key holds the same value (the new key wins), unless `kv-upgrade` holds it: then it is a
 * new key, a room's own twin of the other (U+E800 beside U+E000, the new bytes of the one the old bytes of the other),
 * which the drop took for an old key when both held the same value, until helper 140.
 * A large folder takes seconds (200 MB: some 3.5 s) before the server listens: reported as it goes (progress.ts).
 */
import type { Level } from "level";
import type { UpgradeOp } from "./folder-format.js";
import { defaults } from "./defaults.js";
import { reencodedKey, roomPrefixBytes } from "./kv-codec.js";
import { counted, megabytes, percentOf, startProgress, type OnStorageProgress, type Progress } from "./progress.js";

type Db = Level<Uint8Array, Uint8Array>;

const STEP_KEY = new TextEncoder().encode("yparty:upgrade-step");
const MOVING_BACK = new TextEncoder().encode("kv-order:move-back");
/** Step 2 of a folder LevelDB's repair rebuilt: old keys may be back beside their new ones. */
const MOVING_BACK_REPAIRED = new TextEncoder().encode("kv-order:move-back, repaired");
const STAGING_SUBLEVEL = "kv-upgrade";
/** Bytes of keys and values one batch holds at most (one entry above it still goes alone). */
export const UPGRADE_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * LevelDB's estimate of the bytes a range of keys takes on disk (from its tables' indexes: no data read). In Node,
 * `level` is classic-level, which has it; `level`'s types cover the browser's too, which has not.
 */
const diskBytes = (db: Db, start: Uint8Array, end: Uint8Array): Promise<number> =>
  (db as unknown as { approximateSize(start: Uint8Array, end: Uint8Array): Promise<number> }).approximateSize(start, end);

const sublevel = (db: Db, name: string) => db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: "view", valueEncoding: "view" });

/** One step's pass over a sublevel: what it read and moved so far. */
interface Pass {
  /** The sublevel's keys as the database stores them: from `start` (its prefix) up to `end`. */
  start: Buffer;
  end: Buffer;
  read: number;
  bytes: number;
  moved: number;
}

const passOver = (prefix: string): Pass => {
  const start = Buffer.from(prefix, "utf8");
  const end = Buffer.from(start);
  end[end.length - 1]!++;
  return { start, end, read: 0, bytes: 0, moved: 0 };
};

/**
 * Writes the ops `opsOf` gives for each entry in batches of about UPGRADE_BATCH_BYTES, `last` added to the final one;
 * `reporting` is called once a progress line is due, with the raw key reached.
 */
async function inBatches(
  db: Db,
  pass: Pass,
  entries: AsyncIterable<[Uint8Array, Uint8Array]>,
  opsOf: (key: Uint8Array, value: Uint8Array) => UpgradeOp[] | undefined,
  progress: Progress,
  reporting: (reached: Buffer) => Promise<void>,
  last: UpgradeOp[] = [],
): Promise<void> {
  let ops: UpgradeOp[] = [];
  let bytes = 0;
  for await (const [key, value] of entries) {
    pass.read++;
    pass.bytes += key.byteLength + value.byteLength;
    if (progress.due()) await reporting(Buffer.concat([pass.start, key]));
    const more = opsOf(key, value);
    if (!more) continue;
    pass.moved++;
    ops.push(...more);
    bytes += key.byteLength * 2 + value.byteLength;
    if (bytes >= UPGRADE_BATCH_BYTES) {
      await db.batch(ops, { sync: true });
      ops = [];
      bytes = 0;
    }
  }
  await db.batch([...ops, ...last], { sync: true });
}

/**
 * Runs (or resumes) the upgrade of a format-1 folder's keys, reported to `onProgress` when the folder holds any
 * room data; `finish` writes, with the folder's new mark, the writes that clear its progress (folder-format.ts).
 */
export async function upgradeKvKeyOrder(
  db: Db,
  location: string,
  finish: (ops: UpgradeOp[]) => Promise<void>,
  onProgress: OnStorageProgress | undefined,
): Promise<void> {
  const kv = sublevel(db, defaults.kvSublevel);
  const staging = sublevel(db, STAGING_SUBLEVEL);
  const aside = passOver(kv.prefix);
  const back = passOver(staging.prefix);
  const [step] = await db.getMany([STEP_KEY]);
  const repaired = step !== undefined && Buffer.compare(step, MOVING_BACK_REPAIRED) === 0;
  const movingBack = repaired || (step !== undefined && Buffer.compare(step, MOVING_BACK) === 0);
  const empty = async (of: typeof kv) => (await of.keys({ limit: 1 }).all())[0] === undefined;
  // A new folder, or an older one without room data: nothing to move, nothing to say.
  const holdsData = !(await empty(kv)) || !(await empty(staging));
  const progress = startProgress(
    holdsData ? onProgress : undefined,
    "upgrade",
    location,
    `Upgrading ${location} from data format 1 to 2 (room.storage keys into Durable Objects' order), once, before the server ` +
      `listens: room data taking some ${megabytes(await diskBytes(db, aside.start, back.end))} on disk (compressed) to go through. ` +
      "Stopping it meanwhile loses nothing: the next start goes on from where it was",
  );
  // How far a pass is: the share of its sublevel's data on disk before the key it reached (LevelDB's estimate).
  const report = (pass: Pass, step: string) => async (reached: Buffer) => {
    const [before, all] = await Promise.all([diskBytes(db, pass.start, reached), diskBytes(db, pass.start, pass.end)]);
    progress.report({ message: `Upgrading ${location}: ${step}, ${counted(pass.read)} keys read`, percent: percentOf(before, all) });
  };
  if (!movingBack) {
    // The iterator reads a snapshot: the batches written meanwhile do not change what it gives.
    await inBatches(
      db,
      aside,
      kv.iterator(),
      (stored, value) => {
        // A key shorter than the room id it starts with says (not one yparty wrote: damage, another tool) is no room's
        // key: left as it is, rather than fail every start (it threw ERR_BUFFER_OUT_OF_BOUNDS, "unexpected failure").
        const roomBytes = stored.byteLength < 4 ? undefined : roomPrefixBytes(stored);
        if (roomBytes === undefined || roomBytes > stored.byteLength) return undefined;
        const key = reencodedKey(stored.subarray(roomBytes));
        if (!key) return undefined;
        return [
          { type: "del", key: Buffer.concat([aside.start, stored]) },
          { type: "put", key: Buffer.concat([back.start, stored.subarray(0, roomBytes), key]), value },
        ];
      },
      progress,
      report(aside, "step 1 of 2, setting aside the keys that change"),
      [{ type: "put", key: STEP_KEY, value: MOVING_BACK }],
    );
  }
  await inBatches(
    db,
    back,
    staging.iterator(),
    (key, value) => [{ type: "put", key: Buffer.concat([aside.start, key]), value }],
    progress,
    report(back, "step 2 of 2, putting them back under their new keys"),
  );
  if (repaired) await dropBroughtBack(db, kv, staging, passOver(kv.prefix), progress, report);
  await clearStaging(db, staging, back.start);
  await finish([{ type: "del", key: STEP_KEY }]);
  progress.done(
    (took) =>
      `Upgraded ${location} to data format 2 in ${took}` +
      (movingBack
        ? ` (resumed: ${counted(back.moved)} keys put back)`
        : `: ${counted(aside.read)} keys (${megabytes(aside.bytes)}) read, ${counted(back.moved)} rewritten`),
  );
}

/** Deletes the set-aside copies once step 2 has copied them all back, in batches of bounded size. */
async function clearStaging(db: Db, staging: ReturnType<typeof sublevel>, prefix: Buffer): Promise<void> {
  let ops: UpgradeOp[] = [];
  for await (const key of staging.keys()) {
    ops.push({ type: "del", key: Buffer.concat([prefix, key]) });
    if (ops.length >= 10_000) {
      await db.batch(ops, { sync: true });
      ops = [];
    }
  }
  if (ops.length > 0) await db.batch(ops, { sync: true });
}

/**
 * After LevelDB's repair rebuilt a folder in step 2: deletes every key of `kv` that is an old key brought back, i.e.
 * whose new key (`reencodedKey`) is there too with the same value (a moved entry's value is moved as it was, and
 * nothing writes during the upgrade), and that `staging` does not hold (a key there is a new one: a room's own twin).
 * A room's twin whose set-aside copy the repair lost too, with the same value as the other, is told apart by nothing
 * and dropped.
 */
async function dropBroughtBack(
  db: Db,
  kv: ReturnType<typeof sublevel>,
  staging: ReturnType<typeof sublevel>,
  pass: Pass,
  progress: Progress,
  report: (pass: Pass, step: string) => (reached: Buffer) => Promise<void>,
): Promise<void> {
  const reporting = report(pass, "step 2 of 2, after a repair, dropping old keys brought back beside their new ones");
  let candidates: Array<{ stored: Uint8Array; twin: Uint8Array; value: Uint8Array }> = [];
  let heldBytes = 0; // the candidates' values, held until settled: bounded as the passes' batches are
  const settle = async () => {
    const [twins, setAside] = await Promise.all([
      kv.getMany(candidates.map((candidate) => candidate.twin)),
      staging.getMany(candidates.map((candidate) => candidate.stored)),
    ]);
    const dropped = candidates.filter(({ value }, i) => setAside[i] === undefined && twins[i] !== undefined && Buffer.compare(twins[i]!, value) === 0);
    if (dropped.length > 0)
      await db.batch(
        dropped.map(({ stored }) => ({ type: "del" as const, key: Buffer.concat([pass.start, stored]) })),
        { sync: true },
      );
    pass.moved += dropped.length;
    candidates = [];
    heldBytes = 0;
  };
  for await (const [stored, value] of kv.iterator()) {
    pass.read++;
    if (progress.due()) await reporting(Buffer.concat([pass.start, stored]));
    const roomBytes = stored.byteLength < 4 ? undefined : roomPrefixBytes(stored);
    if (roomBytes === undefined || roomBytes > stored.byteLength) continue;
    const key = reencodedKey(stored.subarray(roomBytes));
    if (!key) continue;
    candidates.push({ stored, twin: Buffer.concat([stored.subarray(0, roomBytes), key]), value });
    heldBytes += value.byteLength;
    if (candidates.length >= 1_000 || heldBytes >= UPGRADE_BATCH_BYTES) await settle();
  }
  await settle();
}

/**
 * Called once LevelDB's repair rebuilt `db`: a folder it stopped in step 2 of this upgrade may hold old keys again
 * beside their new ones, which the resumed upgrade then drops (see the top of this file).
 */
export async function noteLevelDbRepaired(db: Pick<Db, "getMany" | "put">): Promise<void> {
  const [step] = await db.getMany([STEP_KEY]);
  if (step !== undefined && Buffer.compare(step, MOVING_BACK) === 0) await db.put(STEP_KEY, MOVING_BACK_REPAIRED, { sync: true });
}
