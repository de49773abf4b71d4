/**
 * Updates of different clients joined into one by copying their bytes: what `Y.mergeUpdates` makes of them, without
 * reading a struct. A run of a room's appends (persistence/append-entries.ts) is most often one update from each of a
 * few typists, and merging them through Yjs cost ~5 µs per update there. The result is one update: a client count,
 * every client's struct list as it came (in Yjs's order, highest client first), then the delete set's lists, each
 * client's as it came.
 *
 * Only when no client has structs in two of the updates, nor deleted ranges in two (a client listed twice in one
 * update loses all but its last list in Yjs); otherwise, or when one is not a whole update, `undefined`: the caller
 * merges through Yjs. Server side only, like update-format.ts.
 */
import { readUpdateLayout } from "./update-format.js";

/** One list to copy: its client and where it lies in which update. */
interface List {
  client: number;
  bytes: Uint8Array;
  start: number;
  end: number;
}

/** The updates as one, or `undefined` when they share a client or one is not a whole update (see above). */
export function concatUpdates(updates: readonly Uint8Array[]): Uint8Array | undefined {
  const structLists: List[] = [];
  const deleteLists: List[] = [];
  for (const bytes of updates) {
    const layout = readUpdateLayout(bytes);
    if (typeof layout === "string") return undefined;
    if (!collect(structLists, bytes, layout.structClients, layout.structStarts, layout.structsEnd)) return undefined;
    if (!collect(deleteLists, bytes, layout.deleteClients, layout.deleteStarts, layout.end)) return undefined;
  }
  structLists.sort((a, b) => b.client - a.client);
  // Sized first and written into once: a lib0 encoder starts with a 100-byte buffer outside V8's heap and grows it
  // (a run of a few typists' updates outgrows it), which cost more than the copies themselves.
  const joined = new Uint8Array(sizeOf(structLists) + sizeOf(deleteLists));
  write(joined, deleteLists, write(joined, structLists, 0));
  return joined;
}

/** Adds an update's lists; false when one is of a client listed already (a run joins a handful: pairs are compared). */
function collect(lists: List[], bytes: Uint8Array, clients: readonly number[], starts: readonly number[], end: number): boolean {
  for (let i = 0; i < clients.length; i++) {
    const client = clients[i]!;
    if (lists.some((list) => list.client === client)) return false;
    lists.push({ client, bytes, start: starts[i]!, end: i + 1 < starts.length ? starts[i + 1]! : end });
  }
  return true;
}

/** The bytes `write` writes for `lists`: their count as a varUint, then each list as it came. */
function sizeOf(lists: readonly List[]): number {
  let size = varUintSize(lists.length);
  for (const list of lists) size += list.end - list.start;
  return size;
}

/** Writes `lists` into `into` at `at` (their count as lib0's varUint, then each list's bytes); returns where it ended. */
function write(into: Uint8Array, lists: readonly List[], at: number): number {
  let count = lists.length;
  while (count > 0x7f) {
    into[at++] = 0x80 | (count & 0x7f);
    count >>>= 7;
  }
  into[at++] = count;
  for (const list of lists) {
    into.set(list.bytes.subarray(list.start, list.end), at);
    at += list.end - list.start;
  }
  return at;
}

const varUintSize = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x20_0000 ? 3 : n < 0x1000_0000 ? 4 : 5);
