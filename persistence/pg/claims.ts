/**
 * The fences this storage writes with. A room's fence (its row in `rooms`) goes up by one with every claim; a write
 * carries the fence its storage got when it claimed the room, and the commit refuses it when the row's fence has moved
 * past (commit.ts): a node that lost a room can never overwrite what the new owner wrote.
 *
 * Standalone (one yparty on the database), a room is claimed at its first write. In a cluster the cluster claims each
 * room it takes (`claim`), and a write of a room this storage did not claim is refused: only an owner writes.
 */
import { StorageError } from "../types.js";
import { toText } from "./names.js";

/** This storage's claim on one room: the fence its writes carry and the next sequence number of its log entries. */
export interface Claim {
  readonly fence: number;
  /** Log entries written under this fence are numbered from 0 (the key is `(doc, fence, seq)`). */
  nextSeq: number;
}

export type RunQuery = (text: string, values: unknown[]) => Promise<Array<Record<string, unknown>>>;

/**
 * A claim's fence is past the room's row and past every fence its document's log and ack record carry: a database
 * restored in part (the log without `rooms`, or `rooms` from an older backup) would otherwise hand out a fence already
 * used, whose keys `(doc, fence, seq)` are taken: the inserts under it were skipped (`ON CONFLICT DO NOTHING`), an
 * append acknowledged yet not stored, a compaction's snapshot lost and the entries it replaced deleted. Two index
 * lookups; a no-op when the tables agree (the log's fences are never past the row's).
 */
const claimSql = `WITH used AS (SELECT GREATEST(0, (SELECT max(fence) FROM doc_updates WHERE doc = $1), (SELECT fence FROM doc_acks WHERE doc = $1)) AS fence)
  INSERT INTO rooms (name, fence, owner) SELECT $1, used.fence + 1, $2 FROM used
  ON CONFLICT (name) DO UPDATE SET fence = GREATEST(rooms.fence + 1, EXCLUDED.fence), owner = EXCLUDED.owner, claimed_at = now()
  RETURNING fence`;

export class Claims {
  readonly #held = new Map<string, Promise<Claim>>();

  constructor(
    private readonly query: RunQuery,
    /** Who claims (the node's advertise address; `host:pid` standalone), kept in `rooms.owner` for operators. */
    private readonly owner: string,
    /** Standalone: claim a room at its first write. Otherwise a write of a room not claimed here is refused. */
    private readonly claimOnFirstWrite: boolean,
    private readonly location: string,
    /** Key-value stores every node writes (the server-wide alarms store): never claimed, written without a fence check. */
    private readonly shared: ReadonlySet<string> = new Set(),
  ) {}

  /** Bumps the room's fence in one statement and makes this storage's writes of it carry the new one. */
  claim(room: string, owner = this.owner): Promise<number> {
    const claim = this.query(claimSql, [toText(room), owner]).then((rows): Claim => ({ fence: Number(rows[0]!.fence), nextSeq: 0 }));
    this.#held.set(room, claim);
    claim.catch(() => {
      if (this.#held.get(room) === claim) this.#held.delete(room); // not claimed: the next write tries again
    });
    return claim.then((held) => held.fence);
  }

  /** The room's fence in the database now (`undefined`: never claimed), whoever claimed it. */
  async fenceOf(room: string): Promise<number | undefined> {
    const rows = await this.query("SELECT fence FROM rooms WHERE name = $1", [toText(room)]);
    return rows[0] ? Number(rows[0].fence) : undefined;
  }

  /** The fence this storage claimed the room with, if it did. */
  async heldFence(room: string): Promise<number | undefined> {
    return (await this.#held.get(room))?.fence;
  }

  /** Forgets this storage's claim (the room moved or was unloaded): its later writes are refused, or claim anew. */
  forget(room: string): void {
    this.#held.delete(room);
  }

  /** The claim a write of `room` carries: the one held, or (standalone) a new one; none for a shared key-value store. */
  claimFor(room: string, store: "doc" | "kv" = "doc"): Promise<Claim> {
    if (store === "kv" && this.shared.has(room)) return Promise.resolve(UNFENCED);
    const held = this.#held.get(room);
    if (held) return held;
    if (!this.claimOnFirstWrite) return Promise.reject(notClaimedError(room, this.location));
    return this.claim(room).then(() => this.#held.get(room)!);
  }
}

/** The claim of a shared store's writes: commit.ts checks no fence for them. */
export const UNFENCED: Claim = { fence: -1, nextSeq: 0 };

export function fencedError(room: string, location: string, fence: number, current: number | undefined): StorageError {
  const now = current === undefined ? "it has no fence row any more" : `its fence is now ${current}`;
  return new StorageError(
    "ERR_FENCED",
    `Refused a write of room ${JSON.stringify(room)} to ${location}: another owner claimed the room (this writer holds fence ${fence}, ${now}). ` +
      `Nothing of it was stored; the room must be loaded again by its owner`,
  );
}

function notClaimedError(room: string, location: string): StorageError {
  return new StorageError(
    "ERR_FENCED",
    `Refused a write of room ${JSON.stringify(room)} to ${location}: this node has not claimed the room (storage.claim), so it may not write it`,
  );
}
