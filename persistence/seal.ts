/**
 * A seal: yparty's record that the log entry at `clock` is bytes it checked when it wrote them (a compaction's
 * snapshot, a document's first update), with their SHA-256 and the version of the check that passed them. A load
 * that finds the log's only entry sealed and unchanged hands it on without walking it again
 * (src/protocol/update-format.ts: ~10 ms per 300 KB on a cold process, on the way to a room's first sync step 2);
 * anything else is checked as before.
 *
 * Kept in y-leveldb's metadata space (`['v1', name, 'meta', 'yparty:seal']`, the value as y-leveldb's `setMeta`
 * writes it), so y-leveldb reads it with `getMeta` and deletes it with the document. A writer that replaces the
 * entry without knowing of seals leaves a seal whose clock or digest no longer matches: it is ignored.
 */
import { createHash } from "node:crypto";
import * as buffer from "lib0/buffer";
import { UPDATE_FORMAT_CHECK_VERSION } from "../src/protocol/update-format.js";
import type { BatchOp } from "./byte-db.js";
import { sealKey } from "./doc-keys.js";
import type { LogEntry } from "./merge.js";

/** The write that seals `update`, a well-formed Yjs update (the caller has walked it), as the entry at `clock`. */
export function sealOp(name: string, clock: number, update: Uint8Array): BatchOp {
  const record = { clock, sha256: digest(update), check: UPDATE_FORMAT_CHECK_VERSION };
  return { type: "put", key: sealKey(name), value: buffer.encodeAny(record) };
}

/** Whether `seal` (the stored record, if any) vouches for `entry` exactly as it was read. */
export function isSealed(seal: Uint8Array | undefined, entry: LogEntry): boolean {
  if (seal === undefined) return false;
  let record: unknown;
  try {
    record = buffer.decodeAny(seal);
  } catch {
    return false;
  }
  if (typeof record !== "object" || record === null) return false;
  const { clock, sha256, check } = record as { clock?: unknown; sha256?: unknown; check?: unknown };
  if (clock !== entry.clock || check !== UPDATE_FORMAT_CHECK_VERSION || !(sha256 instanceof Uint8Array)) return false;
  return Buffer.from(sha256).equals(digest(entry.update));
}

const digest = (bytes: Uint8Array): Buffer => createHash("sha256").update(bytes).digest();
