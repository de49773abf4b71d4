/**
 * What a writer is told when PostgreSQL refuses a commit for what it writes, not for want of a connection: a
 * key-value key past the index's limit names the key, its size and what to do. The group committer has isolated the
 * write by then (storage.ts `isolates`), so the operations given are that write's alone.
 */
import { invalidArgument, reasonOf, roomSubject } from "../errors.js";
import { decodeString } from "../kv-codec.js";
import type { PgOp } from "./commit.js";
import { toText } from "./names.js";

/** PostgreSQL's most bytes in one btree index entry (a third of an 8 kB page): room_kv's primary key (room, key). */
export const INDEX_ENTRY_LIMIT = 2_704;

/** SQLSTATE 54000 (program_limit_exceeded), as PostgreSQL words it for an index entry too large. */
const indexEntryTooLarge = /index row (size|requires)/i;

/** `error` as the writer of `ops` should see it: a key too long for room_kv explained, anything else as it is. */
export function refusedWrite(error: unknown, ops: readonly PgOp[], location: string): unknown {
  if ((error as { code?: unknown } | null)?.code !== "54000" || !indexEntryTooLarge.test(reasonOf(error))) return error;
  let longest: { room: string; key: Buffer; bytes: number } | undefined;
  for (const op of ops) {
    if (op.kind !== "put") continue;
    const bytes = Buffer.byteLength(toText(op.room)) + op.key.byteLength;
    if (!longest || bytes > longest.bytes) longest = { room: op.room, key: op.key, bytes };
  }
  if (!longest) return error;
  const key = decodeString(longest.key);
  const shown = key.length > 40 ? `${JSON.stringify(key.slice(0, 40))}… (${key.length} characters)` : JSON.stringify(key);
  return invalidArgument(
    `Could not write ${roomSubject(longest.room)} to ${location}: the key ${shown} is too long for the PostgreSQL store. ` +
      `PostgreSQL indexes a room's name and key together in at most ${INDEX_ENTRY_LIMIT.toLocaleString("en-US")} bytes ` +
      `(after compression), and these take ${longest.bytes.toLocaleString("en-US")} as stored. Use a shorter key (e.g. a hash ` +
      `of its long part); nothing of this write was stored (${reasonOf(error)})`,
    error,
  );
}
