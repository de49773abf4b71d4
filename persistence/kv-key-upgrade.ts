/**
 * Brings the `kv` sublevel of a format-1 folder (keys in plain UTF-16 BE) to `encodeKey`'s bytes (format 2), in
 * batches of bounded size, so a folder of any size upgrades in bounded memory, and a crash at any point resumes.
 * Two steps, each batch atomic:
 * 1. every entry whose key holds a unit from U+D800 up leaves `kv` for the `kv-upgrade` sublevel under its new key
 *    (never straight back into `kv`: a lone surrogate's old key can be another key's new one, not yet moved);
 * 2. once `kv` holds no old key (the step is recorded), the entries move back into `kv`.
 * Resuming step 1 scans `kv` again: until step 2 every key there from U+D800 up is an old one.
 */
import type { Level } from "level";
import type { UpgradeOp } from "./folder-format.js";
import { defaults } from "./defaults.js";
import { reencodedKey } from "./kv-codec.js";

type Db = Level<Uint8Array, Uint8Array>;

const STEP_KEY = new TextEncoder().encode("yparty:upgrade-step");
const MOVING_BACK = new TextEncoder().encode("kv-order:move-back");
const STAGING_SUBLEVEL = "kv-upgrade";
/** Bytes of keys and values one batch holds at most (one entry above it still goes alone). */
export const UPGRADE_BATCH_BYTES = 4 * 1024 * 1024;

const sublevel = (db: Db, name: string) => db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: "view", valueEncoding: "view" });

/** Writes the ops `opsOf` gives for each entry in batches of about UPGRADE_BATCH_BYTES, `last` added to the final one. */
async function inBatches(
  db: Db,
  entries: AsyncIterable<[Uint8Array, Uint8Array]>,
  opsOf: (key: Uint8Array, value: Uint8Array) => UpgradeOp[] | undefined,
  last: UpgradeOp[] = [],
): Promise<void> {
  let ops: UpgradeOp[] = [];
  let bytes = 0;
  for await (const [key, value] of entries) {
    const more = opsOf(key, value);
    if (!more) continue;
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
 * Runs (or resumes) the upgrade of a format-1 folder's keys; resolves with the writes that clear its progress, for the
 * batch that marks the folder format 2 (folder-format.ts).
 */
export async function upgradeKvKeyOrder(db: Db): Promise<UpgradeOp[]> {
  const kv = sublevel(db, defaults.kvSublevel);
  const staging = sublevel(db, STAGING_SUBLEVEL);
  const kvPrefix = Buffer.from(kv.prefix, "utf8");
  const stagingPrefix = Buffer.from(staging.prefix, "utf8");
  const [step] = await db.getMany([STEP_KEY]);
  if (step === undefined || Buffer.compare(step, MOVING_BACK) !== 0) {
    // The iterator reads a snapshot: the batches written meanwhile do not change what it gives.
    await inBatches(
      db,
      kv.iterator(),
      (stored, value) => {
        const roomBytes = 4 + 2 * Buffer.from(stored.buffer, stored.byteOffset, 4).readUInt32BE(0);
        const key = reencodedKey(stored.subarray(roomBytes));
        if (!key) return undefined;
        return [
          { type: "del", key: Buffer.concat([kvPrefix, stored]) },
          { type: "put", key: Buffer.concat([stagingPrefix, stored.subarray(0, roomBytes), key]), value },
        ];
      },
      [{ type: "put", key: STEP_KEY, value: MOVING_BACK }],
    );
  }
  await inBatches(db, staging.iterator(), (key, value) => [
    { type: "del", key: Buffer.concat([stagingPrefix, key]) },
    { type: "put", key: Buffer.concat([kvPrefix, key]), value },
  ]);
  return [{ type: "del", key: STEP_KEY }];
}
